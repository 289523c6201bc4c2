/**
 * `sideband produce --from FILE.parquet|generate --topic T [--format arrow|json] [--rate EVENTS_PER_S]
 *   [--brokers h:p,...] [--client-id ID] [--topology FILE.yaml] [--events-per-message N] [--partitions N]
 *   [--events N --seed S --signal "mA=3500,mB=500,mC=100,n=1000"]...`
 *
 * Replays events into a topic in a source format: Arrow IPC batch messages (default; many events per message) or
 * JSON rows (one event per message). Brokers come from --brokers, else the topology's kafka section, else
 * $KAFKA_BROKERS; SASL/TLS settings only from a topology (secrets from the environment). With --rate the
 * replay is paced to that many events per second (near-online tests); without it, it goes as fast as it can.
 */
import { flag, numberFlag, parseArgs } from './args.js';
import type { EventBatch } from '../events/batch.js';
import type { Source } from '../sources/source.js';
import { connectKafka, type KafkaConnection } from '../kafka/client.js';
import { EventTopicWriter } from '../sinks/kafka-events.js';
import type { KafkaFormat } from '../kafka/config.js';

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

export interface ProduceReport { events: number; messages: number; bytes: number; seconds: number }

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
  const writer = new EventTopicWriter(producer, { topic: o.topic, partitions, format: o.format, ...(o.eventsPerMessage ? { eventsPerMessage: o.eventsPerMessage } : {}) });
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

export async function produceCommand(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, ['quiet']);
    const from = flag(args, 'from');
    const topic = flag(args, 'topic');
    if (!from || !topic) throw new Error('usage: sideband produce --from FILE.parquet|generate --topic T [--format arrow|json] [--rate R] [--brokers h:p]');
    const format = (flag(args, 'format') ?? 'arrow') as KafkaFormat;
    if (format !== 'arrow' && format !== 'json') throw new Error(`option --format: '${String(format)}' is not arrow or json`);
    let connection: KafkaConnection;
    const topologyFile = flag(args, 'topology');
    if (topologyFile) {
      const { loadTopology } = await import('../topology/load.js');
      const { kafkaConnection } = await import('../kafka/config.js');
      connection = kafkaConnection(await loadTopology(topologyFile, []), topologyFile);
    } else {
      const brokers = flag(args, 'brokers') ?? process.env.KAFKA_BROKERS;
      if (!brokers) throw new Error('no brokers: give --brokers, --topology or set KAFKA_BROKERS');
      connection = { brokers: brokers.split(',').map((s) => s.trim()).filter(Boolean), clientId: 'sideband-produce' };
    }
    if (flag(args, 'brokers')) connection = { ...connection, brokers: flag(args, 'brokers')!.split(',') };
    if (flag(args, 'client-id')) connection = { ...connection, clientId: flag(args, 'client-id')! };
    let source: Source;
    if (from === 'generate') {
      const { GeneratorSource, parseResonanceSpec } = await import('../sources/generator.js');
      source = new GeneratorSource({
        events: numberFlag(args, 'events'),
        seed: numberFlag(args, 'seed', 0),
        signals: (args.flags.get('signal') ?? []).map(parseResonanceSpec),
      });
    } else {
      const { ParquetSource } = await import('../sources/parquet.js');
      source = new ParquetSource({ path: from });
    }
    const rate = flag(args, 'rate') === undefined ? undefined : numberFlag(args, 'rate');
    if (rate !== undefined && !(rate > 0)) throw new Error('option --rate must be a positive number of events per second');
    const epm = flag(args, 'events-per-message') === undefined ? undefined : numberFlag(args, 'events-per-message');
    const partitions = flag(args, 'partitions') === undefined ? undefined : numberFlag(args, 'partitions');
    const r = await produceEvents({ connection, source, topic, format, ...(rate ? { rate } : {}), ...(epm ? { eventsPerMessage: epm } : {}), ...(partitions ? { partitions } : {}) });
    if (flag(args, 'quiet') !== 'true') {
      process.stdout.write(`produce: ${r.events} events in ${r.messages} ${format} messages (${(r.bytes / 1e6).toFixed(1)} MB) -> ${topic} in ${r.seconds.toFixed(2)} s (${Math.round(r.events / Math.max(r.seconds, 1e-9))} events/s)\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`sideband produce: ${(e as Error).message}\n`);
    return 2;
  }
}
