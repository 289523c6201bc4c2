/**
 * Replay events into a topic in a source format: Arrow IPC batch messages (many events per message) or JSON rows
 * (one event per message), optionally paced to a rate (near-online tests, soak tests, benchmarks).
 */
import type { EventBatch } from '../events/batch.js';
import { connectKafka, type KafkaConnection } from '../kafka/client.js';
import type { KafkaFormat } from '../kafka/config.js';
import { EventTopicWriter } from '../sinks/kafka-events.js';
import type { Source } from '../sources/source.js';

export interface ProduceOptions {
  connection: KafkaConnection;
  source: Source;
  topic: string;
  format: KafkaFormat;
  /** Events per second, at most; absent = unpaced. */
  rate?: number;
  eventsPerMessage?: number;
  /** Partitions of the topic to create when it does not exist. */
  partitions?: number;
  log?: (line: string) => void;
}

export interface ProduceReport {
  events: number;
  messages: number;
  bytes: number;
  seconds: number;
}

export async function produceEvents(o: ProduceOptions): Promise<ProduceReport> {
  const client = connectKafka(o.connection);
  const admin = await client.admin();
  let partitions: number;
  try {
    await admin.ensureTopics([{ topic: o.topic, partitions: o.partitions ?? 6 }]);
    partitions = await admin.partitionCount(o.topic);
  } finally {
    await admin.disconnect();
  }
  const producer = await client.producer();
  const writer = new EventTopicWriter(producer, {
    topic: o.topic,
    partitions,
    format: o.format,
    ...(o.eventsPerMessage ? { eventsPerMessage: o.eventsPerMessage } : {}),
  });
  const t0 = performance.now();
  try {
    for await (const batch of o.source.batches()) {
      if (o.rate) {
        // Pace in slices of about 1/20 s so the stream is smooth at the requested rate.
        const slice = Math.max(1, Math.round(o.rate / 20));
        for (let lo = 0; lo < batch.length; lo += slice) {
          const part = sliceBatch(batch, lo, Math.min(batch.length, lo + slice));
          await writer.write(part);
          const due = t0 + (writer.events / o.rate) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      } else {
        await writer.write(batch);
      }
    }
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { events: writer.events, messages: writer.messages, bytes: writer.bytes, seconds };
}

function sliceBatch(b: EventBatch, lo: number, hi: number): EventBatch {
  const columns: EventBatch['columns'] = {};
  for (const [k, c] of Object.entries(b.columns)) columns[k] = c.subarray(lo, hi);
  return {
    length: hi - lo,
    columns,
    positions: b.positions,
    ...(b.label ? { label: b.label.subarray(lo, hi) } : {}),
    ...(b.weight ? { weight: b.weight.subarray(lo, hi) } : {}),
  };
}
