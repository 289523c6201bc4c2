import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WindowResult } from '../../src/events/result.js';
import { runTopology } from '../../src/run.js';
import { parseTopology } from '../../src/topology/load.js';
import { ParquetSource } from '../../src/sources/parquet.js';
import { connectKafka } from '../../src/kafka/client.js';
import { produceEvents } from '../../src/scaleout/produce.js';
import { openTopologyKafkaSinks } from '../../src/sinks/kafka.js';
import {
  generatedParquet,
  normalizeResults,
  searchTopology,
  startBroker,
  uniqueTopic,
  type TestBroker,
  readTopic,
} from '../helpers/kafka.js';

const kafkaTopology = (brokers: string[], topic: string, extraSinks = '') =>
  parseTopology(
    searchTopology(
      `{ kind: kafka, topic: ${topic}, group: ${uniqueTopic('g')}, format: arrow, stopAtEnd: true, maxBatchesAhead: 2 }`,
      `kafka: { brokers: [${brokers.join(', ')}], clientId: sideband-test }`,
    ).replace(
      'sinks: { results: true, deadLetters: true, report: false }',
      `sinks: { results: true, deadLetters: true, report: false${extraSinks} }`,
    ),
    'kafka.yaml',
  );

describe('generated events -> topic -> sideband run -> results topic', () => {
  let broker: TestBroker;
  let dir: string;
  let parquet: string;
  beforeAll(async () => {
    broker = await startBroker({ needsRestart: true });
    dir = mkdtempSync(path.join(tmpdir(), 'sideband-kafka-flow-'));
    // 60,000 events (3.7 MB): librdkafka's mock broker keeps at most ~5 MB per partition.
    parquet = await generatedParquet(dir, 60000, 5);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('gives exactly the results of the Parquet run on the same events, on the results topic keyed by window', async () => {
    const fileRun = await runTopology(
      parseTopology(searchTopology(`{ kind: parquet, path: ${parquet} }`), 'file.yaml'),
      { file: 'file.yaml', outDir: path.join(dir, 'file') },
    );
    expect(fileRun.results.length).toBeGreaterThan(7);

    const topic = uniqueTopic('events');
    const resultsTopic = uniqueTopic('results');
    const alertsTopic = uniqueTopic('alerts');
    // One partition keeps the file's event order, so even the mid-run (threshold) analyses see the same events.
    await broker.createTopic(topic, 1);
    await broker.createTopic(resultsTopic, 3);
    await broker.createTopic(alertsTopic, 1);
    const produced = await produceEvents({
      connection: { brokers: broker.brokers, clientId: 'produce' },
      source: new ParquetSource({ path: parquet }),
      topic,
      format: 'arrow',
      eventsPerMessage: 4096,
    });
    expect(produced.events).toBe(60000);

    const t = kafkaTopology(broker.brokers, topic, `, kafka: { results: ${resultsTopic}, alerts: ${alertsTopic} }`);
    const sinks = await openTopologyKafkaSinks(t, 'kafka.yaml');
    expect(sinks).toBeDefined();
    let kafkaRun: Awaited<ReturnType<typeof runTopology>>;
    try {
      kafkaRun = await runTopology(t, {
        file: 'kafka.yaml',
        outDir: path.join(dir, 'kafka'),
        onResult: (r) => sinks!.result(r),
        onAlert: (a) => sinks!.alert(a),
      });
    } finally {
      await sinks!.close();
    }
    expect(kafkaRun.summary.events).toEqual(fileRun.summary.events);
    expect(normalizeResults(kafkaRun.results)).toEqual(normalizeResults(fileRun.results));

    const client = connectKafka({ brokers: broker.brokers, clientId: 'reader' });
    const onTopic = await readTopic(client, resultsTopic, fileRun.results.length);
    expect(onTopic).toHaveLength(fileRun.results.length);
    const parsed = onTopic.map((m) => JSON.parse(m.value!.toString()) as WindowResult);
    for (let i = 0; i < onTopic.length; i++) expect(onTopic[i]!.key!.toString()).toBe(parsed[i]!.window.id);
    expect(normalizeResults(parsed)).toEqual(normalizeResults(fileRun.results));
  });

  it('loses and duplicates nothing in the final histograms when the broker stops and restarts mid-run', async () => {
    const fileRun = await runTopology(
      parseTopology(searchTopology(`{ kind: parquet, path: ${parquet} }`), 'file.yaml'),
      { file: 'file.yaml', outDir: path.join(dir, 'file2') },
    );
    const topic = uniqueTopic('events');
    await broker.createTopic(topic, 1);
    await produceEvents({
      connection: { brokers: broker.brokers, clientId: 'produce' },
      source: new ParquetSource({ path: parquet }),
      topic,
      format: 'arrow',
      eventsPerMessage: 2048,
    });
    let outage: Promise<void> | undefined;
    const kafkaRun = await runTopology(kafkaTopology(broker.brokers, topic), {
      file: 'kafka.yaml',
      outDir: path.join(dir, 'kafka2'),
      onResult: () => {
        // At the first mid-run result, the broker goes away for two seconds (clients disconnected, reconnects refused).
        if (outage) return;
        outage = (async () => {
          await broker.down();
          await new Promise((r) => setTimeout(r, 2000));
          await broker.up();
        })();
      },
    });
    await outage;
    expect(outage).toBeDefined();
    expect(kafkaRun.summary.events).toEqual(fileRun.summary.events);
    const finals = (rs: WindowResult[]) => normalizeResults(rs.filter((r) => r.trigger === 'end'));
    expect(finals(kafkaRun.results)).toEqual(finals(fileRun.results));
  });
});
