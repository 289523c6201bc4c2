/**
 * Truth-aware evaluation of a classifier where labels exist (simulation, the LHCO R&D set): ROC curve, AUC, and the
 * maximum significance improvement SIC = TPR/√FPR. The max SIC is guarded by a minimum number of background events
 * passing the cut: at tiny FPR a handful of background events makes SIC explode from statistical noise. The default
 * guard (25 events, i.e. a 20 % relative error on the background efficiency) follows the CATHODE study's convention.
 */
import type { EvaluationResult } from '../events/result.js';
import { SidebandError } from '../events/errors.js';

export const DEFAULT_SIC_MIN_BACKGROUND = 25;

export interface RocCurve {
  /** Ascending false-positive rates, starting at 0 and ending at 1. */
  fpr: Float64Array;
  tpr: Float64Array;
  /** Score threshold at each point (events with score >= threshold pass); +Infinity at the origin. */
  threshold: Float64Array;
  /** Unweighted number of background events passing at each point. */
  nBackground: Float64Array;
}

/**
 * ROC curve from scores and 0/1 labels (optional per-event weights). One point per distinct score, so ties never
 * produce an optimistic staircase.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>, weights?: ArrayLike<number>): RocCurve {
  const n = scores.length;
  if (labels.length !== n) throw new SidebandError(`roc: ${labels.length} labels for ${n} scores`);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const sc = Float64Array.from(scores as ArrayLike<number>);
  order.sort((a, b) => sc[b]! - sc[a]!);
  let totS = 0;
  let totB = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    if (labels[i]) totS += w;
    else totB += w;
  }
  if (totS <= 0 || totB <= 0) throw new SidebandError('roc: need both signal and background events');
  // At most one point per event plus the origin: typed arrays of that size, cut to the points found (a window's SR
  // holds millions of events; JS arrays of doubles grown point by point hold them boxed or reallocated).
  const fpr = new Float64Array(n + 1);
  const tpr = new Float64Array(n + 1);
  const thr = new Float64Array(n + 1);
  const nb = new Float64Array(n + 1);
  thr[0] = Infinity;
  let m = 1;
  let s = 0;
  let b = 0;
  let nbRaw = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const w = weights ? weights[i]! : 1;
    if (labels[i]) s += w;
    else {
      b += w;
      nbRaw++;
    }
    if (k === n - 1 || sc[order[k + 1]!]! !== sc[i]!) {
      fpr[m] = b / totB;
      tpr[m] = s / totS;
      thr[m] = sc[i]!;
      nb[m++] = nbRaw;
    }
  }
  return { fpr: fpr.slice(0, m), tpr: tpr.slice(0, m), threshold: thr.slice(0, m), nBackground: nb.slice(0, m) };
}

/** Area under the ROC curve (trapezoids). */
export function auc(roc: RocCurve): number {
  let a = 0;
  for (let i = 1; i < roc.fpr.length; i++) a += (roc.fpr[i]! - roc.fpr[i - 1]!) * 0.5 * (roc.tpr[i]! + roc.tpr[i - 1]!);
  return a;
}

/** max TPR/√FPR over the points with at least `minBackground` background events passing. */
export function maxSic(roc: RocCurve, minBackground = DEFAULT_SIC_MIN_BACKGROUND): number {
  let best = 0;
  for (let i = 1; i < roc.fpr.length; i++) {
    if (roc.nBackground[i]! < minBackground || roc.fpr[i]! <= 0) continue;
    const v = roc.tpr[i]! / Math.sqrt(roc.fpr[i]!);
    if (v > best) best = v;
  }
  return best;
}

/** Down-sample a ROC curve to at most `points` points (for JSON results), keeping both ends. */
export function thinRoc(roc: RocCurve, points = 101): { fpr: number[]; tpr: number[] } {
  const m = roc.fpr.length;
  if (m <= points) return { fpr: Array.from(roc.fpr), tpr: Array.from(roc.tpr) };
  const fpr: number[] = [];
  const tpr: number[] = [];
  for (let k = 0; k < points; k++) {
    const i = Math.round((k * (m - 1)) / (points - 1));
    fpr.push(roc.fpr[i]!);
    tpr.push(roc.tpr[i]!);
  }
  return { fpr, tpr };
}

/** AUC, guarded max SIC and a thinned ROC in the result format. */
export function evaluate(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: { weights?: ArrayLike<number>; minBackground?: number; rocPoints?: number } = {},
): EvaluationResult {
  const roc = rocCurve(scores, labels, opts.weights);
  return { auc: auc(roc), maxSic: maxSic(roc, opts.minBackground), roc: thinRoc(roc, opts.rocPoints) };
}

/** Signal efficiencies at which per-member SIC curves are sampled: 0.02, 0.04, …, 1. */
export const SIC_GRID: readonly number[] = Array.from({ length: 50 }, (_, k) => Number(((k + 1) * 0.02).toFixed(2)));

/**
 * SIC = ε_S/√ε_B of a ROC curve at given signal efficiencies: ε_B interpolated linearly between the ROC points
 * around each ε_S (the curve is monotone), null where fewer than `minBackground` background events pass there,
 * because the SIC of a handful of background events is noise (the max-SIC guard).
 */
export function sicAt(
  roc: RocCurve,
  tprGrid: readonly number[],
  minBackground = DEFAULT_SIC_MIN_BACKGROUND,
): (number | null)[] {
  const out: (number | null)[] = [];
  let i = 1;
  for (const t of tprGrid) {
    while (i < roc.tpr.length - 1 && roc.tpr[i]! < t) i++;
    const t0 = roc.tpr[i - 1]!;
    const t1 = roc.tpr[i]!;
    const f = t1 > t0 ? (t - t0) / (t1 - t0) : 1;
    const fpr = roc.fpr[i - 1]! + f * (roc.fpr[i]! - roc.fpr[i - 1]!);
    const nb = roc.nBackground[i - 1]! + f * (roc.nBackground[i]! - roc.nBackground[i - 1]!);
    out.push(fpr > 0 && nb >= minBackground && t1 >= t ? t / Math.sqrt(fpr) : null);
  }
  return out;
}

/** Per-member evaluations for bands over an ensemble: each member's SIC on SIC_GRID, AUC and guarded max SIC. */
export function evaluateMembers(
  /** One array per member; an iterable (a generator) lets the caller make each only when it is evaluated. */
  memberScores: Iterable<ArrayLike<number>>,
  labels: ArrayLike<number>,
  opts: { minBackground?: number; ensembleScores?: ArrayLike<number> } = {},
): NonNullable<EvaluationResult['members']> {
  const sic: (number | null)[][] = [];
  const aucs: number[] = [];
  const maxSics: number[] = [];
  for (const s of memberScores) {
    const roc = rocCurve(s, labels);
    sic.push(sicAt(roc, SIC_GRID, opts.minBackground));
    aucs.push(auc(roc));
    maxSics.push(maxSic(roc, opts.minBackground));
  }
  const out: NonNullable<EvaluationResult['members']> = { tpr: [...SIC_GRID], sic, auc: aucs, maxSic: maxSics };
  if (opts.ensembleScores) out.ensemble = sicAt(rocCurve(opts.ensembleScores, labels), SIC_GRID, opts.minBackground);
  return out;
}
