/**
 * `sideband router <topology.yaml> [--set key.path=value]...`: the front half of a scaled-out flow.
 *
 * Reads the topology's Kafka source, runs the same ingest stages as `sideband run` (decode/validate, derive,
 * select: src/topology/ingest.ts), and publishes the selected events of every window to the repartition topic
 * (kafka.scaleOut.repartitionTopic), keyed by window id, as Arrow IPC batch messages of the stored columns. A
 * window lives in partition (index of the window in the topology's window list) mod (partition count), so every
 * record of a window is in one partition, in router order, and one worker owns it at a time.
 *
 * Each record carries, in headers, the router's cumulative cut flow after its input batch (results name the cut
 * flow) and the input positions it came from: a router restarted after a crash re-publishes from its last
 * committed input offset, and workers drop the records whose input offset they already applied. Input offsets are
 * committed once the records are acknowledged. At the end of a bounded input (source.stopAtEnd) an end-of-stream
 * record goes to every partition, so the workers run the final analysis of their windows.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { firstValueFrom, of } from 'rxjs';
import type { CutFlowEntry } from '../events/result.js';
import type { EventBatch, SourcePosition } from '../events/batch.js';
import { CutFlow } from '../events/cuts.js';
import { RunCounters, type DeadLetter } from '../events/observer.js';
import type { StageContext } from '../operators/context.js';
import { buildWindows, windowSpan, type SchemeWindow } from '../regions/index.js';
import { WindowBuffers } from '../regions/buffers.js';
import { decodeSpec, resolveCuts } from '../topology/compile.js';
import { derivedFeatures, ingestPlan, ingestStages } from '../topology/ingest.js';
import { loadTopology } from '../topology/load.js';
import type { Topology } from '../topology/schema.js';
import { connectKafka, type OutgoingMessage } from '../kafka/client.js';
import { kafkaConnection, scaleOutConfig } from '../kafka/config.js';
import { kafkaSourceFromTopology } from '../sources/kafka.js';
import type { MetricsObserver } from '../metrics/index.js';
import { commandMetrics } from '../metrics/server.js';
import { encodeArrowMessages } from '../formats/arrow.js';
import { flag, metricsEndpoint, parseArgs } from './args.js';

export const REPARTITION_HEADERS = { cutflow: 'sideband-cutflow', input: 'sideband-input', end: 'sideband-end' } as const;
export const END_KEY = '__end__';

/** The partition of the repartition topic that holds a window. */
export function windowPartition(index: number, partitions: number): number {
  return index % partitions;
}

export interface RouterReport {
  read: number;
  selected: number;
  records: number;
  deadLetters: number;
}

/** Gather events `idx` of the stored columns into a compact batch (hot: one typed-array loop per column). */
function gather(batch: EventBatch, stored: string[], idx: Uint32Array, n: number): EventBatch {
  const columns: EventBatch['columns'] = {};
  for (const f of stored) {
    const src = batch.columns[f]!;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[idx[i]!]!;
    columns[f] = out;
  }
  const out: EventBatch = { length: n, columns, positions: [] };
  if (batch.label) { const l = new Uint8Array(n); for (let i = 0; i < n; i++) l[i] = batch.label[idx[i]!]!; out.label = l; }
  if (batch.weight) { const w = new Float32Array(n); for (let i = 0; i < n; i++) w[i] = batch.weight[idx[i]!]!; out.weight = w; }
  return out;
}

export interface RouterOptions {
  file: string;
  log?: (m: string) => void;
  signal?: AbortSignal;
  /** Publish the end-of-stream records when the input ends (default true; false to route an input in parts). */
  sendEnd?: boolean;
  /** Stage metrics (events read, accepted, rejected, selected; dead letters; Kafka lag). */
  observer?: MetricsObserver;
}

export async function runRouter(t: Topology, opts: RouterOptions): Promise<RouterReport> {
  const log = opts.log ?? (() => {});
  const scale = scaleOutConfig(t, opts.file);
  const spec = decodeSpec(t);
  const cuts = resolveCuts(t, opts.file);
  const windows: SchemeWindow[] = buildWindows(t.windows);
  const derived = derivedFeatures(t, spec, cuts, opts.file);
  const stored = new WindowBuffers(windows, t.features, { weight: spec.weight !== undefined, label: spec.label !== undefined }).store.features;
  const counters = new RunCounters();
  const cutflow = new CutFlow(cuts);
  let deadLetters = 0;
  const observer = opts.observer;
  const ctx: StageContext = { counters, cutflow, observer: observer ?? {}, log, deadLetter: (d) => { deadLetters++; observer?.deadLetter(d); } };
  const onSourceError = (d: DeadLetter) => {
    counters.read += d.events;
    counters.reject(d.reason, d.events);
    deadLetters++;
    observer?.eventsRead(d.events);
    observer?.eventsRejected(d.reason, d.events);
    observer?.deadLetter(d);
  };

  const client = connectKafka(kafkaConnection(t, opts.file));
  const admin = await client.admin();
  let partitions: number;
  try {
    await admin.ensureTopics([{ topic: scale.repartitionTopic, partitions: scale.partitions }]);
    partitions = await admin.partitionCount(scale.repartitionTopic);
  } finally {
    await admin.disconnect();
  }
  const spans = windows.map(windowSpan);
  const producer = await client.producer();
  const source = kafkaSourceFromTopology(t, onSourceError, { onLag: (topic, partition, lag) => observer?.kafkaLag(topic, partition, lag) });
  // The router's own state (cumulative cut flow and the input offsets behind it) survives a restart, so the cut
  // flow keeps counting and input already routed is not counted (or routed) twice.
  const stateFile = path.join(scale.checkpointDir, `router-${source.groupId}.json`);
  if (existsSync(stateFile)) {
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { cutflow: CutFlowEntry[]; offsets: Record<string, string> };
    cutflow.enter(saved.cutflow[0]?.pass ?? 0);
    cutflow.add(saved.cutflow.slice(1).map((e) => e.pass), 0);
    for (const [tp, off] of Object.entries(saved.offsets)) {
      const i = tp.lastIndexOf(':');
      source.restorePartition(tp.slice(0, i), Number(tp.slice(i + 1)), (BigInt(off) + 1n).toString());
    }
  }
  const routed: Record<string, string> = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { offsets: Record<string, string> }).offsets : {};
  const plan = ingestPlan(spec, cuts, derived, t.derive.mjj, stored);
  let records = 0;
  try {
    const stages = ingestStages(plan, ctx);
    let scratch = new Uint32Array(1 << 16);
    // One input batch at a time through the ingest stages (map operators), so the source stays backpressured by
    // the repartition producer. Positions ride along from the source batch to the selected batch.
    for await (const raw of source.batches(opts.signal)) {
      const batch = await firstValueFrom(of(raw).pipe(stages));
      const headers = {
        [REPARTITION_HEADERS.cutflow]: JSON.stringify(cutflow.entries()),
        [REPARTITION_HEADERS.input]: JSON.stringify(inputOffsets(batch.positions)),
      };
      const msgs: OutgoingMessage[] = [];
      const sel = batch.selection;
      const n = sel ? sel.length : batch.length;
      if (n > 0) {
        const mjj = batch.columns.mjj!;
        if (scratch.length < n) scratch = new Uint32Array(n);
        for (let w = 0; w < windows.length; w++) {
          const [lo, hi] = spans[w]!;
          let k = 0;
          // Hot: one pass over the selected events per window.
          for (let j = 0; j < n; j++) {
            const i = sel ? sel[j]! : j;
            const m = mjj[i]!;
            if (m >= lo && m < hi) scratch[k++] = i;
          }
          if (k === 0) continue;
          const part = gather(batch, stored, scratch, k);
          for (const value of encodeArrowMessages(part, 1 << 20)) {
            msgs.push({ key: windows[w]!.id, value, headers, partition: windowPartition(w, partitions) });
          }
        }
      }
      await producer.send(scale.repartitionTopic, msgs);
      records += msgs.length;
      Object.assign(routed, inputOffsets(batch.positions));
      writeStateFile(stateFile, { cutflow: cutflow.entries(), offsets: routed });
      // The records are acknowledged (acks = all): the input offsets behind them can be committed.
      await source.commit(batch.positions);
    }
    const end = opts.sendEnd === false || opts.signal?.aborted ? [] : Array.from({ length: partitions }, (_, p) => ({
      key: END_KEY, value: JSON.stringify({ cutflow: cutflow.entries() }), partition: p,
      headers: { [REPARTITION_HEADERS.end]: '1', [REPARTITION_HEADERS.cutflow]: JSON.stringify(cutflow.entries()) },
    }));
    await producer.send(scale.repartitionTopic, end);
    log(`router: ${counters.read} events read, ${counters.selected} selected, ${records} records to ${scale.repartitionTopic} (${partitions} partitions)`);
  } finally {
    await producer.disconnect();
    await source.close();
  }
  return { read: counters.read, selected: counters.selected, records, deadLetters };
}

function writeStateFile(file: string, state: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, JSON.stringify(state));
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}

/** Input offsets of a batch: "topic:partition" → last offset. */
function inputOffsets(positions: SourcePosition[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of positions) if (p.kind === 'kafka') out[`${p.topic}:${p.partition}`] = p.lastOffset;
  return out;
}

export async function routerCommand(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, ['quiet']);
    const file = args.positional[0];
    if (!file) { process.stderr.write('usage: sideband router <topology.yaml> [--set key.path=value]...\n'); return 2; }
    const t = await loadTopology(file, args.flags.get('set') ?? []);
    const quiet = flag(args, 'quiet') === 'true';
    const ac = new AbortController();
    process.once('SIGTERM', () => ac.abort());
    process.once('SIGINT', () => ac.abort());
    const log = (m: string) => { if (!quiet) process.stderr.write(`${new Date().toISOString()} ${m}\n`); };
    const { metrics, close } = await commandMetrics('router', metricsEndpoint(args, t), log);
    try {
      const r = await runRouter(t, { file, signal: ac.signal, log, observer: metrics.observer() });
      if (!quiet) process.stdout.write(`${JSON.stringify(r)}\n`);
    } finally {
      await close();
    }
    return 0;
  } catch (e) {
    process.stderr.write(`sideband router: ${(e as Error).message}\n`);
    return 2;
  }
}
