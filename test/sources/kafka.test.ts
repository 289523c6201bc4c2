import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import type { EventBatch } from '../../src/events/batch.js';
import { ParquetSource } from '../../src/sources/parquet.js';
import { connectKafka, type KafkaClient, type IncomingMessage } from '../../src/kafka/client.js';
import { KafkaSource, DLQ_HEADERS } from '../../src/sources/kafka.js';
import { EventTopicWriter } from '../../src/sinks/kafka-events.js';
import { encodeArrowMessages } from '../../src/formats/arrow.js';
import { GeneratorSource } from '../../src/sources/generator.js';
import { mutants } from '../fuzz/mutate.js';
import { lhcoDir } from '../helpers/paths.js';
import { startBroker, uniqueTopic, type TestBroker, readTopic } from '../helpers/kafka.js';

const COLUMNS = ['mjj', 'mj_min', 'delta_mj', 'tau21_lighter', 'tau21_heavier', 'label'];

async function readLhco(file: string, limit = Infinity): Promise<EventBatch[]> {
  const out: EventBatch[] = [];
  let n = 0;
  for await (const b of new ParquetSource({ path: path.join(lhcoDir, file), columns: COLUMNS }).batches()) {
    if (n >= limit) break;
    out.push(b);
    n += b.length;
  }
  return out;
}

/** Every event as one comparable key (order across partitions is not defined, the multiset is). */
function eventKeys(batches: EventBatch[]): string[] {
  const keys: string[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) keys.push(COLUMNS.map((c) => b.columns[c]![i]).join(','));
  }
  return keys.sort();
}

async function consumeAll(
  source: KafkaSource,
  onBatch?: (b: EventBatch, n: number) => Promise<void>,
): Promise<EventBatch[]> {
  const got: EventBatch[] = [];
  try {
    for await (const b of source.batches()) {
      got.push(b);
      await onBatch?.(b, got.length);
      await source.commit(b.positions);
    }
  } finally {
    await source.close();
  }
  return got;
}

describe('KafkaSource against a real Kafka-protocol broker', () => {
  let broker: TestBroker;
  let client: KafkaClient;
  beforeAll(async () => {
    broker = await startBroker({ needsRestart: true });
    client = connectKafka({ brokers: broker.brokers, clientId: 'sideband-test' });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('delivers every event of Arrow batch messages exactly once and commits their offsets', async () => {
    const topic = uniqueTopic('events');
    await broker.createTopic(topic, 3);
    const input = await readLhco('sr_val.parquet');
    const producer = await client.producer();
    const writer = new EventTopicWriter(producer, { topic, partitions: 3, format: 'arrow', eventsPerMessage: 5000 });
    for (const b of input) await writer.write(b);
    await producer.disconnect();

    const group = uniqueTopic('group');
    const lag = new Map<number, number[]>();
    const source = new KafkaSource({
      connection: { brokers: broker.brokers, clientId: 't' },
      client,
      topics: [topic],
      groupId: group,
      format: 'arrow',
      columns: COLUMNS,
      stopAtEnd: true,
      maxBatchesAhead: 2,
      onLag: (_t, p, n) => lag.set(p, [...(lag.get(p) ?? []), n]),
    });
    const got = await consumeAll(source);
    // Lag is reported per partition: positive while a partition is being read, zero once all is committed.
    expect([...lag.keys()].sort()).toEqual([0, 1, 2]);
    for (const series of lag.values()) {
      expect(Math.max(...series)).toBeGreaterThan(0);
      expect(series[series.length - 1]).toBe(0);
    }
    expect(source.lag().map((l) => l.lag)).toEqual([0, 0, 0]);
    expect(eventKeys(got)).toEqual(eventKeys(input));
    expect(source.counters.messagesRead).toBe(writer.messages);
    expect(source.counters.messagesDeadLettered).toBe(0);
    for (const b of got) expect(b.positions[0]).toMatchObject({ kind: 'kafka', topic });

    const admin = await client.admin();
    const ends = await admin.endOffsets(topic);
    const committed = await admin.committedOffsets(group, topic);
    await admin.disconnect();
    expect([...committed.entries()].sort()).toEqual([...ends.entries()].sort());
  });

  it('commits after the stream has ended (a bounded run commits once its results are durable)', async () => {
    const topic = uniqueTopic('late-commit');
    await broker.createTopic(topic, 2);
    const producer = await client.producer();
    const writer = new EventTopicWriter(producer, { topic, partitions: 2, format: 'arrow', eventsPerMessage: 3000 });
    for (const b of await readLhco('sr_val.parquet', 20000)) await writer.write(b);
    await producer.disconnect();
    const group = uniqueTopic('group');
    const source = new KafkaSource({
      connection: { brokers: broker.brokers, clientId: 't' },
      client,
      topics: [topic],
      groupId: group,
      format: 'arrow',
      columns: COLUMNS,
      stopAtEnd: true,
    });
    const positions = [];
    for await (const b of source.batches()) positions.push(...b.positions);
    await source.commit(positions);
    await source.close();
    const admin = await client.admin();
    const ends = await admin.endOffsets(topic);
    const committed = await admin.committedOffsets(group, topic);
    await admin.disconnect();
    expect([...committed.entries()].sort()).toEqual([...ends.entries()].sort());
  });

  it('dead-letters malformed JSON rows with reason and origin headers: read = accepted + dead-lettered', async () => {
    const topic = uniqueTopic('rows');
    const dlq = uniqueTopic('rows-dlq');
    await broker.createTopic(topic, 2);
    await broker.createTopic(dlq, 1);
    const input = await readLhco('sr_test.parquet', 2000);
    const good = input[0]!;
    const producer = await client.producer();
    const writer = new EventTopicWriter(producer, { topic, partitions: 2, format: 'json' });
    const msgs = writer.encode({ ...good, length: 2000 });
    const bad = [
      Buffer.from('{"mjj": 3.5, "mj_min": '), // truncated JSON
      Buffer.from('{"mjj": 3.5, "mj_min": 0.1, "delta_mj": 0.2, "tau21_lighter": 0.5, "label": 0}'), // missing field
      Buffer.from(
        '{"mjj": "3.5", "mj_min": 0.1, "delta_mj": 0.2, "tau21_lighter": 0.5, "tau21_heavier": 0.4, "label": 0}',
      ), // string
      Buffer.from(
        '{"mjj": null, "mj_min": 0.1, "delta_mj": 0.2, "tau21_lighter": 0.5, "tau21_heavier": 0.4, "label": 0}',
      ), // null (NaN)
      Buffer.from(''), // empty
    ];
    // Interleave the bad messages with good ones on both partitions.
    bad.forEach((value, i) => {
      msgs.splice(100 + i * 301, 0, { value, partition: i % 2 });
    });
    await writer.send(msgs);
    await producer.disconnect();

    const source = new KafkaSource({
      connection: { brokers: broker.brokers, clientId: 't' },
      client,
      topics: [topic],
      groupId: uniqueTopic('g'),
      format: 'json',
      columns: COLUMNS,
      deadLetterTopic: dlq,
      stopAtEnd: true,
    });
    const got = await consumeAll(source);
    const c = source.counters;
    expect(c.messagesRead).toBe(2005);
    expect(c.messagesDeadLettered).toBe(5);
    expect(c.messagesRead).toBe(c.messagesAccepted + c.messagesDeadLettered);
    expect(c.eventsAccepted).toBe(2000);
    expect(eventKeys(got)).toEqual(eventKeys([{ ...good, length: 2000 }]));

    const dead = await readTopic(client, dlq, 5);
    expect(dead).toHaveLength(5);
    const header = (m: IncomingMessage, h: string) => m.headers[h]?.toString();
    for (const m of dead) {
      expect(header(m, DLQ_HEADERS.topic)).toBe(topic);
      expect(['0', '1']).toContain(header(m, DLQ_HEADERS.partition));
      expect(header(m, DLQ_HEADERS.offset)).toMatch(/^\d+$/);
      expect(header(m, DLQ_HEADERS.error)).toContain(
        `${topic}[${header(m, DLQ_HEADERS.partition)}]@${header(m, DLQ_HEADERS.offset)}`,
      );
    }
    const reasons = dead.map((m) => header(m, DLQ_HEADERS.reason)).sort();
    expect(reasons).toEqual(['empty', 'invalid_value', 'malformed', 'missing_column', 'missing_column']);
    const errors = dead.map((m) => header(m, DLQ_HEADERS.error)!).join('\n');
    expect(errors).toContain('field tau21_heavier');
    expect(errors).toContain('field mjj');
  });

  it('probe 1: poison messages never kill the consumer: dead-lettered with their offsets, committed past, not read again', async () => {
    const topic = uniqueTopic('poison');
    const dlq = uniqueTopic('poison-dlq');
    await broker.createTopic(topic, 1);
    await broker.createTopic(dlq, 1);
    const input = await readLhco('sr_val.parquet', 20000);
    const producer = await client.producer();
    const writer = new EventTopicWriter(producer, { topic, partitions: 1, format: 'arrow', eventsPerMessage: 1000 });
    const good = input.flatMap((b) => writer.encode(b));
    // Mutants of a real message, and the poison: one bit that makes a field declare 1,048,576 children.
    const [base] = encodeArrowMessages(
      (await new GeneratorSource({ events: 600, seed: 1, batchSize: 600 }).batches()[Symbol.asyncIterator]().next())
        .value as EventBatch,
      600,
    );
    const poison = Buffer.from(base!);
    poison[302]! ^= 1 << 4;
    const bad = [poison, ...mutants(good[0]!.value as Buffer, 40, 5, [0, 1500]).map((m) => Buffer.from(m.bytes))];
    const msgs = [...good];
    for (const [i, value] of bad.entries()) msgs.splice(1 + i * 2, 0, { value, partition: 0 });
    await writer.send(msgs);
    await producer.disconnect();
    const group = uniqueTopic('g');
    const open = () =>
      new KafkaSource({
        connection: { brokers: broker.brokers, clientId: 't' },
        client,
        topics: [topic],
        groupId: group,
        format: 'arrow',
        columns: COLUMNS,
        deadLetterTopic: dlq,
        stopAtEnd: true,
      });
    const source = open();
    const got = await consumeAll(source);
    const c = source.counters;
    expect(c.messagesRead).toBe(msgs.length);
    expect(c.messagesRead).toBe(c.messagesAccepted + c.messagesDeadLettered);
    // Every good message is delivered whole; the poison and most mutants are dead letters.
    expect(c.messagesDeadLettered).toBeGreaterThan(10);
    expect(eventKeys(got).length).toBeGreaterThanOrEqual(20000);
    const dead = await readTopic(client, dlq, c.messagesDeadLettered);
    const offsets = dead.map((m) => Number(m.headers[DLQ_HEADERS.offset]!.toString()));
    expect(offsets).toContain(1); // the poison message, right after the first good one
    expect(
      dead.find((m) => m.headers[DLQ_HEADERS.offset]!.toString() === '1')!.headers[DLQ_HEADERS.error]!.toString(),
    ).toMatch(/declares 1048576 elements, past the end/);
    // Committed past every one of them: the group, restarted, reads nothing again.
    const again = open();
    expect(await consumeAll(again)).toEqual([]);
    expect(again.counters.messagesRead).toBe(0);
  });

  it('loses and duplicates nothing when the broker goes down and comes back mid-run', async () => {
    const topic = uniqueTopic('restart');
    await broker.createTopic(topic, 2);
    const input = await readLhco('sr_train.parquet');
    const producer = await client.producer();
    const writer = new EventTopicWriter(producer, { topic, partitions: 2, format: 'arrow', eventsPerMessage: 1000 });
    for (const b of input) await writer.write(b);
    await producer.disconnect();

    const source = new KafkaSource({
      connection: { brokers: broker.brokers, clientId: 't' },
      client,
      topics: [topic],
      groupId: uniqueTopic('g'),
      format: 'arrow',
      columns: COLUMNS,
      stopAtEnd: true,
      maxBatchesAhead: 1,
      maxEventsPerBatch: 2000,
    });
    let restarted = false;
    const got = await consumeAll(source, async (_b, n) => {
      if (n === 5) {
        // The pipeline is slow here (backpressure) while the broker is away for two seconds.
        await broker.down();
        await new Promise((r) => setTimeout(r, 2000));
        await broker.up();
        restarted = true;
      }
    });
    expect(restarted).toBe(true);
    expect(eventKeys(got)).toEqual(eventKeys(input));
  });
});
