/**
 * One window's analysis after its buffers were snapshotted: fill the selected mjj histograms (through a
 * HistogramSelector: inclusive, or a classifier's working points), guard the fit range against the trigger
 * turn-on of the inclusive spectrum, fit the sidebands, predict the SR, compute the significance (calibrated when
 * the topology names a calibration), the limits and the window's validity, and shape it all into WindowResults.
 * Pure orchestration over the statistics engine (src/fit, src/stats); the stream's `analyse` operator schedules it.
 *
 * An invalid result (turn-on in range, too few events, failed fit, poor fit next to the SR, failed closure)
 * carries `valid: false` and its reasons, and no Z, p or limits: it is never shown as a number.
 */
import {
  resultKey,
  type EvaluationResult,
  type HistogramResult,
  type ModelInfo,
  type SignificanceResult,
  type ValidityReason,
  type WindowResult,
} from '../events/result.js';
import type { WindowSnapshot } from '../events/snapshot.js';
import { detectTurnOn } from '../fit/turn-on.js';
import { clsUpperLimits } from '../stats/cls.js';
import { pFromZ } from '../stats/special.js';
import { MIN_CLOSURE_SAMPLES, calibrate, calibrationKey, passesClosure, type Calibration } from './calibration.js';
import type { WindowAnalysis, WindowHistogramInput } from './window-analysis.js';
import type { OnlineSelection } from './online-window.js';
import type { BinMapper } from '../classify/binning.js';

/** The statistics engine's entry point for one histogram (src/analysis/window-analysis.ts). */
export type HistogramStats = (input: WindowHistogramInput) => WindowAnalysis;

/** One selected histogram of a window: per working point (or one inclusive). */
export interface Selection {
  workingPoint: number | null;
  histogram: HistogramResult;
  model?: ModelInfo;
  evaluation?: EvaluationResult;
  /** Working points merged into this one because they select the same events. */
  mergedWorkingPoints?: number[];
  /** The trained ensemble and this working point's cuts, for scoring later events (trigger.online). */
  online?: OnlineSelection;
  /** Which of the snapshot's events the selection kept (1 = kept; an ensemble: its first member), for comparisons. */
  pick?: Uint8Array;
}

/**
 * Turns a window snapshot into the mjj histograms to fit: one per working point (or one inclusive). With
 * `keepModels` a classifier selection also hands back what online scoring needs (Selection.online).
 */
export type HistogramSelector = (
  snapshot: WindowSnapshot,
  edges: Float64Array,
  workingPoints: number[],
  opts?: { keepModels?: boolean; warmMappers?: BinMapper[][]; lookupCells?: number },
) => Promise<Selection[]>;

/** What names a result besides its histogram: the window, what made it, its sequence, counts and cut flow. */
export type ResultHeader = Pick<WindowSnapshot, 'window' | 'cutflow' | 'counts' | 'sequence'> & {
  trigger: WindowResult['trigger'];
  /** Arrival time (Unix ms) of the first event of the batch that led to this result. */
  batchArrivedAt?: number;
};

export interface AnalysisPlan {
  runId: string;
  topology: string;
  /** Features handed to the classifier (stored in the buffers). */
  features: string[];
  binning: { width: number; range?: [number, number] };
  workingPoints: number[];
  fit: { strategy: 'atlas2024' | 'atlas2020' | 'single'; functions?: string[]; sqrtS: number };
  concurrency: number;
  /** Pending intermediate analyses allowed beyond the running ones; end-of-stream analyses always queue. */
  queue: number;
  /** Model name for metrics ('inclusive', 'cwola-hgb', ...). */
  model: string;
  /** Calibration of Z from `sideband validate`, when the topology names one. */
  calibration?: Calibration;
  /** Why the topology's calibration was not applied (made for another analysis): results carry it, Z is raw. */
  calibrationNotApplied?: string;
  /** trigger.online: keep each intermediate training's models and score later events with them. */
  online?: boolean;
  /** trigger.online: cells of each model's lookup table (0: score by walking the trees). */
  onlineLookupCells?: number;
}

/** Fewest selected SR events for a significance to mean anything (the asymptotic test and the fit need some). */
export const MIN_SR_EVENTS = 10;

/** Inclusive selection: the plain mjj histogram of the window, no classifier (a classic bump hunt). */
export const inclusiveHistogram: HistogramSelector = async (snapshot, edges) => {
  const histogram = fillHistogram(snapshot.mjj, snapshot.weight, edges);
  const label = snapshot.label;
  if (label) histogram.signal = fillHistogram(snapshot.mjj, snapshot.weight, edges, label).counts;
  return [{ workingPoint: null, histogram }];
};

export function fillHistogram(
  mjj: Float32Array,
  weight: Float32Array | undefined,
  edges: Float64Array,
  pick?: Uint8Array,
): HistogramResult {
  const nb = edges.length - 1;
  const counts = new Float64Array(nb);
  const lo = edges[0]!,
    hi = edges[nb]!;
  const uniform = (hi - lo) / nb;
  const isUniform = edges.every((e, i) => Math.abs(e - (lo + i * uniform)) < 1e-6 * Math.max(1, Math.abs(e)));
  for (let i = 0; i < mjj.length; i++) {
    if (pick && !pick[i]) continue;
    const m = mjj[i]!;
    if (!(m >= lo && m < hi)) continue;
    let b: number;
    if (isUniform) b = Math.min(nb - 1, Math.floor((m - lo) / uniform));
    else {
      b = 0;
      while (b < nb - 1 && m >= edges[b + 1]!) b++;
    }
    counts[b]! += weight ? weight[i]! : 1;
  }
  return { edges: Array.from(edges), counts: Array.from(counts) };
}

/** Lowest mjj the fits of this snapshot may use: above the inclusive spectrum's turn-on, when it has one. */
export function fitFloor(snap: WindowSnapshot): number | undefined {
  const s = snap.spectrum;
  if (!s) return undefined;
  const t = detectTurnOn(s.edges.subarray(0, -1), s.edges.subarray(1), s.counts);
  return t.rising ? t.fitFrom : undefined;
}

/**
 * One window's analysis: the selected mjj histograms (one per working point, or one inclusive), then per histogram
 * the sideband fit, SR prediction, significance, limits and validity. A fit that throws leaves the result with an
 * error.
 */
export async function analyseSnapshot(
  snap: WindowSnapshot,
  plan: AnalysisPlan,
  edges: Float64Array,
  workingPoints: number[],
  selectHistograms: HistogramSelector,
  stats: HistogramStats,
  /** Receives the selections and the fit floor (the online scorer keeps them); with it, models are kept. */
  onSelections?: (selections: Selection[], fitFrom: number | undefined, results: WindowResult[]) => void,
  /** HGB warm start: the previous training's bin mappers, per member and split. */
  warmMappers?: BinMapper[][],
): Promise<WindowResult[]> {
  const hists = await selectHistograms(
    snap,
    edges,
    workingPoints,
    onSelections
      ? {
          keepModels: true,
          ...(warmMappers ? { warmMappers } : {}),
          ...(plan.onlineLookupCells ? { lookupCells: plan.onlineLookupCells } : {}),
        }
      : undefined,
  );
  const fitFrom = fitFloor(snap);
  const results = hists.map((h) => analyseSelection(snap, plan, edges, h, fitFrom, stats));
  onSelections?.(hists, fitFrom, results);
  return results;
}

/**
 * One selected histogram's result: the sideband fit (started from `warm`, a previous fit's function and
 * parameters, when given), SR prediction, significance, calibration, limits and validity.
 */
export function analyseSelection(
  snap: ResultHeader,
  plan: AnalysisPlan,
  edges: Float64Array,
  h: Selection,
  fitFrom: number | undefined,
  stats: HistogramStats,
  warm?: { function: string; params: number[] },
): WindowResult {
  {
    const base = baseResult(snap, plan);
    const counts = Float64Array.from(h.histogram.counts);
    const result: WindowResult = {
      ...base,
      key: resultKey(plan.runId, snap.window.id, h.workingPoint, snap.trigger, snap.sequence),
      workingPoint: h.workingPoint,
      counts: { ...base.counts, selected: counts.reduce((a, b) => a + b, 0) },
      histogram: h.histogram,
      ...(h.model ? { model: h.model } : {}),
      ...(h.evaluation ? { evaluation: h.evaluation } : {}),
      ...(h.mergedWorkingPoints ? { mergedWorkingPoints: h.mergedWorkingPoints } : {}),
    };
    try {
      const a = stats({
        edges,
        counts,
        ...(h.histogram.srCountVariance !== undefined ? { srCountVariance: h.histogram.srCountVariance } : {}),
        sr: snap.window.sr,
        fitSr: plan.fit.strategy === 'atlas2020' ? fitSignalRegion(snap.window) : undefined,
        strategy: plan.fit.strategy,
        functions: plan.fit.functions,
        sqrtS: plan.fit.sqrtS,
        ...(fitFrom !== undefined ? { fitFrom } : {}),
        ...(warm ? { warmStart: warm } : {}),
      });
      result.fit = a.fit;
      result.significance = a.significance;
      const invalid = [...a.invalid];
      if (a.significance.observed < MIN_SR_EVENTS) {
        invalid.push({
          reason: 'too_few_events',
          detail: `${a.significance.observed} selected SR events (need ${MIN_SR_EVENTS})`,
        });
      }
      const entry = plan.calibration?.windows[snap.window.id]?.[calibrationKey(h.workingPoint)];
      if (entry && !passesClosure(entry)) {
        invalid.push({
          reason: 'failed_closure',
          detail:
            entry.samples < MIN_CLOSURE_SAMPLES
              ? `only ${entry.samples} valid signal-free ${plan.calibration!.source} samples (need ${MIN_CLOSURE_SAMPLES})`
              : `signal-free median Z ${entry.median.toFixed(2)}, spread ${entry.spread.toFixed(2)} over ${entry.samples} ${plan.calibration!.source} samples (need both < 1)`,
        });
      }
      finishValidity(result, invalid);
      const sig = result.significance!;
      if (result.valid && sig.z !== undefined && plan.calibration && entry) {
        sig.zRaw = sig.z;
        sig.z = calibrate(sig.z, entry, plan.calibration.mode);
        sig.p = pFromZ(sig.z);
        const { source, mode } = plan.calibration;
        sig.calibration = { mean: entry.mean, std: entry.std, samples: entry.samples, source, mode };
      } else if (plan.calibrationNotApplied && sig.z !== undefined) sig.uncalibrated = plan.calibrationNotApplied;
      else if (plan.calibration && !entry && sig.z !== undefined)
        // The signal-free samples never filled this window at this working point: its Z is raw, and says so.
        sig.uncalibrated = `the calibration has no entry for ${snap.window.id} at ${calibrationKey(h.workingPoint)}: Z is raw`;
      if (result.valid) result.limits = signalLimits(sig);
    } catch (e) {
      result.error = `fit: ${(e as Error).message}`;
      finishValidity(result, [{ reason: 'analysis_failed', detail: result.error }]);
    }
    return result;
  }
}

/** Set `valid` and the reasons; an invalid result keeps its diagnostics but loses its significance. */
function finishValidity(result: WindowResult, invalid: Array<{ reason: ValidityReason; detail: string }>): void {
  result.valid = invalid.length === 0;
  if (result.valid) return;
  result.invalid = invalid;
  const sig = result.significance;
  if (sig) {
    delete sig.z;
    delete sig.p;
  }
}

/**
 * Model-independent 95 % CL upper limits on the number of signal events in the merged SR bin (CLs, asymptotic
 * q̃μ, Gaussian-constrained background from the fit, as seed 000 §V.D.5), observed and expected ±1σ, ±2σ. Like
 * the significance, the test runs on counts scaled by n/V so that the observed count has its own variance.
 */
function signalLimits(sig: SignificanceResult): Record<string, number | number[]> {
  const v = sig.observedVariance ?? sig.observed;
  const c = sig.observed > 0 && v > 0 ? sig.observed / v : 1;
  const lim = clsUpperLimits(
    { signal: [1], background: [c * sig.expected], backgroundUncertainty: [c * sig.expectedErr] },
    [c * sig.observed],
    0.95,
  );
  return { cl: lim.cl, signalEventsObserved: lim.observed / c, signalEventsExpected: lim.expected.map((x) => x / c) };
}

/** Seed 001's fit signal region: the training SR plus the adjacent halves of its neighbouring sidebands. */
export function fitSignalRegion(w: WindowSnapshot['window']): [number, number] {
  const below = w.sb.filter(([, b]) => b <= w.sr[0]).map(([a]) => a);
  const above = w.sb.filter(([a]) => a >= w.sr[1]).map(([, b]) => b);
  const lo = below.length ? (w.sr[0] + Math.min(...below)) / 2 : w.sr[0];
  const hi = above.length ? (w.sr[1] + Math.max(...above)) / 2 : w.sr[1];
  return [lo, hi];
}

function baseResult(snap: ResultHeader, plan: AnalysisPlan): Omit<WindowResult, 'workingPoint'> {
  return {
    runId: plan.runId,
    topology: plan.topology,
    window: snap.window,
    trigger: snap.trigger,
    cutflow: snap.cutflow,
    counts: { ...snap.counts },
    valid: false,
    createdAt: new Date().toISOString(),
    ...(snap.batchArrivedAt !== undefined ? { batchArrivedAt: snap.batchArrivedAt } : {}),
  };
}

/** The result of an analysis that failed as a whole (training, selection): no histogram, the error, invalid. */
export function failedResult(snap: WindowSnapshot, plan: AnalysisPlan, err: Error): WindowResult {
  const reason: ValidityReason = /too few events/.test(err.message) ? 'too_few_events' : 'analysis_failed';
  return {
    ...baseResult(snap, plan),
    key: resultKey(plan.runId, snap.window.id, 'failed', snap.trigger, snap.sequence),
    workingPoint: null,
    error: err.message,
    invalid: [{ reason, detail: err.message }],
  };
}
