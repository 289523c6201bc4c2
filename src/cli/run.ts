import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lastValueFrom, tap, toArray } from 'rxjs';
import type { DeadLetter, RunObserver } from '../events/observer.js';
import type { WindowResult } from '../events/result.js';
import { JsonlSink } from '../sinks/jsonl.js';
import { compileTopology, type CompiledRun } from '../topology/compile.js';
import { loadTopology } from '../topology/load.js';
import type { Topology } from '../topology/schema.js';
import { flag, parseArgs } from './args.js';
import { Progress } from './progress.js';
import { summaryTable } from './summary.js';

export interface RunSummary {
  runId: string;
  topology: string;
  seconds: number;
  events: { read: number; accepted: number; rejected: number; rejectedByReason: Record<string, number>; selected: number; stored: number };
  balanced: boolean;
  cutflow: { cut: string; pass: number }[];
  bytesPerBufferedEvent: number;
  results: number;
  deadLetters: number;
  alerts: number;
}

export interface RunOptions {
  file: string;
  outDir: string;
  runId?: string;
  observer?: RunObserver;
  log?: (m: string) => void;
  progress?: boolean;
  /** Extra result handlers (alerts, Kafka results topic, metrics). */
  onResult?: (r: WindowResult) => void;
}

/**
 * Run a topology to completion: results stream to DIR/results.jsonl as windows finish, dead letters to
 * DIR/dead-letters.jsonl; at the end DIR/summary.json and (when the report module is present) DIR/report.html.
 */
export async function runTopology(topology: Topology, opts: RunOptions): Promise<{ summary: RunSummary; results: WindowResult[]; run: CompiledRun }> {
  const runId = opts.runId ?? randomUUID();
  const log = opts.log ?? (() => {});
  const results = topology.sinks.results ? new JsonlSink(path.join(opts.outDir, 'results.jsonl')) : undefined;
  const dead = topology.sinks.deadLetters ? new JsonlSink(path.join(opts.outDir, 'dead-letters.jsonl')) : undefined;
  let deadCount = 0;
  const observer = opts.observer ?? {};
  const deadLetter = (d: DeadLetter) => {
    deadCount++;
    dead?.write(d);
    // Dead letters are never silent: the first few are logged in full, the rest are counted in the summary.
    if (deadCount <= 5) log(`dead letter (${d.reason}): ${d.message}${d.file ? ` [${d.file}${d.row !== undefined ? ` row ${d.row}` : ''}]` : ''}`);
  };
  const t0 = performance.now();
  const run = await compileTopology(topology, { file: opts.file, runId, observer, deadLetter, log });
  const progress = opts.progress ? new Progress(run, t0) : undefined;
  let all: WindowResult[];
  try {
    all = await lastValueFrom(run.results$.pipe(
      tap((r) => {
        results?.write(r);
        observer.windowResult?.(r);
        opts.onResult?.(r);
        progress?.result(r);
      }),
      toArray(),
    ));
  } finally {
    progress?.stop();
    await results?.close();
    await dead?.close();
    await run.source.close?.();
  }
  const c = run.counters;
  const summary: RunSummary = {
    runId,
    topology: topology.name,
    seconds: (performance.now() - t0) / 1000,
    events: { read: c.read, accepted: c.accepted, rejected: c.rejected, rejectedByReason: Object.fromEntries(c.rejectedByReason), selected: c.selected, stored: c.stored },
    balanced: c.balanced(),
    cutflow: run.cutflow.entries(),
    bytesPerBufferedEvent: c.stored ? run.buffers.store.bytes() / c.stored : 0,
    results: all.length,
    deadLetters: deadCount,
    alerts: 0,
  };
  if (!summary.balanced) throw new Error(`event counts do not add up: read ${c.read} != accepted ${c.accepted} + rejected ${c.rejected}`);
  await writeFile(path.join(opts.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return { summary, results: all, run };
}

export async function runCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['quiet']);
  const file = args.positional[0];
  if (!file) {
    process.stderr.write('usage: sideband run <topology.yaml> [--out DIR] [--set key.path=value]... [--quiet]\n');
    return 2;
  }
  const topology = await loadTopology(file, args.flags.get('set') ?? []);
  const outDir = flag(args, 'out') ?? path.join('out', topology.name);
  const quiet = flag(args, 'quiet') === 'true';
  const log = (m: string) => { if (!quiet) process.stderr.write(`${new Date().toISOString()} ${m}\n`); };
  log(`sideband run ${topology.name}: ${topology.source.kind} source, ${topology.windows.scheme} windows, classifier ${topology.classifier.kind}, output ${outDir}`);
  const { summary, results } = await runTopology(topology, { file, outDir, log, progress: !quiet });
  if (!quiet) process.stdout.write(summaryTable(summary, results));
  return 0;
}
