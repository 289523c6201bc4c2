/**
 * The one file that imports kafkajs. Everything else (source, sinks, produce, router, workers) talks to this
 * small interface, so the client library can be replaced (e.g. by a librdkafka binding) without touching them.
 *
 * Secrets: SASL credentials and TLS material are never written in a topology, nor named by it: they come from a
 * fixed set of environment variables (KAFKA_SECRET_ENV), read here, so a topology from elsewhere cannot have any
 * other variable of the process sent to its broker. Nothing here logs a config object.
 */
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import type { Consumer, Producer, Admin, SASLOptions, logLevel as LogLevelEnum, LogEntry } from 'kafkajs';
import { SourceError } from '../events/errors.js';
import { KAFKA_SECRET_ENV } from './config.js';

const { Kafka, logLevel, CompressionTypes } = kafkajs;

/** Connection settings as a topology declares them (no secret values, no names of environment variables). */
export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /** TLS; rejectUnauthorized: false (no certificate check) is refused by the configuration without --insecure. */
  ssl?: boolean | { rejectUnauthorized?: boolean };
  /** SASL; the user name and password come from SIDEBAND_KAFKA_USERNAME and SIDEBAND_KAFKA_PASSWORD. */
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' };
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** kafkajs log level: 'nothing' | 'error' | 'warn' | 'info' | 'debug' (default 'nothing': errors surface as exceptions). */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
}

export interface KafkaHeaders {
  [name: string]: string | Buffer | undefined;
}

export interface OutgoingMessage {
  key?: string | Buffer | null;
  value: string | Buffer;
  headers?: KafkaHeaders;
  partition?: number;
}

export interface IncomingMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkaHeaders;
  offset: string;
}

export interface FetchedBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: IncomingMessage[];
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** What a batch handler may do while it holds a batch (kafkajs eachBatch context, reduced). */
export interface BatchControl {
  /** Keep the group membership alive during long work; throws when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the batch's partition was revoked. */
  isActive(): boolean;
}

export interface ConsumerOptions {
  groupId: string;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  maxBytesPerPartition?: number;
  maxBytes?: number;
  maxWaitTimeMs?: number;
  partitionsConsumedConcurrently?: number;
}

export interface GroupConsumer {
  subscribe(topics: string[], fromBeginning: boolean): Promise<void>;
  /** Start fetching; `onBatch` is awaited before the next batch of the same partition is fetched. */
  run(onBatch: (batch: FetchedBatch, control: BatchControl) => Promise<void>): Promise<void>;
  /** Called with the full assignment after every group join (kafkajs has no per-partition revoke callback). */
  onAssignment(listener: (assigned: TopicPartitions[]) => void): void;
  /** Called when the consumer crashes (kafkajs gave up retrying); `restart` says whether kafkajs restarts it. */
  onCrash(listener: (error: Error, restart: boolean) => void): void;
  /** Commit "next offset to read" per partition. */
  commit(offsets: PartitionOffset[]): Promise<void>;
  /** Set where fetching continues for a partition (used to restore a checkpoint's offsets). */
  seek(offset: PartitionOffset): void;
  pause(tps: TopicPartitions[]): void;
  resume(tps: TopicPartitions[]): void;
  disconnect(): Promise<void>;
}

export interface KafkaProducer {
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface KafkaAdmin {
  /** Creates the topics that do not exist yet (a broker without the admin API must already have them). */
  ensureTopics(topics: { topic: string; partitions: number; compacted?: boolean }[]): Promise<void>;
  /** High watermark ("next offset to be written") per partition. */
  endOffsets(topic: string): Promise<Map<number, string>>;
  /** Committed offset per partition of a group ('-1' when nothing committed). */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  partitionCount(topic: string): Promise<number>;
  /** Commit offsets for a group that has no running member (after its consumer left). */
  setGroupOffsets(groupId: string, offsets: PartitionOffset[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface KafkaClient {
  consumer(options: ConsumerOptions): GroupConsumer;
  producer(options?: { idempotent?: boolean }): Promise<KafkaProducer>;
  admin(): Promise<KafkaAdmin>;
}

function readSecretEnv(name: string, what: string): string {
  const v = process.env[name];
  if (v === undefined || v === '')
    throw new SourceError(`kafka: ${what} is read from environment variable ${name}, which is not set`);
  return v.startsWith('/') ? readFileSync(v, 'utf8') : v;
}

/** TLS material from its variable when that is set (the CA, the client certificate and key are all optional). */
function optionalSecretEnv(name: string, what: string): string | undefined {
  return process.env[name] ? readSecretEnv(name, what) : undefined;
}

const LEVELS: Record<NonNullable<KafkaConnection['logLevel']>, LogLevelEnum> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/** Logs kafkajs' own messages to stderr without their extra fields (which may name brokers and settings only). */
function logCreator() {
  return ({ level, log }: LogEntry) => {
    const lvl = level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'info';
    process.stderr.write(`kafka ${lvl}: ${log.message}${log.error ? ` (${String(log.error)})` : ''}\n`);
  };
}

export function connectKafka(conn: KafkaConnection): KafkaClient {
  if (!conn.brokers.length) throw new SourceError('kafka: no brokers configured');
  let ssl: boolean | { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } | undefined;
  if (conn.ssl) {
    const ca = optionalSecretEnv(KAFKA_SECRET_ENV.ca, 'the TLS CA');
    const cert = optionalSecretEnv(KAFKA_SECRET_ENV.cert, 'the TLS client certificate');
    const key = optionalSecretEnv(KAFKA_SECRET_ENV.key, 'the TLS client key');
    const reject = typeof conn.ssl === 'object' ? conn.ssl.rejectUnauthorized : undefined;
    ssl =
      ca || cert || key || reject !== undefined
        ? {
            ...(ca ? { ca } : {}),
            ...(cert ? { cert } : {}),
            ...(key ? { key } : {}),
            ...(reject === undefined ? {} : { rejectUnauthorized: reject }),
          }
        : true;
  }
  let sasl: SASLOptions | undefined;
  if (conn.sasl) {
    sasl = {
      mechanism: conn.sasl.mechanism,
      username: readSecretEnv(KAFKA_SECRET_ENV.username, 'the SASL user name'),
      password: readSecretEnv(KAFKA_SECRET_ENV.password, 'the SASL password'),
    } as SASLOptions;
  }
  const kafka = new Kafka({
    brokers: conn.brokers,
    clientId: conn.clientId,
    ...(ssl === undefined ? {} : { ssl }),
    ...(sasl ? { sasl } : {}),
    connectionTimeout: conn.connectionTimeoutMs ?? 3000,
    requestTimeout: conn.requestTimeoutMs ?? 30000,
    // A broker restart must not end the run: keep retrying with capped backoff for about a minute.
    retry: { retries: 12, initialRetryTime: 100, maxRetryTime: 5000 },
    logLevel: LEVELS[conn.logLevel ?? 'nothing'],
    logCreator,
  });

  return {
    consumer: (options) =>
      wrapConsumer(
        kafka.consumer({
          groupId: options.groupId,
          sessionTimeout: options.sessionTimeoutMs ?? 10000,
          rebalanceTimeout: options.rebalanceTimeoutMs ?? 5000,
          heartbeatInterval: options.heartbeatIntervalMs ?? 500,
          maxBytesPerPartition: options.maxBytesPerPartition ?? 8 << 20,
          maxBytes: options.maxBytes ?? 32 << 20,
          maxWaitTimeInMs: options.maxWaitTimeMs ?? 100,
          allowAutoTopicCreation: false,
          retry: { retries: 12, initialRetryTime: 100, maxRetryTime: 5000 },
        }),
        options,
      ),
    producer: async (options = {}) => {
      const p = kafka.producer({
        allowAutoTopicCreation: false,
        idempotent: options.idempotent ?? false,
        ...(options.idempotent ? { maxInFlightRequests: 1 } : {}),
        createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      });
      await p.connect();
      return wrapProducer(p);
    },
    admin: async () => {
      const a = kafka.admin();
      await a.connect();
      return wrapAdmin(a);
    },
  };
}

function wrapProducer(p: Producer): KafkaProducer {
  return {
    async send(topic, messages) {
      if (!messages.length) return;
      await p.send({
        topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: messages.map((m) => ({
          key: m.key ?? null,
          value: m.value,
          ...(m.headers ? { headers: m.headers } : {}),
          ...(m.partition === undefined ? {} : { partition: m.partition }),
        })),
      });
    },
    disconnect: () => p.disconnect(),
  };
}

function wrapConsumer(c: Consumer, options: ConsumerOptions): GroupConsumer {
  const assignmentListeners: ((a: TopicPartitions[]) => void)[] = [];
  c.on(c.events.GROUP_JOIN, (e) => {
    const assigned = Object.entries(e.payload.memberAssignment).map(([topic, partitions]) => ({
      topic,
      partitions: [...partitions],
    }));
    for (const l of assignmentListeners) l(assigned);
  });
  return {
    subscribe: (topics, fromBeginning) => c.connect().then(() => c.subscribe({ topics, fromBeginning })),
    run: (onBatch) =>
      c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          await onBatch(
            {
              topic: batch.topic,
              partition: batch.partition,
              highWatermark: batch.highWatermark,
              // kafkajs' message objects already have this shape (key, value, headers, offset): no copy per message.
              messages: batch.messages as unknown as IncomingMessage[],
            },
            { heartbeat, isActive: () => isRunning() && !isStale() },
          );
          // Resolving tells kafkajs where to fetch next; committing is separate and happens only once the
          // events are in durable state (GroupConsumer.commit).
          const last = batch.messages[batch.messages.length - 1];
          if (last && isRunning() && !isStale()) resolveOffset(last.offset);
        },
      }),
    onAssignment: (l) => {
      assignmentListeners.push(l);
    },
    onCrash: (l) => {
      c.on(c.events.CRASH, (e) => l(e.payload.error, e.payload.restart));
    },
    commit: (offsets) =>
      c.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))),
    seek: (o) => c.seek({ topic: o.topic, partition: o.partition, offset: o.offset }),
    pause: (tps) => c.pause(tps.map((t) => ({ topic: t.topic, partitions: t.partitions }))),
    resume: (tps) => c.resume(tps.map((t) => ({ topic: t.topic, partitions: t.partitions }))),
    disconnect: () => c.disconnect(),
  };
}

function wrapAdmin(a: Admin): KafkaAdmin {
  return {
    async ensureTopics(topics) {
      const existing = new Set(await a.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (!missing.length) return;
      try {
        await a.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({
            topic: t.topic,
            numPartitions: t.partitions,
            ...(t.compacted ? { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] } : {}),
          })),
        });
      } catch (e) {
        throw new SourceError(
          `kafka: cannot create topics ${missing.map((t) => t.topic).join(', ')} (create them on the broker first)`,
          { cause: e },
        );
      }
    },
    async endOffsets(topic) {
      const offs = await a.fetchTopicOffsets(topic);
      return new Map(offs.map((o) => [o.partition, o.high]));
    },
    async committedOffsets(groupId, topic) {
      const res = await a.fetchOffsets({ groupId, topics: [topic] });
      const out = new Map<number, string>();
      for (const t of res) for (const p of t.partitions) out.set(p.partition, p.offset);
      return out;
    },
    async partitionCount(topic) {
      const md = await a.fetchTopicMetadata({ topics: [topic] });
      const t = md.topics.find((x) => x.name === topic);
      if (!t) throw new SourceError(`kafka: topic ${topic} does not exist`);
      return t.partitions.length;
    },
    async setGroupOffsets(groupId, offsets) {
      const byTopic = new Map<string, { partition: number; offset: string }[]>();
      for (const o of offsets)
        byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: o.offset }]);
      for (const [topic, partitions] of byTopic) await a.setOffsets({ groupId, topic, partitions });
    },
    disconnect: () => a.disconnect(),
  };
}
