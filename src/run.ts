/**
 * One run of a topology in this process: compile it, stream the source through the pipeline, write results, dead
 * letters and alerts as they come, then the summary and the report. The CLI (`sideband run`), the benchmarks and
 * the tests all run topologies through here.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lastValueFrom, tap, toArray } from 'rxjs';
import type { DeadLetter, RunObserver } from './events/observer.js';
import type { WindowResult } from './events/result.js';
import { JsonlSink } from './sinks/jsonl.js';
import { writeReport } from './sinks/report.js';
import { Metrics } from './metrics/index.js';
import { AlertTracker, type AlertRecord } from './operators/alert.js';
import { compileTopology, type CompiledRun } from './topology/compile.js';
import type { Topology } from './topology/schema.js';
import { SidebandError } from './events/errors.js';
import type { RunCheckpoint } from './scaleout/run-checkpoint.js';

export interface RunSummary {
  runId: string;
  topology: string;
  seconds: number;
  events: {
    read: number;
    accepted: number;
    rejected: number;
    rejectedByReason: Record<string, number>;
    selected: number;
    stored: number;
    /** Inputs whose row count could not be trusted (their events are not in `read`). */
    rowsUnknown: number;
  };
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
  /** Prometheus instruments of this run (a fresh registry when absent). */
  metrics?: Metrics;
  log?: (m: string) => void;
  /** Progress display (the CLI's), told about the compiled run and each result. */
  progress?: (run: CompiledRun, t0: number) => { result(r: WindowResult): void; stop(): void };
  /** Extra result handlers (the Kafka results topic). */
  onResult?: (r: WindowResult) => void;
  /** Extra alert handlers (the Kafka alerts topic). */
  onAlert?: (a: AlertRecord) => void;
  /** Make the extra sinks durable (flush the Kafka producer); awaited before the source's offsets are committed. */
  flush?: () => Promise<void>;
  /** Checkpoint of this run (`<out>.checkpoint`): resume from it, write it periodically, commit Kafka offsets after. */
  checkpoint?: RunCheckpoint;
  /** Flush the extra sinks without closing them (at every checkpoint, before offsets are committed). */
  sinkFlush?: () => Promise<void>;
  /** Stop the run at its next checkpoint (SIGTERM/SIGINT; the reason names the signal): ends in RunInterrupted. */
  signal?: AbortSignal;
  /** Input files must lie under these directories (topology trust); absent: anywhere. */
  inputRoots?: readonly string[];
}

/**
 * Run a topology to completion: results stream to DIR/results.jsonl as windows finish, dead letters to
 * DIR/dead-letters.jsonl; at the end DIR/summary.json and (when the report module is present) DIR/report.html.
 */
export async function runTopology(
  topology: Topology,
  opts: RunOptions,
): Promise<{ summary: RunSummary; results: WindowResult[]; run: CompiledRun }> {
  const cp = opts.checkpoint;
  const runId = cp?.runId ?? opts.runId ?? randomUUID();
  const log = opts.log ?? (() => {});
  const results = topology.sinks.results ? new JsonlSink(path.join(opts.outDir, 'results.jsonl')) : undefined;
  const dead = topology.sinks.deadLetters ? new JsonlSink(path.join(opts.outDir, 'dead-letters.jsonl')) : undefined;
  const alerts = new JsonlSink(path.join(opts.outDir, 'alerts.jsonl'));
  const metrics = opts.metrics ?? new Metrics({ role: 'run' });
  const observer: RunObserver = metrics.observer();
  const tracker = new AlertTracker({ threshold: topology.alert.z, observer, log });
  const alertRecords: AlertRecord[] = [];
  let deadCount = 0;
  const deadLetter = (d: DeadLetter) => {
    deadCount++;
    dead?.write(d);
    cp?.deadLetter(d);
    observer.deadLetter?.(d);
    // Dead letters are never silent: the first few are logged in full, the rest are counted in the summary.
    if (deadCount <= 5)
      log(
        `dead letter (${d.reason}): ${d.message}${d.file ? ` [${d.file}${d.row !== undefined ? ` row ${d.row}` : ''}]` : ''}`,
      );
  };
  const t0 = performance.now();
  const run = await compileTopology(topology, {
    file: opts.file,
    runId,
    observer,
    deadLetter,
    log,
    inputRoots: opts.inputRoots,
    ...cp?.compileOptions(),
  });
  metrics.declareWindows(
    run.windows.map((w) => w.id),
    topology.classifier.kind === 'none'
      ? [null]
      : [...new Set(run.windows.flatMap((w) => w.workingPoints ?? topology.workingPoints))],
    [run.plan.model],
  );
  const progress = opts.progress?.(run, t0);
  // `live`: a result of this process (journaled, sent to the extra sinks), not one replayed from the checkpoint.
  const emit = (r: WindowResult, live: boolean) => {
    results?.write(r);
    observer.windowResult?.(r);
    if (live) opts.onResult?.(r);
    if (live) cp?.result(r);
    progress?.result(r);
    const a = tracker.offer(r);
    if (a) {
      alertRecords.push(a);
      alerts.write(a);
      if (live) opts.onAlert?.(a);
    }
  };
  const replayed = cp?.attach(run, { runId, flush: opts.sinkFlush, signal: opts.signal });
  for (const d of replayed?.deadLetters ?? []) {
    deadCount++;
    dead?.write(d);
  }
  for (const r of replayed?.results ?? []) emit(r, false);
  let all: WindowResult[];
  let completed = false;
  try {
    all = [
      ...(replayed?.results ?? []),
      ...(await lastValueFrom(
        run.results$.pipe(
          tap((r) => emit(r, true)),
          toArray(),
        ),
      )),
    ];
    completed = true;
  } finally {
    progress?.stop();
    await results?.close();
    await dead?.close();
    await alerts.close();
    await opts.flush?.();
    // At-least-once: offsets are committed only after every result and dead letter of their events is on disk and
    // in the sinks; a run that failed commits nothing and is replayed from the last commit.
    if (completed) await run.source.commit?.(run.positions());
    await run.close();
    if (completed) cp?.complete();
    else cp?.close();
  }
  const c = run.counters;
  const summary: RunSummary = {
    runId,
    topology: topology.name,
    seconds: (performance.now() - t0) / 1000,
    events: {
      read: c.read,
      accepted: c.accepted,
      rejected: c.rejected,
      rejectedByReason: Object.fromEntries(c.rejectedByReason),
      selected: c.selected,
      stored: c.stored,
      rowsUnknown: c.rowsUnknown,
    },
    balanced: c.balanced(),
    cutflow: run.cutflow.entries(),
    bytesPerBufferedEvent: c.stored ? run.buffers.store.bytes() / c.stored : 0,
    results: all.length,
    deadLetters: deadCount,
    alerts: alertRecords.length,
  };
  if (!summary.balanced)
    throw new SidebandError(
      `event counts do not add up: read ${c.read} != accepted ${c.accepted} + rejected ${c.rejected}`,
    );
  await writeFile(path.join(opts.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  if (topology.sinks.report) {
    const report = await writeReport(opts.outDir, all, {
      topology: topology.name,
      runId,
      cutflow: summary.cutflow,
      alertThreshold: topology.alert.z,
      alerts: alertRecords,
      counts: summary.events,
      timings: { total: summary.seconds },
      details: {
        source: run.source.description,
        windows: topology.windows.scheme,
        classifier: run.plan.model,
        seed: topology.seed,
      },
    });
    log(`report: ${report.html}`);
  }
  return { summary, results: all, run };
}
