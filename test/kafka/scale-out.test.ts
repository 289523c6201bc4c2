import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WindowResult } from '../../src/events/result.js';
import { runRouter } from '../../src/scaleout/router.js';
import { Metrics } from '../../src/metrics/index.js';
import { produceEvents } from '../../src/scaleout/produce.js';
import { runTopology } from '../../src/run.js';
import { parseTopology } from '../../src/topology/load.js';
import type { Source } from '../../src/sources/source.js';
import type { EventBatch } from '../../src/events/batch.js';
import { ParquetSource } from '../../src/sources/parquet.js';
import { connectKafka, type GroupConsumer, type KafkaClient } from '../../src/kafka/client.js';
import { repoRoot } from '../helpers/paths.js';
import {
  generatedParquet,
  normalizeResults,
  searchTopology,
  startBroker,
  uniqueTopic,
  type TestBroker,
} from '../helpers/kafka.js';

const PARTITIONS = 3;

/** Every result on a topic, gathered while workers run; `waitFor` resolves once a predicate holds. */
class ResultsReader {
  readonly results: WindowResult[] = [];
  private consumer?: GroupConsumer;
  constructor(
    private readonly client: KafkaClient,
    private readonly topic: string,
  ) {}
  async start(): Promise<void> {
    this.consumer = this.client.consumer({ groupId: uniqueTopic('results-reader') });
    await this.consumer.subscribe([this.topic], true);
    await this.consumer.run(async (b) => {
      for (const m of b.messages) this.results.push(JSON.parse(m.value!.toString()) as WindowResult);
    });
  }
  async waitFor(what: string, done: (r: WindowResult[]) => boolean, timeoutMs = 45000): Promise<void> {
    const t0 = Date.now();
    while (!done(this.results)) {
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`timed out waiting for ${what} (${this.results.length} results so far)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** Events [lo, hi) of a Parquet file, as a Source (to produce an input in two parts). */
function slice(file: string, lo: number, hi: number): Source {
  return {
    description: `${file}[${lo},${hi})`,
    async *batches() {
      let at = 0;
      for await (const b of new ParquetSource({ path: file }).batches()) {
        const s = Math.max(lo, at) - at;
        const e = Math.min(hi, at + b.length) - at;
        at += b.length;
        if (e <= s) continue;
        const columns: EventBatch['columns'] = {};
        for (const [k, c] of Object.entries(b.columns)) columns[k] = c.subarray(s, e);
        yield { length: e - s, columns, positions: [] };
      }
    },
  };
}

describe('scale-out: router, workers in one group, checkpoints', () => {
  let broker: TestBroker;
  let client: KafkaClient;
  let dir: string;
  let parquet: string;
  let topologyFile: string;
  let expectedEnd: string[];
  const children = new Set<ChildProcess>();
  const routerMetrics = new Metrics({ role: 'router', defaultMetrics: false });
  const reRouted = { done: false };

  const startWorker = (group: string, results: string, label: string) => {
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/sideband.js'),
        'worker',
        topologyFile,
        ...(process.env.WORKER_DEBUG ? [] : ['--quiet']),
        '--set',
        `kafka.scaleOut.group=${group}`,
        '--set',
        `kafka.scaleOut.checkpointDir=${path.join(dir, 'checkpoints')}`,
        '--set',
        `sinks.kafka.results=${results}`,
        '--run-id',
        'scale-out',
        ...(process.env.WORKER_DEBUG ? ['--set', 'kafka.logLevel=error'] : []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr!.on('data', (d) => {
      err += String(d);
    });
    child.once('exit', (code, sig) => {
      if (code && code !== 0) process.stderr.write(`worker ${label} exited ${code} ${sig}: ${err}\n`);
    });
    children.add(child);
    return child;
  };
  const stopAll = async () => {
    await Promise.all(
      [...children].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) {
              resolve();
              return;
            }
            const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    children.clear();
  };
  const endCount = (rs: WindowResult[]) => new Set(normalizeResults(rs.filter((r) => r.trigger === 'end'))).size;

  beforeAll(async () => {
    broker = await startBroker();
    client = connectKafka({ brokers: broker.brokers, clientId: 'scale-out-test' });
    dir = mkdtempSync(path.join(tmpdir(), 'sideband-scale-out-'));
    parquet = await generatedParquet(dir, 60000, 9);
    const input = uniqueTopic('input');
    const repartition = uniqueTopic('windows');
    await broker.createTopic(input, 1);
    await broker.createTopic(repartition, PARTITIONS);
    writeFileSync(
      path.join(dir, 'scale.yaml'),
      searchTopology(
        `{ kind: kafka, topic: ${input}, group: router, format: arrow, stopAtEnd: true }`,
        `kafka: { brokers: [${broker.brokers.join(', ')}], clientId: scale-out, scaleOut: { repartitionTopic: ${repartition}, partitions: ${PARTITIONS}, group: unset, checkpointDir: ${dir} } }`,
      ).replace(
        'sinks: { results: true, deadLetters: true, report: false }',
        'sinks: { results: false, deadLetters: false, report: false, kafka: { results: unset } }',
      ),
    );
    topologyFile = path.join(dir, 'scale.yaml');
    // The first half of the input is routed now; the second half during the SIGKILL test, mid-run.
    await produceEvents({
      connection: { brokers: broker.brokers, clientId: 'p' },
      source: slice(parquet, 0, 30000),
      topic: input,
      format: 'arrow',
      eventsPerMessage: 4096,
    });
    const t = parseTopology(readFileSync(topologyFile, 'utf8'), topologyFile);
    await runRouter(t, { file: topologyFile, sendEnd: false, observer: routerMetrics.observer() });
    // The final results of the single-process run over the same events are what every worker set must end with.
    const fileRun = await runTopology(
      parseTopology(searchTopology(`{ kind: parquet, path: ${parquet} }`), 'file.yaml'),
      { file: 'file.yaml', outDir: path.join(dir, 'file') },
    );
    expectedEnd = normalizeResults(fileRun.results.filter((r) => r.trigger === 'end'));
  });
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    await broker?.stop();
  });

  const routeRest = async () => {
    if (reRouted.done) return;
    const t = parseTopology(readFileSync(topologyFile, 'utf8'), topologyFile);
    const input = (t.source as unknown as { topic: string }).topic;
    await produceEvents({
      connection: { brokers: broker.brokers, clientId: 'p' },
      source: slice(parquet, 30000, 60000),
      topic: input,
      format: 'arrow',
      eventsPerMessage: 4096,
    });
    await runRouter(t, { file: topologyFile });
    reRouted.done = true;
  };

  it('the router reports its stages as Prometheus metrics', async () => {
    const text = await routerMetrics.scrape();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('sideband_events_read_total')).toBe(30000);
    expect(value('sideband_events_accepted_total')).toBe(30000);
    expect(text).toMatch(/^sideband_events_selected_total\{cut="[^"]+"\} \d+/m);
    expect(text).toMatch(/^sideband_kafka_consumer_lag\{topic="[^"]+",partition="0"\} 0$/m);
  });

  let killed: string[] = [];
  it('a worker killed with SIGKILL mid-run and replaced gives the final results of the single-process run', async () => {
    const group = uniqueTopic('kill');
    const results = uniqueTopic('results-kill');
    await broker.createTopic(results, 1);
    const reader = new ResultsReader(client, results);
    await reader.start();
    const a = startWorker(group, results, 'a');
    startWorker(group, results, 'b');
    // Mid-run: both workers have checkpointed window state of the first half and no window has ended.
    const cpDir = path.join(dir, 'checkpoints', group);
    const t0 = Date.now();
    while (
      !(
        existsSync(cpDir) &&
        readdirSync(cpDir).filter((d) => existsSync(path.join(cpDir, d, 'state.json'))).length === PARTITIONS
      )
    ) {
      if (Date.now() - t0 > 40000) throw new Error('workers did not checkpoint every partition within 40 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(reader.results.filter((r) => r.trigger === 'end')).toHaveLength(0);
    a.kill('SIGKILL');
    await routeRest();
    startWorker(group, results, 'c');
    await reader.waitFor('the final results of every window', (rs) => endCount(rs) === expectedEnd.length);
    await reader.stop();
    const finals = normalizeResults(reader.results.filter((r) => r.trigger === 'end'));
    expect([...new Set(finals)]).toEqual(expectedEnd);
    killed = [...new Set(normalizeResults(reader.results))];
  });

  it('one, two and three workers give the same results, and the same as the run with a killed worker', async () => {
    await routeRest();
    const all: string[][] = [];
    for (const n of [1, 2, 3]) {
      const group = uniqueTopic(`w${n}`);
      const results = uniqueTopic(`results-${n}`);
      await broker.createTopic(results, 1);
      const reader = new ResultsReader(client, results);
      await reader.start();
      for (let i = 0; i < n; i++) startWorker(group, results, `${n}.${i}`);
      await reader.waitFor(`final results with ${n} worker(s)`, (rs) => endCount(rs) === expectedEnd.length);
      await reader.stop();
      await stopAll();
      all.push([...new Set(normalizeResults(reader.results))]);
    }
    expect(all[0]!.length).toBeGreaterThan(expectedEnd.length);
    expect(all[1]).toEqual(all[0]);
    expect(all[2]).toEqual(all[0]);
    expect(killed).toEqual(all[0]);
  });
});
