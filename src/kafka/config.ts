/**
 * The Kafka parts of a topology, validated (fastest-validator) and turned into client, source, sink and
 * scale-out settings. Secrets are never in the file, nor the names of the variables that hold them: SASL credentials
 * and TLS material come from SIDEBAND_KAFKA_USERNAME, _PASSWORD, _CA, _CERT and _KEY (client.ts). Cleartext SASL
 * (SASL without TLS) and TLS without certificate checks are refused unless the command was given --insecure.
 *
 *   kafka:                          # connection, shared by source, sinks, router and workers
 *     brokers: [host:9092]          # or "h1:9092,h2:9092"; absent: $KAFKA_BROKERS
 *     clientId: sideband
 *     ssl: true | { rejectUnauthorized }
 *     sasl: { mechanism: scram-sha-512 }
 *     scaleOut:                     # router + workers (sideband router / sideband worker)
 *       repartitionTopic: sideband.windows
 *       partitions: 6
 *       group: sideband-workers
 *       checkpointDir: /var/lib/sideband/checkpoints
 *   source: { kind: kafka, topic: events, group: sideband, format: arrow|json, deadLetterTopic: events.dlq,
 *             fromBeginning: true, stopAtEnd: false, maxBatchesAhead: 4 }
 *   sinks: { kafka: { results: sideband.results, alerts: sideband.alerts } }
 */
import FastestValidator from 'fastest-validator';
import type { ColumnSpec } from '../events/decode.js';
import { TopologyError } from '../events/errors.js';
import type { KafkaConnection } from './client.js';

// fastest-validator is CommonJS whose typings declare an ES default export; at runtime the module itself is the class.
const Validator = FastestValidator as unknown as typeof import('fastest-validator').default;
const v = new Validator();

/** The slice of a topology this file reads (structural, so sources/ does not import topology/). */
export interface KafkaTopologyView {
  name: string;
  source: { kind: string; [key: string]: unknown };
  columns: Record<string, ColumnSpec | string>;
  label?: string;
  weight?: string;
  sinks?: { kafka?: Record<string, unknown> };
  kafka?: Record<string, unknown>;
}

/** Message formats of event topics: Arrow IPC record batches or JSON rows (src/formats). */
export type KafkaFormat = 'arrow' | 'json';

/** A Kafka source's settings as the topology declares them (src/sources/kafka.ts adds the callbacks). */
export interface KafkaSourceSettings {
  connection: KafkaConnection;
  topics: string[];
  groupId: string;
  format: KafkaFormat;
  /** Source columns every message must hold (required for JSON; for Arrow, absent = take what comes). */
  columns?: string[];
  deadLetterTopic?: string;
  /** Where a group without committed offsets starts (default true: the beginning of the topic). */
  fromBeginning?: boolean;
  /**
   * Bounded run: complete once every partition of the topics has been read up to the end offsets seen at start
   * (replays, tests, benchmarks). Default false: read until aborted.
   */
  stopAtEnd?: boolean;
  /** Batches decoded ahead of the pipeline before the consumer pauses (default 64). */
  maxBatchesAhead?: number;
  /** Events per emitted batch, at most (default 65536; a columnar message is never split). */
  maxEventsPerBatch?: number;
  /** Bytes of one message, at most (default 64 MiB Arrow, 16 MiB JSON); a larger one is dead-lettered unread. */
  maxMessageBytes?: number;
  /** Events handed to the pipeline per second, at most (absent: no cap); the soak test's slow consumer. */
  maxEventsPerSecond?: number;
}

export interface ScaleOutConfig {
  repartitionTopic: string;
  partitions: number;
  group: string;
  checkpointDir: string;
}

/** fastest-validator rules of the `kafka:` block (the topology validates it strictly at load time, too). */
export const KAFKA_CONNECTION_RULES = {
  brokers: { type: 'multi', optional: true, rules: [{ type: 'array', items: 'string|min:1', min: 1 }, 'string|min:1'] },
  clientId: 'string|min:1|optional',
  ssl: {
    type: 'multi',
    optional: true,
    rules: ['boolean', { type: 'object', strict: true, props: { rejectUnauthorized: 'boolean|optional' } }],
  },
  sasl: {
    type: 'object',
    optional: true,
    strict: true,
    props: { mechanism: { type: 'enum', values: ['plain', 'scram-sha-256', 'scram-sha-512'] } },
  },
  connectionTimeoutMs: 'number|positive|optional',
  requestTimeoutMs: 'number|positive|optional',
  logLevel: { type: 'enum', values: ['nothing', 'error', 'warn', 'info', 'debug'], optional: true },
  scaleOut: {
    type: 'object',
    optional: true,
    strict: true,
    props: {
      repartitionTopic: 'string|min:1',
      partitions: 'number|integer|positive|default:6',
      group: 'string|min:1|optional',
      checkpointDir: 'string|min:1',
    },
  },
};
const connectionCheck = v.compile({ $$strict: true, ...KAFKA_CONNECTION_RULES });

/** fastest-validator rules of a `source: {kind: kafka}` block. */
export const KAFKA_SOURCE_RULES = {
  kind: { type: 'equal', value: 'kafka' },
  topic: { type: 'multi', rules: [{ type: 'array', items: 'string|min:1', min: 1 }, 'string|min:1'] },
  group: 'string|min:1|optional',
  format: { type: 'enum', values: ['arrow', 'json'], default: 'arrow' },
  deadLetterTopic: 'string|min:1|optional',
  fromBeginning: 'boolean|optional',
  stopAtEnd: 'boolean|optional',
  maxBatchesAhead: 'number|integer|positive|optional',
  maxEventsPerBatch: 'number|integer|positive|optional',
  maxMessageBytes: 'number|integer|positive|optional',
  maxEventsPerSecond: 'number|positive|optional',
};
const sourceCheck = v.compile({ $$strict: true, ...KAFKA_SOURCE_RULES });

/** fastest-validator rules of the `sinks.kafka` block. */
export const KAFKA_SINK_RULES = { results: 'string|min:1|optional', alerts: 'string|min:1|optional' };
const sinkCheck = v.compile({ $$strict: true, ...KAFKA_SINK_RULES });

function check(
  fn: (x: unknown) => true | { field?: string; message?: string }[] | Promise<unknown>,
  obj: unknown,
  path: string,
  file?: string,
): void {
  const res = fn(obj);
  if (res !== true) {
    const list = (res as { field?: string; message?: string }[]).map((e) => e.message ?? e.field).join('; ');
    throw new TopologyError(list, { ...(file ? { file } : {}), path });
  }
}

/**
 * The only environment variables the Kafka client reads secrets from. TLS material is PEM text, or a path to a PEM
 * file when the value starts with '/'; the CA and the client certificate and key are used when set.
 */
export const KAFKA_SECRET_ENV = {
  username: 'SIDEBAND_KAFKA_USERNAME',
  password: 'SIDEBAND_KAFKA_PASSWORD',
  ca: 'SIDEBAND_KAFKA_CA',
  cert: 'SIDEBAND_KAFKA_CERT',
  key: 'SIDEBAND_KAFKA_KEY',
} as const;

/**
 * What this process allows of a topology's Kafka security: `insecure` (the command's --insecure) lets a topology
 * use SASL without TLS (credentials in cleartext) and TLS without certificate checks.
 */
export const kafkaPolicy = { insecure: false };

/** Keys that named environment variables in earlier topologies: refused with a pointer to the fixed variables. */
const NAMED_SECRETS = ['ssl.caEnv', 'ssl.certEnv', 'ssl.keyEnv', 'sasl.usernameEnv', 'sasl.passwordEnv'];

function checkSecurity(k: Record<string, unknown>, file?: string): void {
  const where = (path: string) => ({ ...(file ? { file } : {}), path });
  for (const key of NAMED_SECRETS) {
    const [a, b] = key.split('.') as [string, string];
    const section = k[a];
    if (section && typeof section === 'object' && b in section)
      throw new TopologyError(
        `a topology cannot name the variables its secrets come from: Kafka credentials are read from ${Object.values(KAFKA_SECRET_ENV).join(', ')}`,
        where(`kafka.${key}`),
      );
  }
  if (kafkaPolicy.insecure) return;
  if (k.sasl && !k.ssl)
    throw new TopologyError(
      'SASL without TLS sends the credentials in cleartext: set kafka.ssl, or run with --insecure',
      where('kafka.sasl'),
    );
  if (k.ssl && typeof k.ssl === 'object' && (k.ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized === false)
    throw new TopologyError(
      'TLS without certificate checks (rejectUnauthorized: false) needs --insecure',
      where('kafka.ssl.rejectUnauthorized'),
    );
}

/** Connection settings from `kafka:` (brokers from $KAFKA_BROKERS when the file names none). */
export function kafkaConnection(t: KafkaTopologyView, file?: string): KafkaConnection {
  const k = { ...(t.kafka ?? {}) };
  checkSecurity(k, file);
  check(connectionCheck as never, k, 'kafka', file);
  const raw = k.brokers ?? process.env.KAFKA_BROKERS;
  if (!raw)
    throw new TopologyError('no brokers: set kafka.brokers or the KAFKA_BROKERS environment variable', {
      ...(file ? { file } : {}),
      path: 'kafka.brokers',
    });
  const brokers = (Array.isArray(raw) ? (raw as string[]) : String(raw).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    brokers,
    clientId: (k.clientId as string | undefined) ?? `sideband-${t.name}`,
    ...(k.ssl === undefined ? {} : { ssl: k.ssl as KafkaConnection['ssl'] }),
    ...(k.sasl === undefined ? {} : { sasl: k.sasl as KafkaConnection['sasl'] }),
    ...(k.connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs: k.connectionTimeoutMs as number }),
    ...(k.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: k.requestTimeoutMs as number }),
    ...(k.logLevel === undefined ? {} : { logLevel: k.logLevel as KafkaConnection['logLevel'] }),
  };
}

export function scaleOutConfig(t: KafkaTopologyView, file?: string): ScaleOutConfig {
  const k = { ...(t.kafka ?? {}) };
  check(connectionCheck as never, k, 'kafka', file);
  const s = k.scaleOut as Partial<ScaleOutConfig> | undefined;
  if (!s)
    throw new TopologyError('scale-out needs kafka.scaleOut { repartitionTopic, partitions, checkpointDir }', {
      ...(file ? { file } : {}),
      path: 'kafka.scaleOut',
    });
  return {
    repartitionTopic: s.repartitionTopic!,
    partitions: s.partitions ?? 6,
    group: s.group ?? `sideband-workers-${t.name}`,
    checkpointDir: s.checkpointDir!,
  };
}

/** Source columns the topology reads (canonical columns' sources, then label and weight). */
export function sourceColumns(t: KafkaTopologyView): string[] {
  const cols = Object.entries(t.columns).map(([name, c]) => (typeof c === 'string' ? name : (c.from ?? name)));
  if (t.label) cols.push(t.label);
  if (t.weight) cols.push(t.weight);
  return [...new Set(cols)];
}

export function kafkaSourceSettings(t: KafkaTopologyView, file?: string): KafkaSourceSettings {
  const s = { ...t.source };
  check(sourceCheck as never, s, 'source', file);
  const topics = Array.isArray(s.topic) ? (s.topic as string[]) : [s.topic as string];
  return {
    connection: kafkaConnection(t, file),
    topics,
    groupId: (s.group as string | undefined) ?? `sideband-${t.name}`,
    format: s.format as KafkaFormat,
    columns: sourceColumns(t),
    ...(s.deadLetterTopic ? { deadLetterTopic: s.deadLetterTopic as string } : {}),
    ...(s.fromBeginning === undefined ? {} : { fromBeginning: s.fromBeginning as boolean }),
    ...(s.stopAtEnd === undefined ? {} : { stopAtEnd: s.stopAtEnd as boolean }),
    ...(s.maxBatchesAhead === undefined ? {} : { maxBatchesAhead: s.maxBatchesAhead as number }),
    ...(s.maxEventsPerBatch === undefined ? {} : { maxEventsPerBatch: s.maxEventsPerBatch as number }),
    ...(s.maxMessageBytes === undefined ? {} : { maxMessageBytes: s.maxMessageBytes as number }),
    ...(s.maxEventsPerSecond === undefined ? {} : { maxEventsPerSecond: s.maxEventsPerSecond as number }),
  };
}

export function kafkaSinkTopics(
  t: KafkaTopologyView,
  file?: string,
): { results?: string; alerts?: string } | undefined {
  const k = t.sinks?.kafka;
  if (!k) return undefined;
  check(sinkCheck as never, k, 'sinks.kafka', file);
  return {
    ...(k.results ? { results: k.results as string } : {}),
    ...(k.alerts ? { alerts: k.alerts as string } : {}),
  };
}
