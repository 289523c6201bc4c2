/**
 * The shipped classifier path on the LHCO R&D signal region: what `sideband run` does to a window's events
 * (src/analysis/cwola-selection.ts selectWithClassifier: per-member fold assignment, k-fold cross-validation
 * with out-of-fold scores, the ensemble, per-fold thresholds at each working point, the bin-wise median of the
 * members' histograms), measured on a labelled evaluation set that no model ever trains on.
 *
 * The R&D files hold only the signal region, so the window is built by hand:
 *   - "data" events (the SR class, label 1) keep their mjj in [3300, 3700) GeV;
 *   - "template" events (the background class, label 0) get mjj 3150 GeV, inside the one sideband
 *     [3000, 3300): mjj is not a feature, only the role it gives matters;
 *   - evaluation events get mjj outside the window (background 4050 GeV, signal 4150 GeV): role "outside", so
 *     they are never trained on, but they are assigned to folds, scored by the fold models that never saw them
 *     and selected with the same per-fold thresholds as the data (seed 001 scores the whole spectrum this way).
 * Their two mjj values fall in two histogram bins of their own, so the ensemble's bin-wise median histogram holds,
 * at each working point, the median number of evaluation signal and background events the shipped selection
 * keeps: TPR = S_sel / S, FPR = B_sel / B and SIC = TPR / √FPR of exactly what a run selects.
 */
import type { ClassifierConfig } from '../src/classify/config.js';
import type { Trainer } from '../src/classify/train-job.js';
import type { ModelInfo, EvaluationResult } from '../src/events/result.js';
import type { WindowSnapshot } from '../src/events/snapshot.js';
import { selectWithClassifier } from '../src/analysis/cwola-selection.js';
import { DEFAULT_SIC_MIN_BACKGROUND } from '../src/classify/metrics.js';
import type { LhcoTable } from './lhco-data.js';

export interface LhcoSample {
  data: LhcoTable;
  template: LhcoTable;
  evalSignal: LhcoTable;
  evalBackground: LhcoTable;
}

/** Working points for the max-SIC scan: the shipped defaults (0.1, 0.02, 0.01) and a log grid around them. */
export const SIC_WORKING_POINTS = [0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.007, 0.005, 0.003, 0.002, 0.0015];

const WINDOW = { id: 'lhco-rnd-sr', sr: [3300, 3700] as [number, number], sb: [[3000, 3300] as [number, number]] };
const TEMPLATE_MJJ = 3150;
const EVAL_BACKGROUND_MJJ = 4050;
const EVAL_SIGNAL_MJJ = 4150;
/** Bins: sideband, SR, a gap, evaluation background, evaluation signal. */
const EDGES = Float64Array.of(3000, 3300, 3700, 4000, 4100, 4200);

export interface WorkingPointSic {
  eps: number;
  selectedSignal: number;
  selectedBackground: number;
  tpr: number;
  fpr: number;
  /** TPR/√FPR; null when fewer than the guard's background events pass (the SIC would be noise). */
  sic: number | null;
}

export interface ShippedResult {
  workingPoints: WorkingPointSic[];
  maxSic: number;
  maxSicEps: number;
  model: ModelInfo;
  /** The shipped truth-aware evaluation: member-averaged out-of-fold scores of the data events. */
  dataEvaluation?: { auc: number; maxSic: number };
}

/** The window snapshot a run would hand to its classifier, with the evaluation events outside the window. */
export function lhcoSnapshot(s: LhcoSample): WindowSnapshot {
  const parts: [LhcoTable, number | null][] = [
    [s.data, null],
    [s.template, TEMPLATE_MJJ],
    [s.evalBackground, EVAL_BACKGROUND_MJJ],
    [s.evalSignal, EVAL_SIGNAL_MJJ],
  ];
  const n = parts.reduce((a, [t]) => a + t.n, 0);
  const nf = s.data.columns.length;
  const columns = Array.from({ length: nf }, () => new Float32Array(n));
  const mjj = new Float32Array(n);
  const label = new Uint8Array(n);
  let o = 0;
  for (const [t, m] of parts) {
    for (let f = 0; f < nf; f++) columns[f]!.set(t.columns[f]!, o);
    label.set(t.label, o);
    for (let i = 0; i < t.n; i++) {
      // Data keep their own mjj (TeV → GeV), kept inside the SR against float rounding at its edges.
      mjj[o + i] = m ?? Math.min(Math.max(t.mjj[i]! * 1000, WINDOW.sr[0]), WINDOW.sr[1] - 0.01);
    }
    o += t.n;
  }
  return {
    window: WINDOW,
    trigger: 'end',
    features: ['mj_min', 'delta_mj', 'tau21_lighter', 'tau21_heavier'],
    columns,
    mjj,
    label,
    n,
    counts: { sr: s.data.n, sbLow: s.template.n, sbHigh: 0 },
    cutflow: [],
  };
}

/** Run the shipped selection on the sample and read the evaluation events' counts off its histograms. */
export async function shippedSelection(
  sample: LhcoSample,
  config: Partial<ClassifierConfig>,
  train: Trainer,
  workingPoints: number[] = SIC_WORKING_POINTS,
): Promise<ShippedResult> {
  const snapshot = lhcoSnapshot(sample);
  const minB = config.sicMinBackground ?? DEFAULT_SIC_MIN_BACKGROUND;
  const sel = await selectWithClassifier(snapshot, { ...config, workingPoints }, { edges: EDGES }, { train });
  const nS = sample.evalSignal.n;
  const nB = sample.evalBackground.n;
  const wps = sel.map((r): WorkingPointSic => {
    const b = r.histogram.counts[3]!;
    const s = r.histogram.counts[4]!;
    const tpr = s / nS;
    const fpr = b / nB;
    return {
      eps: r.workingPoint,
      selectedSignal: s,
      selectedBackground: b,
      tpr,
      fpr,
      sic: b >= minB && fpr > 0 ? tpr / Math.sqrt(fpr) : null,
    };
  });
  let best = wps[0]!;
  for (const w of wps) if ((w.sic ?? -1) > (best.sic ?? -1)) best = w;
  const ev: EvaluationResult | undefined = sel[0]?.evaluation;
  return {
    workingPoints: wps,
    maxSic: best.sic ?? Number.NaN,
    maxSicEps: best.eps,
    model: sel[0]!.model,
    ...(ev ? { dataEvaluation: { auc: ev.auc, maxSic: ev.maxSic } } : {}),
  };
}
