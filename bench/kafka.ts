/**
 * Kafka benchmark: generated events replayed into topics on a Kafka-protocol broker on loopback (librdkafka's
 * mock cluster through test/kafka/mock-broker.c, or the cluster in $KAFKA_BROKERS), then consumed by the Kafka
 * source and pushed through decode/validate → derive → select → route into the window buffers (ATLAS 2024 cuts,
 * sliding windows), for both message formats:
 *   - columnar: Apache Arrow IPC record batches, 8192 events per message;
 *   - json: rows validated with fastest-validator, as JSON arrays of 100 rows per message (json_events_per_s)
 *     and as one row object per message (json_single_row_events_per_s; bound by the client's per-message cost).
 * The peer, in the same run: the broker with the same client library alone, i.e. a consumer that fetches the same
 * topic and does nothing with the messages (raw fetch), and the produce rate of the replay. Ratios are ours over
 * the raw fetch of the same topic.
 *
 *   npm run bench:kafka -- --json [--events N] [--json-events N] [--json-rows-per-message R] [--single-row-events N]
 *
 * Rates are timed from the first batch delivered to the last (the group join of a fresh consumer group, slow on
 * the mock broker, is reported apart as join_s).
 */
import { from, lastValueFrom, count } from 'rxjs';
import { ATLAS2024_CUTS, CutFlow } from '../src/events/cuts.js';
import { RunCounters } from '../src/events/observer.js';
import type { EventBatch } from '../src/events/batch.js';
import { buildWindows } from '../src/regions/index.js';
import { WindowBuffers } from '../src/regions/buffers.js';
import { OPERATORS } from '../src/operators/index.js';
import type { StageContext } from '../src/operators/context.js';
import { GeneratorSource, GENERATOR_COLUMNS } from '../src/sources/generator.js';
import { connectKafka, type KafkaClient } from '../src/kafka/client.js';
import type { KafkaFormat } from '../src/kafka/config.js';
import { KafkaSource } from '../src/sources/kafka.js';
import { EventTopicWriter } from '../src/sinks/kafka-events.js';
import { parseArgs, flag, numberFlag } from '../src/cli/args.js';
import { startBroker, uniqueTopic } from '../test/helpers/kafka.js';
import { benchEnvironment, loadAverageNow } from './summary.js';

const JET_COLUMNS = ['pt', 'eta', 'phi', 'm', 'tau1', 'tau2', 'tau3'].flatMap((f) => [`jet1_${f}`, `jet2_${f}`]);
const STORED = [
  'mjj',
  'mj_min',
  'mj_max',
  'delta_mj',
  'tau21_lighter',
  'tau21_heavier',
  'tau32_lighter',
  'tau32_heavier',
  'delta_y',
  'jet1_pt',
];
/** The mock broker keeps at most ~5 MB per partition (older record batches are dropped): spread the replay wide. */
const PARTITIONS = 64;

async function generate(events: number): Promise<EventBatch[]> {
  const out: EventBatch[] = [];
  for await (const b of new GeneratorSource({ events, seed: 7, batchSize: 65536 }).batches()) out.push(b);
  return out;
}

async function produce(
  client: KafkaClient,
  topic: string,
  format: KafkaFormat,
  batches: EventBatch[],
  eventsPerMessage: number | undefined,
  mock: boolean,
) {
  const producer = await client.producer();
  const writer = new EventTopicWriter(producer, {
    topic,
    partitions: PARTITIONS,
    format,
    ...(eventsPerMessage ? { eventsPerMessage } : {}),
  });
  const msgs = batches.flatMap((b) => writer.encode(b));
  const t0 = performance.now();
  await writer.send(msgs);
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  const events = batches.reduce((a, b) => a + b.length, 0);
  const perPartition = writer.bytes / PARTITIONS;
  if (mock && perPartition > 4.5e6) {
    throw new Error(
      `${topic}: ${(perPartition / 1e6).toFixed(1)} MB per partition; the mock broker keeps only ~5 MB per partition (use fewer events)`,
    );
  }
  return { events, messages: writer.messages, bytes: writer.bytes, seconds };
}

/** The broker and client alone: fetch every message of the topic, touch nothing. */
async function rawFetch(client: KafkaClient, topic: string, messages: number) {
  const consumer = client.consumer({ groupId: uniqueTopic('raw'), maxBytesPerPartition: 8 << 20, maxBytes: 32 << 20 });
  let got = 0;
  let bytes = 0;
  let first = 0;
  let last = 0;
  const t0 = performance.now();
  await consumer.subscribe([topic], true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`raw fetch of ${topic}: ${got} of ${messages} messages after 120 s`)),
      120000,
    );
    void consumer.run(async (b) => {
      if (!first) first = performance.now();
      got += b.messages.length;
      for (const m of b.messages) bytes += m.value?.length ?? 0;
      if (got >= messages) {
        last = performance.now();
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await consumer.disconnect();
  return { messages: got, bytes, seconds: (last - first) / 1000, joinSeconds: (first - t0) / 1000 };
}

/** Kafka source → decode → derive → select → route into the window buffers (the stages `sideband run` compiles). */
async function ours(client: KafkaClient, brokers: string[], topic: string, format: KafkaFormat) {
  const counters = new RunCounters();
  const ctx: StageContext = {
    counters,
    cutflow: new CutFlow(ATLAS2024_CUTS),
    deadLetter: () => {},
    observer: {},
    log: () => {},
  };
  const buffers = new WindowBuffers(buildWindows({ scheme: 'sliding' }), STORED, { weight: true, label: false });
  const spec = {
    columns: Object.fromEntries(JET_COLUMNS.map((c) => [c, { unit: /_(pt|m)$/.test(c) ? 'GeV' : 'none' }])),
  };
  const derived = ['mjj', 'delta_y', ...STORED.slice(1)];
  const source = new KafkaSource({
    connection: { brokers, clientId: 'bench' },
    client,
    topics: [topic],
    groupId: uniqueTopic('bench'),
    format,
    columns: [...GENERATOR_COLUMNS],
    stopAtEnd: true,
  });
  let first = 0;
  const t0 = performance.now();
  const batches = (async function* () {
    for await (const b of source.batches()) {
      if (!first) first = performance.now();
      yield b;
    }
  })();
  await lastValueFrom(
    from(batches).pipe(
      OPERATORS.decode(spec, ctx),
      OPERATORS.derive([], 'fourvector', { orderJets: true }),
      OPERATORS.select(ATLAS2024_CUTS.slice(0, 4), ctx, { offset: 0, first: true, last: false }),
      OPERATORS.derive(['delta_y'], 'fourvector', { orderJets: false }),
      OPERATORS.select(ATLAS2024_CUTS.slice(4), ctx, { offset: 4, first: false, last: true }),
      OPERATORS.derive(
        derived.filter((f) => f !== 'delta_y'),
        'fourvector',
        { orderJets: false },
      ),
      OPERATORS.route(buffers, ctx),
      count(),
    ),
  );
  const end = performance.now();
  await source.close();
  return {
    events: counters.read,
    stored: counters.stored,
    seconds: (end - first) / 1000,
    joinSeconds: (first - t0) / 1000,
    balanced: counters.balanced(),
    messages: source.counters.messagesRead,
    deadLettered: source.counters.messagesDeadLettered,
  };
}

async function main() {
  const environment = benchEnvironment();
  const args = parseArgs(process.argv.slice(2), ['json', 'verbose']);
  const columnarEvents = numberFlag(args, 'events', 2_000_000);
  const jsonEvents = numberFlag(args, 'json-events', 400_000);
  const jsonRowsPerMessage = numberFlag(args, 'json-rows-per-message', 100);
  const singleRowEvents = numberFlag(args, 'single-row-events', 100_000);
  const external = process.env.KAFKA_BROKERS;
  const broker = await startBroker();
  try {
    const client = connectKafka({
      brokers: broker.brokers,
      clientId: 'sideband-bench',
      ...(flag(args, 'verbose') === 'true' ? { logLevel: 'warn' as const } : {}),
    });
    const arrowTopic = uniqueTopic('bench-arrow');
    const jsonTopic = uniqueTopic('bench-json');
    const rowTopic = uniqueTopic('bench-json-row');
    await broker.createTopic(rowTopic, PARTITIONS);
    await broker.createTopic(arrowTopic, PARTITIONS);
    await broker.createTopic(jsonTopic, PARTITIONS);
    const arrowBatches = await generate(columnarEvents);
    const jsonBatches = await generate(jsonEvents);
    const rowBatches = await generate(singleRowEvents);

    const log = (m: string) => {
      if (flag(args, 'verbose') === 'true') process.stderr.write(`bench:kafka: ${m}\n`);
    };
    log('generated');
    const arrowProduce = await produce(client, arrowTopic, 'arrow', arrowBatches, undefined, !broker.external);
    log('arrow produced');
    const jsonProduce = await produce(client, jsonTopic, 'json', jsonBatches, jsonRowsPerMessage, !broker.external);
    const rowProduce = await produce(client, rowTopic, 'json', rowBatches, 1, !broker.external);
    log('json produced');
    const arrowRaw = await rawFetch(client, arrowTopic, arrowProduce.messages);
    log('arrow raw fetched');
    const jsonRaw = await rawFetch(client, jsonTopic, jsonProduce.messages);
    const rowRaw = await rawFetch(client, rowTopic, rowProduce.messages);
    log('json raw fetched');
    const arrowOurs = await ours(client, broker.brokers, arrowTopic, 'arrow');
    log('arrow pipeline done');
    const jsonOurs = await ours(client, broker.brokers, jsonTopic, 'json');
    log('json pipeline done');
    const rowOurs = await ours(client, broker.brokers, rowTopic, 'json');

    const rate = (n: number, s: number) => Math.round(n / s);
    const out = {
      bench: 'kafka',
      environment: { ...environment, loadAverageAtEnd: loadAverageNow() },
      broker: external ? 'external (KAFKA_BROKERS)' : 'librdkafka mock cluster (loopback, 1 broker)',
      client: 'kafkajs 2.2',
      partitions: PARTITIONS,
      columnar_format: 'Apache Arrow IPC stream, 8192 events per message',
      json_format: `JSON array of ${jsonRowsPerMessage} row objects per message, fastest-validator per row`,
      columnar_events: arrowOurs.events,
      columnar_events_per_s: rate(arrowOurs.events, arrowOurs.seconds),
      columnar_mb_per_s: +(arrowRaw.bytes / 1e6 / arrowOurs.seconds).toFixed(1),
      columnar_stored_events: arrowOurs.stored,
      json_events: jsonOurs.events,
      json_events_per_s: rate(jsonOurs.events, jsonOurs.seconds),
      json_single_row_events: rowOurs.events,
      json_single_row_events_per_s: rate(rowOurs.events, rowOurs.seconds),
      broker_fetch_columnar_events_per_s: rate(arrowProduce.events, arrowRaw.seconds),
      broker_fetch_columnar_mb_per_s: +(arrowRaw.bytes / 1e6 / arrowRaw.seconds).toFixed(1),
      broker_fetch_json_events_per_s: rate(jsonProduce.events, jsonRaw.seconds),
      broker_fetch_json_single_row_messages_per_s: rate(rowRaw.messages, rowRaw.seconds),
      broker_produce_columnar_events_per_s: rate(arrowProduce.events, arrowProduce.seconds),
      broker_produce_json_events_per_s: rate(jsonProduce.events, jsonProduce.seconds),
      broker_produce_json_single_row_messages_per_s: rate(rowProduce.messages, rowProduce.seconds),
      columnar_ratio_to_raw_fetch: +(arrowRaw.seconds / arrowOurs.seconds).toFixed(3),
      json_ratio_to_raw_fetch: +(jsonRaw.seconds / jsonOurs.seconds).toFixed(3),
      json_single_row_ratio_to_raw_fetch: +(rowRaw.seconds / rowOurs.seconds).toFixed(3),
      join_s: +arrowOurs.joinSeconds.toFixed(2),
      balanced: arrowOurs.balanced && jsonOurs.balanced && rowOurs.balanced,
      targets: { columnar_events_per_s: 1_000_000, json_events_per_s: 200_000 },
    };
    if (flag(args, 'json') === 'true') process.stdout.write(`${JSON.stringify(out)}\n`);
    else process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await broker.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`bench:kafka: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
