import { concat, connect, from, identity, merge, startWith, tap, type Observable } from 'rxjs';
import type { EventBatch, SourcePosition } from '../events/batch.js';
import { CUT_PRESETS, CutFlow, type Cut } from '../events/cuts.js';
import type { DecodeSpec } from '../events/decode.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Calibration } from '../analysis/calibration.js';
import { TopologyError } from '../events/errors.js';
import { RunCounters, type DeadLetter, type RunObserver } from '../events/observer.js';
import type { WindowResult } from '../events/result.js';
import { withEventLoopTurns, type Source } from '../sources/source.js';
import { ParquetSource, type ParquetSourceOptions } from '../sources/parquet.js';
import { defaultIngestThreads, IngestWorkers } from '../training/ingest-workers.js';
import { buildWindows, type SchemeWindow } from '../regions/index.js';
import { WindowBuffers } from '../regions/buffers.js';
import { ControlRegionCollector } from '../regions/control-region.js';
import { OPERATORS } from '../operators/index.js';
import type { AnalysisRequest } from '../operators/trigger.js';
import type { StageContext } from '../operators/context.js';
import type { CompareStageMethod, CompareStagePlan } from '../operators/compare.js';
import type { AnalysisPlan, HistogramSelector, HistogramStats } from '../analysis/analyse-window.js';
import { OnlineWindows } from '../analysis/online-window.js';
import { Znet3 } from '../analysis/ddp-znet3.js';
import { fromBytes, type SavedModel } from '../nn/serialize.js';
import type { Topology } from './schema.js';
import { analysisHash } from './analysis-hash.js';
import { derivedFeatures, ingestPlan, ingestStages } from './ingest.js';
import type { WindowSimulation } from '../training/template-runner.js';

/** trigger.onlineCells by default: 2^18 cells, 1 MB per model (src/classify/forest-lookup.ts). */
const ONLINE_LOOKUP_CELLS = 1 << 18;

/**
 * Compile a validated topology into a runnable flow: the source, the window buffers, and a cold Observable of
 * WindowResults that runs source → decode → derive → select → route → trigger → analyse when subscribed (select
 * and derive alternate so that expensive features are computed only for events that survive the cheap cuts).
 * Stages come from the operator registry in flow order; a topology only parameterises them.
 */
export interface CompiledRun {
  topology: Topology;
  source: Source;
  windows: SchemeWindow[];
  buffers: WindowBuffers;
  counters: RunCounters;
  cutflow: CutFlow;
  cuts: Cut[];
  plan: AnalysisPlan;
  results$: Observable<WindowResult>;
  /** Source positions whose events have been routed into the window buffers (newest per file or partition). */
  positions(): SourcePosition[];
  /** Release what the run holds (training workers, source connections). */
  close(): Promise<void>;
}

export interface CompileOptions {
  file: string;
  runId: string;
  observer?: RunObserver;
  deadLetter?: (d: DeadLetter) => void;
  log?: (message: string) => void;
  /** Replace the topology's source (the Kafka worker, tests with in-memory batches). */
  source?: Source;
  /** Histogram statistics (the stats engine); injectable for tests of the stream alone. */
  stats?: HistogramStats;
  /** Input files must lie under these directories (the CLI's topology trust); absent: anywhere. */
  inputRoots?: readonly string[];
  /** Resume a Parquet source at this file and row group (a run checkpoint). */
  parquetStart?: { file: string; rowGroup: number };
  /** Passed to the source's batches(): the source stops when it fires (a run checkpoint's stop on SIGTERM). */
  sourceSignal?: AbortSignal;
  /** Wrap the source's batches (a run checkpoint: it writes between batches, and skips replayed ones). */
  wrapBatches?: (batches: AsyncIterable<EventBatch>) => AsyncIterable<EventBatch>;
  /** Analyses admitted before a checkpoint and not finished: run again first, on the state they were asked for. */
  restoredRequests?: AnalysisRequest[];
}

/** Source columns a topology reads, for projection. */
export function decodeSpec(t: Topology): DecodeSpec {
  const columns: DecodeSpec['columns'] = {};
  for (const [name, c] of Object.entries(t.columns)) columns[name] = typeof c === 'string' ? { unit: c } : c;
  return { columns, label: t.label, weight: t.weight };
}

export function resolveCuts(t: Topology, file: string): Cut[] {
  if (typeof t.cuts !== 'string') return t.cuts;
  const preset = CUT_PRESETS[t.cuts];
  if (!preset)
    throw new TopologyError(`unknown cut preset '${t.cuts}' (known: ${Object.keys(CUT_PRESETS).join(', ')})`, {
      file,
      path: 'cuts',
    });
  return preset;
}

export async function openSource(
  t: Topology,
  spec: DecodeSpec,
  onError: (d: DeadLetter) => void,
  file: string,
  observer: RunObserver = {},
  opts: Pick<CompileOptions, 'inputRoots' | 'parquetStart'> = {},
): Promise<Source> {
  const src = t.source;
  switch (src.kind) {
    case 'parquet': {
      const columns = [
        ...Object.entries(spec.columns).map(([n, c]) => c.from ?? n),
        ...(spec.label ? [spec.label] : []),
        ...(spec.weight ? [spec.weight] : []),
      ];
      return new ParquetSource({
        path: src.path,
        columns,
        allowedRoots: opts.inputRoots,
        start: opts.parquetStart,
        onFileError: (e, rowsLost) =>
          onError({
            reason: e.reason,
            message: e.message,
            file: e.location.file,
            field: e.location.field,
            row: e.location.row,
            events: rowsLost ?? 0,
            ...(rowsLost === undefined ? { rowsUnknown: true } : {}),
          }),
      });
    }
    case 'hdf5':
    case 'numpy':
    case 'root': {
      const columns = [
        ...Object.entries(spec.columns).map(([n, c]) => c.from ?? n),
        ...(spec.label ? [spec.label] : []),
        ...(spec.weight ? [spec.weight] : []),
      ];
      const { openFormatSource } = await import('./format-sources.js');
      return openFormatSource(
        src,
        columns,
        (e, rowsLost) =>
          onError({
            reason: e.reason,
            message: e.message,
            file: e.location.file,
            field: e.location.field,
            row: e.location.row,
            events: rowsLost,
          }),
        opts.inputRoots,
      );
    }
    case 'generator': {
      if (src.channel === 'monojet') {
        if (src.mode === 'simulation' || src.massShift)
          throw new TopologyError('mode: simulation and massShift are options of the dijet channel', {
            file,
            path: src.mode === 'simulation' ? 'source.mode' : 'source.massShift',
          });
        const { MonojetSource } = await import('../sources/generator-monojet.js');
        const { parseResonanceSpec } = await import('../sources/generator.js');
        return new MonojetSource({
          events: src.events,
          seed: src.seed ?? t.seed,
          signals: (src.signals ?? []).map(parseResonanceSpec),
          controlFraction: src.controlFraction,
          batchSize: src.batchSize,
        });
      }
      const { GeneratorSource, parseResonanceSpec } = await import('../sources/generator.js');
      return new GeneratorSource({
        events: src.events,
        seed: src.seed ?? t.seed,
        signals: (src.signals ?? []).map(parseResonanceSpec),
        batchSize: src.batchSize,
        mjjMin: src.mjjMin,
        mjjMax: src.mjjMax,
        trigger: src.trigger,
        ...(src.substructure ? { substructure: src.substructure } : {}),
        ...(src.mode ? { mode: src.mode } : {}),
        ...(src.massShift !== undefined ? { massShift: src.massShift } : {}),
      });
    }
    case 'kafka': {
      const { kafkaSourceFromTopology } = await import('../sources/kafka.js');
      return kafkaSourceFromTopology(t, onError, {
        onLag: (topic, partition, lag) => observer.kafkaLag?.(topic, partition, lag),
      });
    }
    default:
      throw new TopologyError(`unknown source kind '${(src as { kind: string }).kind}'`, { file, path: 'source.kind' });
  }
}

async function histogramSelector(
  t: Topology,
  windows: SchemeWindow[],
  control: ControlRegionCollector | undefined,
  log: (m: string) => void,
  cuts: Cut[],
  simulation?: WindowSimulation,
): Promise<{ select: HistogramSelector; model: string; close?: () => Promise<void> }> {
  if (t.method) {
    // Seed 003's CMS methods: one model per search, trained on the whole SR sample and the control region.
    const { cmsMethodSelector } = await import('../training/cms-selector.js');
    const workingPoints = [...new Set([...t.workingPoints, ...windows.flatMap((w) => w.workingPoints ?? [])])];
    return cmsMethodSelector(t.method, {
      seed: t.seed,
      workingPoints,
      control,
      log,
      cuts,
      features: t.features,
      mjjMode: t.derive.mjj,
    });
  }
  if (t.classifier.kind === 'none')
    return { select: (await import('../analysis/analyse-window.js')).inclusiveHistogram, model: 'inclusive' };
  const { classifierSelector } = await import('../training/classifier-selector.js');
  return classifierSelector(t.classifier, t.background, simulation);
}

/**
 * The topology's calibration file (`calibration:`, relative to the topology's directory), checked: it must be a
 * sideband calibration made for a topology of the same name and the same analysis (the hash of its analysis blocks,
 * topology/analysis-hash.ts): a calibration of another cut, window, classifier or fit measures another Z, and is
 * not applied (the results say why).
 */
/** The DDP network a topology's `ddp.model` names (relative to the topology's directory). */
async function loadDdpModel(t: Topology, file: string): Promise<{ model: Znet3; label: string }> {
  const p = path.resolve(path.dirname(file), t.ddp!.model);
  let saved: SavedModel;
  try {
    saved = fromBytes(await readFile(p));
  } catch (e) {
    throw new TopologyError(`cannot read the DDP model ${p}: ${(e as Error).message}`, { file, path: 'ddp.model' });
  }
  if ((saved.extra as { model?: string } | undefined)?.model !== 'znet3')
    throw new TopologyError(`${p} is not a Znet3 model from sideband ddp train`, { file, path: 'ddp.model' });
  return { model: new Znet3(saved), label: t.ddp!.model };
}

export async function loadCalibration(
  t: Topology,
  file: string,
  log: (m: string) => void,
): Promise<{ calibration?: Calibration; notApplied?: string }> {
  const p = path.resolve(path.dirname(file), t.calibration!);
  let c: Calibration;
  try {
    c = JSON.parse(await readFile(p, 'utf8')) as Calibration;
  } catch (e) {
    throw new TopologyError(`cannot read the calibration ${p}: ${(e as Error).message}`, { file, path: 'calibration' });
  }
  if (c.kind !== 'sideband-calibration' || typeof c.windows !== 'object')
    throw new TopologyError(`${p} is not a sideband calibration (sideband validate writes one)`, {
      file,
      path: 'calibration',
    });
  if (c.topology !== t.name)
    throw new TopologyError(`${p} calibrates topology '${c.topology}', not '${t.name}'`, { file, path: 'calibration' });
  const hash = analysisHash(t);
  if (c.topologyHash !== hash) {
    // Not applied rather than refused: runs that change the analysis by --set (a smaller ensemble, another
    // binning) are legitimate, but their Z is raw, and every window result says why (significance.uncalibrated).
    const why =
      c.topologyHash === undefined
        ? `${p} records no topology hash, so it cannot be checked against '${t.name}': not applied, Z is raw (rerun sideband validate)`
        : `${p} is stale: it was made for another version of '${t.name}' (analysis hash ${c.topologyHash.slice(0, 12)}, the topology's is ${hash.slice(0, 12)}; cuts, windows, classifier, working points or fit differ): not applied, Z is raw (rerun sideband validate)`;
    log(why);
    return { notApplied: why };
  }
  log(`calibration: ${p} (${c.source}, ${c.samples} signal-free samples, ${c.mode})`);
  return { calibration: c };
}

/** The control region a method trains on (`method.controlRegion`, a cut preset), collected beside the stream. */
function controlRegion(t: Topology, spec: DecodeSpec, file: string): ControlRegionCollector | undefined {
  const name = t.method?.controlRegion ?? t.compare?.controlRegion;
  if (!name) return undefined;
  const cuts = CUT_PRESETS[name];
  if (!cuts)
    throw new TopologyError(`unknown cut preset '${name}' (known: ${Object.keys(CUT_PRESETS).join(', ')})`, {
      file,
      path: t.method ? 'method.controlRegion' : 'compare.controlRegion',
    });
  return new ControlRegionCollector(name, cuts, t.features, t.derive.mjj, t.binning.range, {
    label: spec.label !== undefined,
    weight: spec.weight !== undefined,
    maxBytes: t.memory?.storeBytes,
  });
}

/** The topology's windows, a scheme error named at `windows`. */
export function topologyWindows(t: Topology, file: string): SchemeWindow[] {
  try {
    return buildWindows(t.windows);
  } catch (e) {
    throw new TopologyError((e as Error).message, { file, path: 'windows' });
  }
}

/** The counters, cut flow and stage context of one run, and the accounting of the source's dead letters. */
export function runContext(
  cuts: Cut[],
  opts: CompileOptions,
): { counters: RunCounters; cutflow: CutFlow; ctx: StageContext; onSourceError: (d: DeadLetter) => void } {
  const counters = new RunCounters();
  const cutflow = new CutFlow(cuts);
  const deadLetter = opts.deadLetter ?? (() => {});
  const ctx: StageContext = {
    counters,
    cutflow,
    observer: opts.observer ?? {},
    log: opts.log ?? (() => {}),
    deadLetter,
  };
  // Events of an unreadable file or row group count as read and rejected, so the totals still add up.
  const onSourceError = (d: DeadLetter) => {
    if (d.reason === 'unreadable') counters.unreadable++;
    // An input without a row count it can trust (lost or disagreeing footer): its events are not in `read`.
    if (d.rowsUnknown || (d.reason === 'unreadable' && !(d.events > 0))) counters.rowsUnknown++;
    counters.read += d.events;
    counters.reject(d.reason, d.events);
    ctx.observer.eventsRead?.(d.events);
    ctx.observer.eventsRejected?.(d.reason, d.events);
    deadLetter(d);
  };
  return { counters, cutflow, ctx, onSourceError };
}

export async function compileTopology(t: Topology, opts: CompileOptions): Promise<CompiledRun> {
  // A tail search (seed 004's CONRAD) has its own stages after select: src/topology/compile-conrad.ts.
  if (t.conrad) return (await import('./compile-conrad.js')).compileConrad(t, opts);
  const file = opts.file;
  const spec = decodeSpec(t);
  const cuts = resolveCuts(t, file);
  const windows = topologyWindows(t, file);
  const derived = derivedFeatures(t, spec, cuts, file);
  const { counters, cutflow, ctx, onSourceError } = runContext(cuts, opts);
  const source = opts.source ?? (await openSource(t, spec, onSourceError, file, ctx.observer, opts));
  const buffers = new WindowBuffers(windows, t.features, {
    weight: spec.weight !== undefined,
    label: spec.label !== undefined,
    keep: t.binning.range,
    maxStoreBytes: t.memory?.storeBytes,
    memoryBudget: t.store?.memoryBudget,
    spillDir: t.store?.spillDir,
  });
  const control = controlRegion(t, spec, file);
  const ingest = ingestPlan(spec, cuts, derived, t.derive.mjj, buffers.store.features);
  // SALAD's simulated events: read through the same ingest stages into buffers of their own, before the data.
  const simulation = t.simulation
    ? await (await import('./simulation.js')).runSimulation(t, spec, ingest, windows, { ...opts, log: ctx.log })
    : undefined;
  const {
    select: selectHistograms,
    model,
    close,
  } = await histogramSelector(t, windows, control, ctx.log, cuts, simulation?.of);
  const stats = opts.stats ?? (await import('../analysis/window-analysis.js')).analyseWindowHistogram;
  const { calibration, notApplied } = t.calibration ? await loadCalibration(t, file, ctx.log) : {};
  const ddp = t.ddp ? await loadDdpModel(t, file) : undefined;
  const plan: AnalysisPlan = {
    runId: opts.runId,
    topology: t.name,
    features: t.features,
    binning: t.binning,
    workingPoints: t.workingPoints,
    fit: t.fit,
    concurrency: t.analysis.concurrency,
    queue: t.analysis.queue,
    model,
    ...(calibration ? { calibration } : {}),
    ...(notApplied ? { calibrationNotApplied: notApplied } : {}),
    ...(t.trigger.online
      ? {
          online: true,
          onlineLookupCells: t.trigger.onlineScoring === 'exact' ? 0 : (t.trigger.onlineCells ?? ONLINE_LOOKUP_CELLS),
        }
      : {}),
  };
  const op = OPERATORS;
  // The newest position per file or partition whose events are in the window buffers: what a run commits to the
  // source once its results are durable.
  const routed = new Map<string, SourcePosition>();
  // A Parquet source is read, decoded, validated, derived and selected on worker threads, row group by row group,
  // and taken back in order (src/training/ingest-workers.ts): the same events and counts as on this thread. A control
  // region reads every decoded event, so with one the ingest stays here. A checkpointed run (wrapBatches) uses the
  // workers only when source.threads asks for them: its SIGTERM/SIGKILL resume tests are proven on one thread
  // (test/scaleout/run-checkpoint.test.ts); with threads the resumed results were equal by hand, not yet by a test.
  const threads =
    t.source.kind === 'parquet' ? (t.source.threads ?? (opts.wrapBatches ? 1 : defaultIngestThreads())) : 1;
  const parquet = source instanceof ParquetSource && threads > 1 && !control ? source.options : undefined;
  let workers: IngestWorkers | undefined;
  async function* ingestedOnWorkers(o: ParquetSourceOptions): AsyncIterable<EventBatch> {
    workers = new IngestWorkers(threads, ingest, o);
    ctx.log(`ingest: ${threads} worker threads`);
    yield* workers.ingest(o, opts.sourceSignal);
  }
  const batches = withEventLoopTurns(parquet ? ingestedOnWorkers(parquet) : source.batches(opts.sourceSignal));
  // When the batch being handled left the source (Unix ms): the time alerts measure their latency from.
  let arrivedAt = 0;
  const arrival = () => arrivedAt;
  // trigger.online: intermediate trainings leave their ensembles here; `score` uses them on every later batch.
  const online = t.trigger.online ? new OnlineWindows() : undefined;
  const compared = t.compare ? await compareStage(t, windows, control, ctx.log, cuts) : undefined;
  const analysed = (routed$: Observable<EventBatch>) =>
    compared
      ? routed$.pipe(op.compare(buffers, plan, compared.plan, compared.methods, stats, ctx))
      : routed$.pipe(
          op.trigger(buffers, t.trigger, ctx, arrival),
          startWith(...(opts.restoredRequests ?? [])),
          op.analyse(buffers, plan, selectHistograms, stats, ctx, online),
          // An analysis is finished once its results are emitted (a checkpoint runs unfinished ones again).
          tap((r: WindowResult) => buffers.finished(r)),
        );
  const data$ = from(opts.wrapBatches ? opts.wrapBatches(batches) : batches).pipe(
    tap(() => {
      arrivedAt = Date.now();
    }),
    parquet
      ? op.ingest(ingest, ctx, { ingested: true })
      : ingestStages(ingest, ctx, control ? (b) => control.offer(b) : undefined),
    op.route(buffers, ctx),
    tap((b: EventBatch) => {
      for (const p of b.positions)
        routed.set(p.kind === 'kafka' ? `${p.topic}\u0000${p.partition}` : p.kind === 'file' ? p.file : 'generator', p);
    }),
    online
      ? connect((routed$) =>
          merge(
            analysed(routed$),
            routed$.pipe(
              op.score(buffers, online, plan, stats, ctx, {
                minEvents: t.trigger.onlineMinEvents,
                arrivedAt: arrival,
              }),
            ),
          ),
        )
      : analysed,
    // the DDP scan on every histogram update, beside the fit-based significance
    ddp ? op.ddpScan({ ...ddp, observer: ctx.observer }) : identity,
  );
  const results$ = simulation ? concat(simulation.load$, data$) : data$;
  return {
    topology: t,
    source,
    windows,
    buffers,
    counters,
    cutflow,
    cuts,
    plan,
    results$,
    positions: () => [...routed.values()],
    close: async () => {
      await close?.();
      for (const c of compared?.closes ?? []) await c();
      await workers?.close();
      await source.close?.();
      await simulation?.close();
      buffers.store.close();
    },
  };
}

/** A comparison's methods (each a selector, as a topology with that method alone would build) and its plan. */
async function compareStage(
  t: Topology,
  windows: SchemeWindow[],
  control: ControlRegionCollector | undefined,
  log: (m: string) => void,
  cuts: Cut[],
): Promise<{ plan: CompareStagePlan; methods: CompareStageMethod[]; closes: Array<() => Promise<void>> }> {
  const c = t.compare!;
  const { cutSelector } = await import('../operators/compare.js');
  const { simulate } = await import('../training/cms-selector.js');
  const methods: CompareStageMethod[] = [];
  const closes: Array<() => Promise<void>> = [];
  for (const m of c.methods) {
    let select: HistogramSelector;
    if (m.cuts) select = cutSelector(m.cuts, m.name);
    else {
      const one: Topology = { ...t, classifier: m.classifier ?? { kind: 'none' }, features: m.features ?? t.features };
      delete one.compare;
      if (m.method) one.method = m.method;
      else delete one.method;
      if (m.background) one.background = m.background;
      else delete one.background;
      const s = await histogramSelector(one, windows, control, log, cuts);
      select = s.select;
      if (s.close) closes.push(s.close);
    }
    methods.push({ name: m.name, ...(m.features ? { features: m.features } : {}), select });
  }
  const amounts = [...new Set(c.amounts)].sort((a, b) => a - b);
  const top = amounts[amounts.length - 1]!;
  const signalSeed = c.signalSeed ?? t.seed + 7_000_003;
  const plan: CompareStagePlan = {
    amounts,
    workingPoint: c.workingPoint,
    ...(c.windows ? { windows: c.windows } : {}),
    ...(c.functions ? { functions: c.functions } : {}),
    signal: () => {
      const s = simulate(Math.max(1, top), signalSeed, [c.signal], Math.max(1, top), {
        cuts,
        features: t.features,
        mjjMode: t.derive.mjj,
      });
      return { features: s.features, columns: s.columns, mjj: s.mjj, generated: s.rows, n: s.n };
    },
  };
  if (control) {
    // The same generated signal events through the control region's cuts: amount k injects the control-region
    // share of the first k generated, as the signal region gets its share of them.
    let pool: ReturnType<typeof simulate> | undefined;
    plan.injectControl = (amount) => {
      pool ??= simulate(Math.max(1, top), signalSeed, [c.signal], Math.max(1, top), {
        cuts: control.cuts,
        features: control.store.features,
        mjjMode: t.derive.mjj,
      });
      const rows: number[] = [];
      for (let i = 0; i < pool.n; i++) if (pool.rows[i]! < amount) rows.push(i);
      const pick = (a: Float32Array) => Float32Array.from(rows, (i) => a[i]!);
      control.inject({ features: pool.features, columns: pool.columns.map(pick), mjj: pick(pool.mjj), n: rows.length });
      return rows.length;
    };
  }
  return { plan, methods, closes };
}
