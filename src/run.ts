/**
 * One run of a topology in this process: compile it, stream the source through the pipeline, write results, dead
 * letters and alerts as they come, then the summary, the report and the manifest. Everything is written into a
 * temporary directory beside the output and moved into place when the run ends with a result (src/sinks/output-dir.ts),
 * so a run that fails never destroys the previous one. The CLI (`sideband run`), the benchmarks and the tests all
 * run topologies through here.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fromEvent, lastValueFrom, takeUntil, tap, toArray } from 'rxjs';
import type { DeadLetter, RunObserver } from './events/observer.js';
import { teeObservers } from './events/observer-tee.js';
import { judgeRun, type RunStatus } from './events/run-status.js';
import { fitSignalRegion } from './analysis/analyse-window.js';
import { globalSignificance, type GlobalSignificance } from './analysis/global-significance.js';
import { analyseWindowHistogram } from './analysis/window-analysis.js';
import type { WindowResult } from './events/result.js';
import { JsonlSink } from './sinks/jsonl.js';
import { writeFormatSinks } from './sinks/formats.js';
import { Metrics } from './metrics/index.js';
import { AlertTracker, type AlertRecord } from './operators/alert.js';
import { compileTopology, type CompiledRun } from './topology/compile.js';
import type { Topology } from './topology/schema.js';
import { InterruptedError, SidebandError } from './events/errors.js';
import type { RunCheckpoint } from './scaleout/run-checkpoint.js';
import { canonicalJson, fileSha256, runVersions, sha256, writeManifest, type RunManifest } from './sinks/manifest.js';
import { OutputDir } from './sinks/output-dir.js';
import { sourceInventory, type SourceInventory } from './sources/inventory.js';
import type { Source } from './sources/source.js';

export interface RunSummary {
  runId: string;
  topology: string;
  /** ok | no-input | analysis-failed (src/events/run-status.ts); the CLI exits 0, 3 or 4 on it. */
  status: RunStatus;
  /** What the run produced, or why it produced nothing, in one line. */
  message: string;
  seconds: number;
  events: {
    read: number;
    accepted: number;
    rejected: number;
    rejectedByReason: Record<string, number>;
    selected: number;
    stored: number;
    /** Files or row groups that could not be read at all. */
    unreadable: number;
    /** Of those, how many without a row count: their events are not in `read` ("rows unknown"). */
    rowsUnknown: number;
  };
  balanced: boolean;
  cutflow: { cut: string; pass: number }[];
  bytesPerBufferedEvent: number;
  results: number;
  deadLetters: number;
  alerts: number;
  /** Look-elsewhere: the global significance of the largest local Z (when the topology asks for it). */
  globalSignificance?: GlobalSignificance;
  /** A tail search (conrad): the ABCD prediction, observation and Z of each false-positive-rate working point. */
  abcd?: Array<{
    window: string;
    workingPoint: number | null;
    predicted: number;
    predictedErr: number;
    observed: number;
    z?: number;
    sOverSqrtB?: number;
    controlClosureRatio: number;
    /** Prediction / true background in A, where the input has truth labels. */
    truthRatio?: number;
    valid: boolean;
    invalid?: string[];
  }>;
}

/** What the run tells a progress display (the CLI's terminal display, src/cli/progress.ts). */
export interface ProgressDisplay {
  result(r: WindowResult): void;
  /** The stage after the stream ended (writing the report). */
  stage?(name: string): void;
  stop(): void;
  /** Hears the stages' calls, beside the metrics (trainings started and finished, queue depth). */
  observer?: RunObserver;
}

export interface RunOptions {
  file: string;
  /** The output directory; replaced only when the run ends with a result (exit 0 or 4). */
  outDir: string;
  /** The --set overrides the topology was loaded with, for the manifest. */
  overrides?: string[];
  /**
   * Stops the run (abort with the signal's name as reason): at the next checkpoint when there is one, else at once;
   * no output is replaced, the partial outputs are kept as `<out>.failed-<runId>`.
   */
  signal?: AbortSignal;
  runId?: string;
  /** Prometheus instruments of this run (a fresh registry when absent). */
  metrics?: Metrics;
  log?: (m: string) => void;
  /** Progress display (the CLI's), told about the compiled run, the expected event total and each result. */
  progress?: (run: CompiledRun, t0: number, info: { total?: number }) => ProgressDisplay;
  /** Extra result handlers (the Kafka results topic). */
  onResult?: (r: WindowResult) => void;
  /** Extra alert handlers (the Kafka alerts topic). */
  onAlert?: (a: AlertRecord) => void;
  /** Make the extra sinks durable (flush the Kafka producer); awaited before the source's offsets are committed. */
  flush?: () => Promise<void>;
  /** Replace the topology's source (validation's pseudo-datasets, injections); not inventoried. */
  source?: Source;
  /** Checkpoint of this run (`<out>.checkpoint`): resume from it, write it periodically, commit Kafka offsets after. */
  checkpoint?: RunCheckpoint;
  /** Flush the extra sinks without closing them (at every checkpoint, before offsets are committed). */
  sinkFlush?: () => Promise<void>;
  /** Input files must lie under these directories (topology trust); absent: anywhere. */
  inputRoots?: readonly string[];
}

/**
 * Run a topology to completion: results stream to DIR/results.jsonl as windows finish, dead letters to
 * DIR/dead-letters.jsonl; at the end DIR/summary.json, DIR/manifest.json and (unless disabled) DIR/report.html.
 * Returns the summary with the run's status; only a crash or an interruption throws (the previous DIR stays).
 */
export async function runTopology(
  topology: Topology,
  opts: RunOptions,
): Promise<{ summary: RunSummary; results: WindowResult[]; run: CompiledRun; outDir: string }> {
  const runId = opts.checkpoint?.runId ?? opts.runId ?? randomUUID();
  const log = opts.log ?? (() => {});
  const started = new Date();
  // A source that names nothing readable fails here, before any output is touched.
  const inventory: SourceInventory = opts.source
    ? { files: [] }
    : await sourceInventory(topology.source, opts.inputRoots);
  const out = await OutputDir.prepare(opts.outDir, runId);
  const manifest = (status: string, exitCode: number, error?: string) =>
    buildManifest(topology, opts, runId, started, inventory, out.final, status, exitCode, error);
  try {
    const r = await runInto(out.path, topology, opts, runId, inventory, log);
    const exitCode = runExitCode(r.summary);
    await writeManifest(out.path, await manifest(r.summary.status, exitCode));
    // No usable input is not a result: the previous outputs stay, this run's are kept beside them.
    if (r.summary.status === 'no-input') return { ...r, outDir: await out.fail() };
    await out.commit();
    if (r.report) log(`report: ${path.join(out.final, 'report.html')}`);
    return { ...r, outDir: out.final };
  } catch (e) {
    const interrupted = e instanceof InterruptedError;
    const code = interrupted ? (e.signalName === 'SIGTERM' ? 143 : 130) : 1;
    await writeManifest(
      out.path,
      await manifest(interrupted ? 'interrupted' : 'failed', code, (e as Error).message),
    ).catch(() => {});
    const kept = await out.fail();
    log(`run ${runId} did not finish; ${opts.outDir} left as it was, partial outputs in ${kept}`);
    throw e;
  }
}

/** The exit code a finished run ends with (src/cli/exit-codes.ts): written into its manifest as well. */
export function runExitCode(summary: RunSummary): number {
  if (summary.status === 'no-input') return 3;
  if (summary.status === 'analysis-failed') return 4;
  return summary.events.rowsUnknown > 0 ? 5 : 0;
}

/** The signal an AbortController was aborted with ('SIGINT', 'SIGTERM'), or '' when its reason is not one. */
function signalName(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : '';
}

async function buildManifest(
  topology: Topology,
  opts: RunOptions,
  runId: string,
  started: Date,
  inventory: SourceInventory,
  output: string,
  status: string,
  exitCode: number,
  error?: string,
): Promise<RunManifest> {
  const finished = new Date();
  return {
    runId,
    status,
    exitCode,
    ...(error ? { error } : {}),
    started: started.toISOString(),
    finished: finished.toISOString(),
    seconds: (finished.getTime() - started.getTime()) / 1000,
    topology: {
      file: opts.file,
      name: topology.name,
      fileSha256: await fileSha256(opts.file),
      sha256: sha256(canonicalJson(topology)),
      overrides: opts.overrides ?? [],
    },
    seed: topology.seed,
    versions: await runVersions(),
    platform: `${process.platform}-${process.arch}`,
    source: topology.source.kind,
    inputs: inventory.files,
    output,
  };
}

/** The run itself, writing into `dir` (the temporary directory). */
async function runInto(
  dir: string,
  topology: Topology,
  opts: RunOptions,
  runId: string,
  inventory: SourceInventory,
  log: (m: string) => void,
): Promise<{ summary: RunSummary; results: WindowResult[]; run: CompiledRun; report: boolean }> {
  const results = topology.sinks.results ? new JsonlSink(path.join(dir, 'results.jsonl')) : undefined;
  const dead = topology.sinks.deadLetters ? new JsonlSink(path.join(dir, 'dead-letters.jsonl')) : undefined;
  const alerts = new JsonlSink(path.join(dir, 'alerts.jsonl'));
  const metrics = opts.metrics ?? new Metrics({ role: 'run' });
  // The progress display exists only once the run is compiled; the stages get the observer before.
  const late: { progress?: RunObserver } = {};
  const observer: RunObserver = teeObservers(metrics.observer(), () => late.progress);
  const tracker = new AlertTracker({ threshold: topology.alert.z, source: topology.ddp?.alertOn, observer, log });
  const cp = opts.checkpoint;
  const deadLetters = { count: 0 };
  const deadLetter = (d: DeadLetter) => {
    const deadCount = ++deadLetters.count;
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
    ...(opts.source ? { source: opts.source } : {}),
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
  const progress = opts.progress?.(run, t0, { total: inventory.events });
  late.progress = progress?.observer;
  try {
    return await streamRun(dir, topology, opts, runId, run, progress, t0, {
      results,
      dead,
      alerts,
      observer,
      tracker,
      deadLetters,
    });
  } finally {
    progress?.stop();
  }
}

async function streamRun(
  dir: string,
  topology: Topology,
  opts: RunOptions,
  runId: string,
  run: CompiledRun,
  progress: ProgressDisplay | undefined,
  t0: number,
  sinks: {
    results?: JsonlSink;
    dead?: JsonlSink;
    alerts: JsonlSink;
    observer: RunObserver;
    tracker: AlertTracker;
    deadLetters: { count: number };
  },
): Promise<{ summary: RunSummary; results: WindowResult[]; run: CompiledRun; report: boolean }> {
  const { results, dead, alerts, observer, tracker } = sinks;
  const cp = opts.checkpoint;
  const alertRecords: AlertRecord[] = [];
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
  // With a checkpoint, a signal stops the source at its next checkpoint (the stream then fails with RunInterrupted);
  // without one, the stream is cut where it is.
  const replayed = cp?.attach(run, { runId, flush: opts.sinkFlush, signal: opts.signal });
  for (const d of replayed?.deadLetters ?? []) {
    sinks.deadLetters.count++;
    dead?.write(d);
  }
  for (const r of replayed?.results ?? []) emit(r, false);
  let all: WindowResult[];
  let completed = false;
  const stop$ = opts.signal && !cp ? fromEvent(opts.signal, 'abort') : undefined;
  try {
    if (stop$ && opts.signal?.aborted) throw new InterruptedError(`run ${runId}: interrupted before it started`);
    all = [
      ...(replayed?.results ?? []),
      ...(await lastValueFrom(
        run.results$.pipe(
          (s$) => (stop$ ? s$.pipe(takeUntil(stop$)) : s$),
          tap((r) => emit(r, true)),
          toArray(),
        ),
      )),
    ];
    // An interrupted stream completes early: it must neither commit source offsets nor replace any output.
    if (stop$ && opts.signal?.aborted) throw new InterruptedError(`run ${runId}: interrupted`, signalName(opts.signal));
    completed = true;
  } finally {
    progress?.stage?.('closing');
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
  const verdict = judgeRun(
    {
      read: c.read,
      accepted: c.accepted,
      rejected: c.rejected,
      rejectedByReason: Object.fromEntries(c.rejectedByReason),
      unreadable: c.unreadable,
      rowsUnknown: c.rowsUnknown,
    },
    all,
  );
  const summary: RunSummary = {
    runId,
    topology: topology.name,
    status: verdict.status,
    message: verdict.message,
    seconds: (performance.now() - t0) / 1000,
    events: {
      read: c.read,
      accepted: c.accepted,
      rejected: c.rejected,
      rejectedByReason: Object.fromEntries(c.rejectedByReason),
      selected: c.selected,
      stored: c.stored,
      unreadable: c.unreadable,
      rowsUnknown: c.rowsUnknown,
    },
    balanced: c.balanced(),
    cutflow: run.cutflow.entries(),
    bytesPerBufferedEvent: c.stored ? run.buffers.store.bytes() / c.stored : 0,
    results: all.length,
    deadLetters: sinks.deadLetters.count,
    alerts: alertRecords.length,
  };
  const tail = all.filter((r) => r.abcd && r.trigger === 'end');
  if (tail.length)
    summary.abcd = tail.map((r) => ({
      window: r.window.id,
      workingPoint: r.workingPoint,
      predicted: r.abcd!.predicted,
      predictedErr: r.abcd!.predictedErr,
      observed: r.abcd!.observed,
      ...(r.significance?.z !== undefined ? { z: r.significance.z } : {}),
      ...(r.abcd!.sOverSqrtB !== undefined ? { sOverSqrtB: r.abcd!.sOverSqrtB } : {}),
      controlClosureRatio: r.abcd!.controlClosure.ratio,
      ...(r.abcd!.truth ? { truthRatio: r.abcd!.truth.ratio } : {}),
      valid: r.valid,
      ...(r.invalid ? { invalid: r.invalid.map((v) => `${v.reason}: ${v.detail}`) } : {}),
    }));
  const lee = topology.statistics?.lookElsewhere;
  if (lee && lee.pseudoExperiments > 0) {
    progress?.stage?.(`look-elsewhere: ${lee.pseudoExperiments} pseudo-experiments`);
    const g = globalSignificance(all, {
      pseudoExperiments: lee.pseudoExperiments,
      seed: lee.seed ?? topology.seed,
      stats: analyseWindowHistogram,
      fit: topology.fit,
      fitSr: (r) => (topology.fit.strategy === 'atlas2020' ? fitSignalRegion(r.window) : undefined),
    });
    if (g) summary.globalSignificance = g;
  }
  if (!summary.balanced)
    throw new SidebandError(
      `event counts do not add up: read ${c.read} != accepted ${c.accepted} + rejected ${c.rejected}`,
    );
  await writeFile(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  for (const f of await writeFormatSinks(dir, all, topology.sinks)) opts.log?.(`wrote ${f}`);
  if (topology.compare) {
    progress?.stage?.('writing the comparison');
    const { writeCompareReport } = await import('./sinks/compare-report.js');
    const page = await writeCompareReport(dir, all, {
      topology: topology.name,
      signal: topology.compare.signal,
      seconds: summary.seconds,
    });
    opts.log?.(`comparison: ${page.html}, ${page.json}`);
  }
  if (topology.sinks.report) {
    progress?.stage?.('writing the report');
    // Loaded only when a report is wanted: the plotting stack takes most of a second to load.
    const { writeReport } = await import('./sinks/report.js');
    await writeReport(dir, all, {
      topology: topology.name,
      runId,
      cutflow: summary.cutflow,
      alertThreshold: topology.alert.z,
      alerts: alertRecords,
      counts: summary.events,
      timings: { total: summary.seconds },
      ...(summary.globalSignificance ? { global: summary.globalSignificance } : {}),
      plotLabel: plotLabelOf(topology),
      publication: topology.plots?.publication === false ? false : { widthCm: topology.plots?.printWidth ?? 12 },
      details: {
        source: run.source.description,
        windows: topology.windows.scheme,
        classifier: run.plan.model,
        seed: topology.seed,
      },
    });
  }
  return { summary, results: all, run, report: topology.sinks.report };
}

/** The experiment-style label of the figures: the topology's `plots.label`, √s defaulting to the fit's. */
function plotLabelOf(t: Topology): { experiment: string; status?: string; sqrtS?: number; lumi?: number } {
  const l = t.plots?.label ?? {};
  return {
    experiment: l.experiment ?? 'sideband',
    ...(l.status ? { status: l.status } : {}),
    sqrtS: l.sqrtS ?? t.fit.sqrtS / 1000,
    ...(l.lumi !== undefined ? { lumi: l.lumi } : {}),
  };
}
