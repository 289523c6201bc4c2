/**
 * One window's analysis after its buffers were snapshotted: fill the selected mjj histograms (through a
 * HistogramSelector: inclusive, or a classifier's working points), fit the sidebands, predict the SR, compute the
 * significance and the limits, and shape it all into WindowResults. Pure orchestration over the statistics engine
 * (src/fit, src/stats); the stream's `analyse` operator schedules it.
 */
import {
  resultKey,
  type FitResult,
  type HistogramResult,
  type ModelInfo,
  type EvaluationResult,
  type SignificanceResult,
  type WindowResult,
} from '../events/result.js';
import type { WindowSnapshot } from '../events/snapshot.js';
import { clsUpperLimits } from '../stats/cls.js';

/** The statistics engine's entry point for one histogram (src/stats): sideband fit, SR prediction, Z. */
export type HistogramStats = (input: {
  edges: Float64Array;
  counts: Float64Array;
  spread?: Float64Array;
  sr: [number, number];
  fitSr?: [number, number];
  strategy?: 'atlas2024' | 'atlas2020' | 'single';
  functions?: string[];
  sqrtS?: number;
}) => { fit: FitResult; significance: SignificanceResult };

/** Turns a window snapshot into the mjj histograms to fit: one per working point (or one inclusive). */
export type HistogramSelector = (
  snapshot: WindowSnapshot,
  edges: Float64Array,
  workingPoints: number[],
) => Promise<
  Array<{ workingPoint: number | null; histogram: HistogramResult; model?: ModelInfo; evaluation?: EvaluationResult }>
>;

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
}

/** Inclusive selection: the plain mjj histogram of the window, no classifier (a classic bump hunt). */
export const inclusiveHistogram: HistogramSelector = async (snapshot, edges) => [
  {
    workingPoint: null,
    histogram: fillHistogram(snapshot.mjj, snapshot.weight, edges),
  },
];

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

/**
 * One window's analysis: the selected mjj histograms (one per working point, or one inclusive), then per histogram
 * the sideband fit, SR prediction, significance and limits. A fit that throws leaves the result with an error.
 */
export async function analyseSnapshot(
  snap: WindowSnapshot,
  plan: AnalysisPlan,
  edges: Float64Array,
  workingPoints: number[],
  selectHistograms: HistogramSelector,
  stats: HistogramStats,
): Promise<WindowResult[]> {
  const hists = await selectHistograms(snap, edges, workingPoints);
  return hists.map((h) => {
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
    };
    try {
      const { fit, significance } = stats({
        edges,
        counts,
        spread: h.histogram.spread ? Float64Array.from(h.histogram.spread) : undefined,
        sr: snap.window.sr,
        fitSr: plan.fit.strategy === 'atlas2020' ? fitSignalRegion(snap.window) : undefined,
        strategy: plan.fit.strategy,
        functions: plan.fit.functions,
        sqrtS: plan.fit.sqrtS,
      });
      result.fit = fit;
      result.significance = significance;
      if (fit.converged && significance.expected > 0) result.limits = signalLimits(significance);
    } catch (e) {
      result.error = `fit: ${(e as Error).message}`;
    }
    return result;
  });
}

/**
 * Model-independent 95 % CL upper limits on the number of signal events in the merged SR bin (CLs, asymptotic
 * q̃μ, Gaussian-constrained background from the fit, as seed 000 §V.D.5), observed and expected ±1σ, ±2σ.
 */
function signalLimits(sig: SignificanceResult): Record<string, number | number[]> {
  const lim = clsUpperLimits(
    { signal: [1], background: [sig.expected], backgroundUncertainty: [sig.expectedErr] },
    [sig.observed],
    0.95,
  );
  return { cl: lim.cl, signalEventsObserved: lim.observed, signalEventsExpected: lim.expected };
}

/** Seed 001's fit signal region: the training SR plus the adjacent halves of its neighbouring sidebands. */
export function fitSignalRegion(w: WindowSnapshot['window']): [number, number] {
  const below = w.sb.filter(([, b]) => b <= w.sr[0]).map(([a]) => a);
  const above = w.sb.filter(([a]) => a >= w.sr[1]).map(([, b]) => b);
  const lo = below.length ? (w.sr[0] + Math.min(...below)) / 2 : w.sr[0];
  const hi = above.length ? (w.sr[1] + Math.max(...above)) / 2 : w.sr[1];
  return [lo, hi];
}

function baseResult(snap: WindowSnapshot, plan: AnalysisPlan): Omit<WindowResult, 'workingPoint'> {
  return {
    runId: plan.runId,
    topology: plan.topology,
    window: snap.window,
    trigger: snap.trigger,
    cutflow: snap.cutflow,
    counts: { ...snap.counts },
    createdAt: new Date().toISOString(),
  };
}

/** The result of an analysis that failed as a whole (training, selection): no histogram, the error. */
export function failedResult(snap: WindowSnapshot, plan: AnalysisPlan, err: Error): WindowResult {
  return {
    ...baseResult(snap, plan),
    key: resultKey(plan.runId, snap.window.id, 'failed', snap.trigger, snap.sequence),
    workingPoint: null,
    error: err.message,
  };
}
