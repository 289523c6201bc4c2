/**
 * Scale-out (issues 11 item 6 and 19): a router and workers in one consumer group, with checkpoints, compared with a
 * single-process run exactly. Results are compared raw, duplicates counted: de-duplicated by their key (run, window,
 * working point, analysis), every worker set must give the same list, and a key seen twice must carry the same
 * result. Covered: the inclusive search and the classifier path (a small HGB ensemble), each with 1, 2 and 3 workers;
 * busy workers killed with SIGKILL while they train; poison Arrow messages on the input topic (the router dead-letters
 * them) and a garbage record on the repartition topic (the worker dead-letters it: no crash loop, every window of its
 * partition still gives its results).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WindowResult } from '../../src/events/result.js';
import { decodeArrowMessage, encodeArrowMessages } from '../../src/formats/arrow.js';
import { sourceColumns } from '../../src/kafka/config.js';
import { connectKafka, type GroupConsumer, type KafkaClient } from '../../src/kafka/client.js';
import { Metrics } from '../../src/metrics/index.js';
import { runTopology } from '../../src/run.js';
import { produceEvents } from '../../src/scaleout/produce.js';
import { runRouter, type RouterReport } from '../../src/scaleout/router.js';
import { ParquetSource } from '../../src/sources/parquet.js';
import { parseTopology } from '../../src/topology/load.js';
import { mutants } from '../fuzz/mutate.js';
import {
  generatedParquet,
  normalizeResults,
  searchTopology,
  startBroker,
  uniqueTopic,
  type TestBroker,
} from '../helpers/kafka.js';
import { repoRoot } from '../helpers/paths.js';
import { sliceSource } from './slice.js';

const PARTITIONS = 3;
const EVENTS = 60000;
const HGB = 'classifier: { kind: hgb, ensemble: 2, folds: 5, workers: 1, hgb: { maxIter: 30 } }';

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
  async waitFor(what: string, done: (r: WindowResult[]) => boolean, timeoutMs = 90000): Promise<void> {
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

/** Raw results, compared with duplicates counted: the list by key, and how many records repeated a key. */
function byKey(results: WindowResult[]): { unique: string[]; duplicates: number } {
  const seen = new Map<string, string>();
  let duplicates = 0;
  const normal = normalizeResults(results);
  for (const r of normal) {
    const key = (JSON.parse(r) as { key: string }).key;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, r);
    else {
      // A key seen twice carries the same result, never another one.
      expect(r).toEqual(first);
      duplicates++;
    }
  }
  expect(seen.size + duplicates).toBe(results.length);
  return { unique: [...seen.values()].sort(), duplicates };
}

describe('scale-out: router, workers in one group, checkpoints', () => {
  let broker: TestBroker;
  let client: KafkaClient;
  let dir: string;
  let parquet: string;
  let repartition: string;
  let inclusiveFile: string;
  let hgbFile: string;
  const routed: RouterReport[] = [];
  let poisonCount = 0;
  let poisonOffset = '';
  const expectedEnd: Record<string, string[]> = {};
  const children = new Set<ChildProcess>();
  const crashes: string[] = [];
  const routerMetrics = new Metrics({ role: 'router', defaultMetrics: false });

  const startWorker = (topology: string, group: string, results: string, label: string) => {
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/sideband.js'),
        'worker',
        topology,
        '--set',
        `kafka.scaleOut.group=${group}`,
        '--set',
        `kafka.scaleOut.checkpointDir=${path.join(dir, 'checkpoints')}`,
        '--set',
        `sinks.kafka.results=${results}`,
        '--run-id',
        'scale-out',
        ...(process.env.WORKER_DEBUG ? ['--set', 'kafka.logLevel=error'] : ['--quiet']),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr!.on('data', (d) => {
      err += String(d);
      if (process.env.WORKER_DEBUG) process.stderr.write(`[${label}] ${d}`);
    });
    child.once('exit', (code, sig) => {
      // A worker ends only when the test stops (SIGTERM, exit 0) or kills it (SIGKILL).
      if (sig !== 'SIGKILL' && code !== 0) crashes.push(`worker ${label} exited ${code} ${sig}: ${err}`);
    });
    children.add(child);
    return child;
  };
  /** Stop workers (SIGTERM, then SIGKILL after 5 s): the given ones, or every one still running. */
  const stop = async (which: Iterable<ChildProcess> = children) => {
    const list = [...which];
    await Promise.all(
      list.map(
        (c) =>
          new Promise<void>((resolve) => {
            children.delete(c);
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
  };
  const stopAll = () => stop();
  const finals = (rs: WindowResult[]) => new Set(rs.filter((r) => r.trigger === 'end').map((r) => r.key)).size;

  /** A worker group over the routed input: results until every final result is in, settled, compared by key. */
  const runGroup = async (
    kind: 'inclusive' | 'hgb',
    workers: number,
    kill?: (reader: ResultsReader, restart: () => ChildProcess, started: ChildProcess[]) => Promise<void>,
  ) => {
    const group = uniqueTopic(`${kind}-${workers}`);
    const results = uniqueTopic(`results-${kind}-${workers}`);
    await broker.createTopic(results, 1);
    const reader = new ResultsReader(client, results);
    await reader.start();
    const file = kind === 'hgb' ? hgbFile : inclusiveFile;
    let n = 0;
    const mine: ChildProcess[] = [];
    const next = () => {
      const c = startWorker(file, group, results, `${kind}.${workers}.${n++}`);
      mine.push(c);
      return c;
    };
    const started = Array.from({ length: workers }, next);
    await kill?.(reader, next, started);
    const want = expectedEnd[kind]!.length;
    await reader.waitFor(`the final results of ${kind} with ${workers} worker(s)`, (rs) => finals(rs) === want);
    // Anything still on its way (a result published twice after a kill) arrives before the comparison.
    await new Promise((r) => setTimeout(r, 1500));
    await reader.stop();
    await stop(mine);
    expect(crashes).toEqual([]);
    return { ...byKey(reader.results), group, raw: reader.results };
  };

  beforeAll(async () => {
    broker = await startBroker();
    client = connectKafka({ brokers: broker.brokers, clientId: 'scale-out-test' });
    dir = mkdtempSync(path.join(tmpdir(), 'sideband-scale-out-'));
    parquet = await generatedParquet(dir, EVENTS, 9);
    const input = uniqueTopic('input');
    repartition = uniqueTopic('windows');
    await broker.createTopic(input, 1);
    await broker.createTopic(repartition, PARTITIONS);
    const kafka = `kafka: { brokers: [${broker.brokers.join(', ')}], clientId: scale-out, scaleOut: { repartitionTopic: ${repartition}, partitions: ${PARTITIONS}, group: unset, checkpointDir: ${dir} } }`;
    const cluster = (extra: string) =>
      searchTopology(
        `{ kind: kafka, topic: ${input}, group: router, format: arrow, stopAtEnd: true }`,
        `${kafka}\nanalysis: { concurrency: 1, queue: 1000 }\n${extra}`,
      ).replace(
        'sinks: { results: true, deadLetters: true, report: false }',
        'sinks: { results: false, deadLetters: false, report: false, kafka: { results: unset } }',
      );
    inclusiveFile = path.join(dir, 'scale.yaml');
    hgbFile = path.join(dir, 'scale-hgb.yaml');
    writeFileSync(inclusiveFile, cluster(''));
    writeFileSync(hgbFile, cluster('').replace('classifier: { kind: none }', HGB));

    // The input: two halves with poison Arrow messages between them (mutants of a real message).
    await produceEvents({
      connection: { brokers: broker.brokers, clientId: 'p' },
      source: sliceSource(parquet, 0, 30000),
      topic: input,
      format: 'arrow',
      eventsPerMessage: 4096,
    });
    const t = parseTopology(readFileSync(inclusiveFile, 'utf8'), inclusiveFile);
    const it = new ParquetSource({ path: parquet }).batches()[Symbol.asyncIterator]();
    const first = await it.next();
    await it.return?.();
    const [real] = encodeArrowMessages(first.value, 512);
    // Only mutants the router must refuse (one that still decodes with every source column would be data).
    const refused = (b: Buffer) => {
      try {
        decodeArrowMessage(b, {}, sourceColumns(t));
        return false;
      } catch {
        return true;
      }
    };
    const poison = mutants(real!, 12, 77, [0, 1500])
      .map((m) => Buffer.from(m.bytes))
      .filter(refused);
    poisonCount = poison.length;
    const producer = await client.producer();
    await producer.send(
      input,
      poison.map((value) => ({ value, partition: 0 })),
    );
    routed.push(await runRouter(t, { file: inclusiveFile, sendEnd: false, observer: routerMetrics.observer() }));
    // A garbage record in the middle of the repartition topic, in the partition of window 1.
    await producer.send(repartition, [
      { key: 'sr-2900-3500', value: Buffer.from('not an arrow record'), partition: 1 },
    ]);
    const admin = await client.admin();
    poisonOffset = String(Number((await admin.endOffsets(repartition)).get(1)) - 1);
    await admin.disconnect();
    await producer.disconnect();
    await produceEvents({
      connection: { brokers: broker.brokers, clientId: 'p' },
      source: sliceSource(parquet, 30000, EVENTS),
      topic: input,
      format: 'arrow',
      eventsPerMessage: 4096,
    });
    routed.push(await runRouter(t, { file: inclusiveFile }));
    // The final results of single-process runs over the same events: what every worker set must end with.
    for (const [kind, extra] of [
      ['inclusive', ''],
      ['hgb', HGB],
    ] as const) {
      const text = searchTopology(`{ kind: parquet, path: ${parquet} }`).replace(
        'classifier: { kind: none }',
        extra || 'classifier: { kind: none }',
      );
      const run = await runTopology(parseTopology(text, 'file.yaml'), {
        file: 'file.yaml',
        outDir: path.join(dir, `file-${kind}`),
      });
      expectedEnd[kind] = normalizeResults(run.results.filter((r) => r.trigger === 'end'));
    }
  });
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    await broker?.stop();
  });

  it('the router dead-letters poison input messages and goes on; its stages are Prometheus metrics', async () => {
    const poison = poisonCount;
    expect(poison).toBeGreaterThan(3);
    expect(routed[0]!.deadLetters).toBe(poison);
    expect(routed[0]!.read).toBe(30000 + poison);
    expect(routed[1]!.read).toBe(30000);
    const text = await routerMetrics.scrape();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('sideband_events_read_total')).toBe(30000 + poison);
    expect(value('sideband_events_accepted_total')).toBe(30000);
    expect(text).toMatch(/^sideband_kafka_consumer_lag\{topic="[^"]+",partition="0"\} 0$/m);
  });

  const runs: Record<string, { unique: string[]; duplicates: number }[]> = { inclusive: [], hgb: [] };
  for (const kind of ['inclusive', 'hgb'] as const) {
    it(`${kind}: 1, 2 and 3 workers give the same results exactly, the finals of the single-process run, and dead-letter the garbage record`, async () => {
      // The three worker sets run at once, each its own consumer group and results topic.
      const sets = await Promise.all([1, 2, 3].map((n) => runGroup(kind, n)));
      for (const [i, r] of sets.entries()) {
        const n = i + 1;
        runs[kind]!.push(r);
        // The garbage record is a dead letter of partition 1, with its offset; the worker never restarted.
        const dl = path.join(dir, 'checkpoints', r.group, `${repartition}-1`, 'dead-letters.jsonl');
        const dead = readFileSync(dl, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(dead.map((d) => [d.partition, d.offset, d.reason])).toContainEqual([1, poisonOffset, 'malformed']);
        // Every window gives its final results, those of partition 1 too (before: none, in a crash loop).
        const finalsOf = r.unique.filter((x) => JSON.parse(x).trigger === 'end');
        expect(finalsOf).toEqual(expectedEnd[kind]);
        if (n === 1) expect(r.duplicates).toBe(0);
      }
      const [one, two, three] = runs[kind]!;
      expect(one!.unique.length).toBeGreaterThan(expectedEnd[kind]!.length);
      expect(two!.unique).toEqual(one!.unique);
      expect(three!.unique).toEqual(one!.unique);
      process.stdout.write(
        `scale-out ${kind}: ${one!.unique.length} results; duplicates with 1/2/3 workers: ${runs[kind]!.map((x) => x.duplicates).join('/')}\n`,
      );
    });
  }

  it('hgb: busy workers killed with SIGKILL while they train and replaced give the same results, duplicates counted', async () => {
    const total = runs.hgb![0]!.unique.length;
    const r = await runGroup('hgb', 2, async (reader, restart, started) => {
      // While results are coming (analyses running): a third of the way, both workers are killed, so the one that
      // is training certainly is; two thirds of the way, one of their replacements.
      const at = (k: number) => Math.ceil((k * total) / 3);
      await reader.waitFor(`${at(1)} results`, (rs) => new Set(rs.map((x) => x.key)).size >= at(1));
      expect(finals(reader.results)).toBeLessThan(expectedEnd.hgb!.length);
      for (const w of started.splice(0)) w.kill('SIGKILL');
      started.push(restart(), restart());
      await reader.waitFor(`${at(2)} results`, (rs) => new Set(rs.map((x) => x.key)).size >= at(2));
      expect(finals(reader.results)).toBeLessThan(expectedEnd.hgb!.length);
      started[0]!.kill('SIGKILL');
      started.push(restart());
    });
    expect(r.unique).toEqual(runs.hgb![0]!.unique);
    process.stdout.write(
      `scale-out hgb with 3 SIGKILLs: ${r.unique.length} results, ${r.duplicates} duplicate records\n`,
    );
    expect(existsSync(path.join(dir, 'checkpoints', r.group))).toBe(true);
    expect(readdirSync(path.join(dir, 'checkpoints', r.group)).length).toBe(PARTITIONS);
  });
});
