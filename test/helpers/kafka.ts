/**
 * A real Kafka-protocol broker on loopback for tests: librdkafka's mock cluster (Debian librdkafka-dev), started
 * through test/kafka/mock-broker.c, compiled with `cc` into dist/test-bin on first use. With KAFKA_BROKERS set,
 * tests that do not need to stop the broker use that external cluster instead.
 *
 * The broker process exits when its stdin closes, so it dies with the test process even on a crash; `stop()`
 * and a process exit hook kill it explicitly as well.
 *
 * Limits of the mock cluster (librdkafka 2.0): it keeps at most ~5 MB per partition (older record batches are
 * dropped, and a consumer starting from the beginning then stalls), it has no CreateTopics API (topics are made
 * through the launcher: `createTopic`), and kafkajs' idempotent producer cannot find its controller. Tests keep
 * each partition under 5 MB.
 */
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { repoRoot } from './paths.js';
import { connectKafka, type IncomingMessage, type KafkaClient } from '../../src/kafka/client.js';

export interface TestBroker {
  brokers: string[];
  /** True for an external cluster (KAFKA_BROKERS): it cannot be stopped or restarted. */
  external: boolean;
  createTopic(name: string, partitions: number): Promise<void>;
  /** Disconnect every client and refuse new connections (broker "stopped"); data and offsets are kept. */
  down(): Promise<void>;
  /** Accept connections again (broker "restarted"). */
  up(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** Path of the compiled launcher, rebuilt when the C source is newer. */
export function mockBrokerBinary(): string {
  const src = path.join(repoRoot, 'test/kafka/mock-broker.c');
  const dir = path.join(repoRoot, 'dist/test-bin');
  const bin = path.join(dir, 'mock-broker');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  mkdirSync(dir, { recursive: true });
  // Compile to a private name and rename: two jest workers may build at the same time.
  const tmp = `${bin}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    execFileSync('cc', ['-O2', '-o', tmp, src, '-lrdkafka'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(
      `cannot build ${src} (is librdkafka-dev installed?): ${(e as { stderr?: Buffer }).stderr?.toString() ?? String(e)}`,
    );
  }
  renameSync(tmp, bin);
  return bin;
}

/** A unique topic name, so tests (and reruns against an external cluster) never share topics. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export async function startBroker(options: { brokers?: number; needsRestart?: boolean } = {}): Promise<TestBroker> {
  const external = process.env.KAFKA_BROKERS;
  if (external && !options.needsRestart)
    return externalBroker(
      external
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  const child = spawn(mockBrokerBinary(), [String(options.brokers ?? 1)], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.stderr.resume();
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  const early: string[] = [];
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else early.push(line);
  });
  const nextLine = (what: string) =>
    new Promise<string>((resolve, reject) => {
      const queued = early.shift();
      if (queued !== undefined) {
        resolve(queued);
        return;
      }
      const timer = setTimeout(() => reject(new Error(`mock broker: no answer to ${what} within 10 s`)), 10000);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`mock broker exited (${code}) before answering ${what}`));
      };
      waiting.push((l) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(l);
      });
      child.once('exit', onExit);
    });
  const first = await nextLine('start');
  if (!first.startsWith('bootstrap ')) throw new Error(`mock broker: unexpected first line '${first}'`);
  const brokers = first.slice('bootstrap '.length).split(',');
  let chain: Promise<unknown> = Promise.resolve();
  const command = (cmd: string) => {
    // One command at a time: answers come back in order on stdout.
    const p = chain.then(async () => {
      child.stdin.write(`${cmd}\n`);
      const answer = await nextLine(cmd);
      if (answer !== 'ok') throw new Error(`mock broker: '${cmd}' failed: ${answer}`);
    });
    chain = p.catch(() => undefined);
    return p;
  };
  return {
    brokers,
    external: false,
    createTopic: (name, partitions) => command(`topic ${name} ${partitions}`),
    down: () => command('down -1'),
    up: () => command('up -1'),
    stop: async () => {
      if (child.exitCode !== null) {
        running.delete(child);
        return;
      }
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      running.delete(child);
    },
  };
}

function externalBroker(brokers: string[]): TestBroker {
  const client = connectKafka({ brokers, clientId: 'sideband-test-admin' });
  return {
    brokers,
    external: true,
    async createTopic(name, partitions) {
      const admin = await client.admin();
      try {
        await admin.ensureTopics([{ topic: name, partitions }]);
      } finally {
        await admin.disconnect();
      }
    },
    down: () => Promise.reject(new Error('an external cluster (KAFKA_BROKERS) cannot be stopped by a test')),
    up: () => Promise.reject(new Error('an external cluster (KAFKA_BROKERS) cannot be restarted by a test')),
    stop: async () => undefined,
  };
}

/** Write `events` generated dijet events (one injected resonance) to a Parquet file; returns its path. */
export async function generatedParquet(dir: string, events: number, seed: number): Promise<string> {
  const { GeneratorSource, parseResonanceSpec } = await import('../../src/sources/generator.js');
  const { ParquetFileWriter } = await import('../../src/sinks/parquet.js');
  const file = path.join(dir, `generated-${events}-${seed}.parquet`);
  const writer = await ParquetFileWriter.create(file, { rowGroupSize: 16384 });
  try {
    const signals = [parseResonanceSpec(`mA=3500,mB=500,mC=100,n=${Math.round(events / 200)}`)];
    for await (const b of new GeneratorSource({ events, seed, signals, batchSize: 16384, mjjMin: 1800 }).batches())
      await writer.appendBatch(b);
  } finally {
    await writer.close();
  }
  return file;
}

/**
 * A small search over generated events (ATLAS 2024 cuts, sliding windows, inclusive histograms and fits), with
 * the source given as YAML flow text. Thresholds are low so windows analyse during the run, not only at the end.
 */
export function searchTopology(source: string, extra = ''): string {
  return `
name: kafka-flow
seed: 11
source: ${source}
columns:
  jet1_pt: GeV
  jet1_eta: none
  jet1_phi: none
  jet1_m: GeV
  jet1_tau1: none
  jet1_tau2: none
  jet1_tau3: none
  jet2_pt: GeV
  jet2_eta: none
  jet2_phi: none
  jet2_m: GeV
  jet2_tau1: none
  jet2_tau2: none
  jet2_tau3: none
label: label
derive: { mjj: fourvector, features: [delta_y] }
cuts: atlas2024
windows: { scheme: sliding, srWidth: 600, sbWidth: 600, firstCentre: 2900, lastCentre: 4700, step: 300 }
features: [mj_min, delta_mj, tau21_lighter, tau21_heavier]
trigger: { minSrEvents: 500, growthFactor: 2 }
binning: { width: 60 }
classifier: { kind: none }
fit: { strategy: atlas2024, sqrtS: 13000 }
sinks: { results: true, deadLetters: true, report: false }
${extra}`;
}

/**
 * Results as comparable JSON: without run id (also in the key), creation time, the arrival time of the batch that
 * triggered the analysis and training wall time (which differ per run). Sorted; duplicates are kept (compare them counted).
 */
export function normalizeResults(results: unknown[]): string[] {
  return results
    .map((r) => {
      const x = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
      // The key starts with the run id: keep the rest (window, working point, analysis).
      if (typeof x.key === 'string' && typeof x.runId === 'string' && x.key.startsWith(`${x.runId}/`))
        x.key = x.key.slice(x.runId.length + 1);
      delete x.runId;
      delete x.createdAt;
      delete x.batchArrivedAt;
      const model = x.model as Record<string, unknown> | undefined;
      if (model) delete model.trainSeconds;
      return JSON.stringify(x);
    })
    .sort();
}

/** Read `expected` messages of a topic from its beginning with a fresh consumer group (30 s at most). */
export async function readTopic(client: KafkaClient, topic: string, expected: number): Promise<IncomingMessage[]> {
  const consumer = client.consumer({ groupId: uniqueTopic('reader') });
  const got: IncomingMessage[] = [];
  await consumer.subscribe([topic], true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`read ${got.length} of ${expected} messages from ${topic}`)),
      30000,
    );
    void consumer.run(async (b) => {
      got.push(...b.messages);
      if (got.length >= expected) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await consumer.disconnect();
  return got;
}
