/**
 * Kafka sinks: window results (WindowResult JSON, key = window id, so every result of a window lands in one
 * partition, in order) and anomaly alerts (AlertRecord JSON, same key). `write` queues and returns at once so
 * the pipeline never waits on the broker per record; records are sent in order, in small batches; `flush()` and
 * `close()` resolve once the broker has acknowledged everything written before (acks = all).
 */
import type { WindowResult } from '../events/result.js';
import {
  connectKafka,
  type KafkaClient,
  type KafkaConnection,
  type KafkaProducer,
  type OutgoingMessage,
} from '../kafka/client.js';
import { SinkError } from '../events/errors.js';

/** Header holding a result's (or alert's) key: run/window/working point/analysis (WindowResult.key). */
export const RESULT_KEY_HEADER = 'sideband-result-key';

export interface KafkaRecordSinkOptions {
  topic: string;
  /** Record → message key (default: the window id of a WindowResult or AlertRecord). */
  key?: (record: unknown) => string | null;
  /** Records per produce request, at most (default 500). */
  maxBatch?: number;
}

function windowKey(record: unknown): string | null {
  const w = (record as { window?: { id?: unknown } }).window;
  return typeof w?.id === 'string' ? w.id : null;
}

export class KafkaRecordSink {
  private pending: OutgoingMessage[] = [];
  private sending: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private written = 0;

  constructor(
    private readonly producer: KafkaProducer,
    private readonly options: KafkaRecordSinkOptions,
  ) {}

  get count(): number {
    return this.written;
  }

  write(record: unknown, headers?: Record<string, string>): void {
    if (this.failure) throw this.failure;
    this.pending.push({
      key: (this.options.key ?? windowKey)(record),
      value: JSON.stringify(record),
      ...(headers ? { headers } : {}),
    });
    this.written++;
    if (this.pending.length === 1) this.sending = this.sending.then(() => this.drain());
  }

  private async drain(): Promise<void> {
    const max = this.options.maxBatch ?? 500;
    while (this.pending.length) {
      const chunk = this.pending.splice(0, max);
      try {
        await this.producer.send(this.options.topic, chunk);
      } catch (e) {
        this.failure = new SinkError(
          `kafka sink: cannot write ${chunk.length} record(s) to ${this.options.topic}: ${(e as Error).message}`,
          { cause: e },
        );
        this.pending = [];
        return;
      }
    }
  }

  /** Resolves once every record written so far is acknowledged; rejects if any send failed. */
  async flush(): Promise<void> {
    await this.sending;
    if (this.failure) throw this.failure;
  }
}

/** The results and alerts topics of a run, on one producer. */
export class KafkaResultSinks {
  readonly results?: KafkaRecordSink;
  readonly alerts?: KafkaRecordSink;
  private constructor(
    private readonly producer: KafkaProducer,
    topics: { results?: string; alerts?: string },
  ) {
    if (topics.results) this.results = new KafkaRecordSink(producer, { topic: topics.results });
    if (topics.alerts) this.alerts = new KafkaRecordSink(producer, { topic: topics.alerts });
  }

  static async open(
    connection: KafkaConnection | KafkaClient,
    topics: { results?: string; alerts?: string },
  ): Promise<KafkaResultSinks> {
    const client = 'producer' in connection ? connection : connectKafka(connection);
    // Not the idempotent producer: kafkajs locates its producer-id broker through the controller id, which
    // librdkafka's mock cluster does not report. A send retried after a broker hiccup may therefore write a result
    // twice; consumers de-duplicate by the result's key (RESULT_KEY_HEADER), the record is the same.
    return new KafkaResultSinks(await client.producer(), topics);
  }

  /** A result, with its deterministic key also in a header (consumers de-duplicate by it). */
  result(r: WindowResult): void {
    this.results?.write(r, r.key ? { [RESULT_KEY_HEADER]: r.key } : undefined);
  }

  alert(a: { window: { id: string }; key?: string }): void {
    this.alerts?.write(a, a.key ? { [RESULT_KEY_HEADER]: a.key } : undefined);
  }

  /** Resolves once everything written so far is acknowledged (a run's checkpoint waits on it). */
  async flush(): Promise<void> {
    await this.results?.flush();
    await this.alerts?.flush();
  }

  async close(): Promise<void> {
    try {
      await this.results?.flush();
      await this.alerts?.flush();
    } finally {
      await this.producer.disconnect();
    }
  }
}

/**
 * The Kafka sinks a topology declares (`sinks.kafka: { results, alerts }` with the `kafka:` connection), or
 * undefined when it declares none. `sideband run`, the workers and the tests wire `result`/`alert` to them.
 */
export async function openTopologyKafkaSinks(
  t: import('../kafka/config.js').KafkaTopologyView,
  file?: string,
): Promise<KafkaResultSinks | undefined> {
  const { kafkaSinkTopics, kafkaConnection } = await import('../kafka/config.js');
  const topics = kafkaSinkTopics(t, file);
  if (!topics || (!topics.results && !topics.alerts)) return undefined;
  return KafkaResultSinks.open(kafkaConnection(t, file), topics);
}
