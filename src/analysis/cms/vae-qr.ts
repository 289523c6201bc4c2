/**
 * VAE-QR (seed 003): an autoencoder per jet trained on the QCD-dominated control region (2.0 < |Δη| < 2.5 plus the
 * balance conditions: a resonance barely reaches it), the jets' reconstruction errors ranked against the control
 * region's and combined into the event score max(S1, S2); then quantile regression of that score against mjj in
 * the signal region, with k-fold cross validation (seed 003: 4 folds, the fit of the other folds selects each
 * fold's events), so that "score above its (1 − ε)-quantile at this mjj" keeps a fraction ε of the background at
 * every mass: the selected spectrum keeps the smooth shape of the inclusive one and is fitted like it.
 *
 * The model is trained once per state of the data (the same SR sample, the same control sample) and reused for
 * every window analysed on it: with `binning.range` set every window snapshot holds the whole SR sample, and with
 * the end-of-stream trigger every window is analysed on the same one.
 */
import { SidebandError } from '../../events/errors.js';
import type { ModelInfo } from '../../events/result.js';
import {
  reconstructionError,
  trainAutoencoder,
  type Autoencoder,
  type AutoencoderOptions,
} from '../../classify/autoencoder.js';
import {
  fitQuantileRegression,
  predictQuantiles,
  type QuantileRegressionOptions,
} from '../../classify/quantile-regression.js';
import { deriveSeed } from '../../classify/random.js';
import type { Selection } from '../analyse-window.js';
import {
  PercentileRank,
  bothJets,
  contentFolds,
  eventScore,
  jetColumns,
  jetMatrix,
  selectedHistogram,
  type JetSample,
} from './jets.js';

export interface VaeQrConfig {
  kind: 'vae-qr';
  /** Per-jet feature stems (jet1_<stem>, jet2_<stem> must be stored). */
  jetFeatures: string[];
  /** Stems given to the autoencoder as ln(value): momenta, masses and counts that scale with pT. */
  logFeatures?: string[];
  autoencoder?: Omit<AutoencoderOptions, 'seed'>;
  quantileRegression?: Omit<QuantileRegressionOptions, 'seed'> & { folds?: number };
  /** At most this many SR events train each fold's regression (default 60000; the rest are only selected). */
  maxRegressionEvents?: number;
}

export interface VaeQrModel {
  ae: Autoencoder;
  rank1: PercentileRank;
  rank2: PercentileRank;
  cols: [number[], number[]];
  /** Cross-validation folds of the regression. */
  folds: number;
  levels: number[];
  predict: (mjj: Float32Array, fold: number) => Float32Array;
  seconds: { autoencoder: number; regression: number };
  controlJets: number;
  logs: boolean[];
  srEvents: number;
  seed: number;
}

/** Train the autoencoder on the control region and the fold-wise quantile regressions on the SR sample. */
export function trainVaeQr(
  cfg: VaeQrConfig,
  sr: JetSample,
  control: JetSample,
  levels: number[],
  seed: number,
): VaeQrModel {
  const what = 'vae-qr';
  if (control.n < 100)
    throw new SidebandError(`${what}: ${control.n} control-region events; need at least 100 to train the autoencoder`);
  const ccols = jetColumns(control, cfg.jetFeatures, `${what} (control region)`);
  const cols = jetColumns(sr, cfg.jetFeatures, what);
  const d = cfg.jetFeatures.length;
  const t0 = performance.now();
  const logs = cfg.jetFeatures.map((f) => (cfg.logFeatures ?? []).includes(f));
  const ae = trainAutoencoder(bothJets(control, ccols, logs), d, { ...cfg.autoencoder, seed: deriveSeed(seed, 1) });
  // Each jet's error ranked in its own distribution over the SR sample (seed 003: "convert each score to %ile
  // using their distributions"): uniform ranks, no ties at the top where the working points sit.
  const e1 = reconstructionError(ae, jetMatrix(sr, cols[0], logs)),
    e2 = reconstructionError(ae, jetMatrix(sr, cols[1], logs));
  const rank1 = new PercentileRank(e1);
  const rank2 = new PercentileRank(e2);
  const t1 = performance.now();
  const score = eventScore(e1, e2, rank1, rank2);
  const k = cfg.quantileRegression?.folds ?? 4;
  const fold = contentFolds(sr, k, cols[0][0]!);
  const cap = cfg.maxRegressionEvents ?? 60000;
  const regs = Array.from({ length: k }, (_, f) => {
    const rows: number[] = [];
    for (let i = 0; i < sr.n; i++) if (fold[i] !== f) rows.push(i);
    const step = Math.max(1, rows.length / cap);
    const pick = Uint32Array.from({ length: Math.min(rows.length, cap) }, (_, j) => rows[Math.floor(j * step)]!);
    return fitQuantileRegression(
      sr.mjj,
      score,
      levels,
      { ...cfg.quantileRegression, seed: deriveSeed(seed, 10 + f) },
      pick,
    );
  });
  const t2 = performance.now();
  return {
    rank1,
    rank2,
    cols,
    folds: k,
    levels,
    predict: (mjj, f) => predictQuantiles(regs[f]!, mjj),
    seconds: { autoencoder: (t1 - t0) / 1000, regression: (t2 - t1) / 1000 },
    controlJets: 2 * control.n,
    logs,
    srEvents: sr.n,
    seed,
    ae,
  };
}

function scoreEvents(
  ae: Autoencoder,
  r1: PercentileRank,
  r2: PercentileRank,
  s: JetSample,
  cols: [number[], number[]],
  logs: boolean[],
): Float32Array {
  return eventScore(
    reconstructionError(ae, jetMatrix(s, cols[0], logs)),
    reconstructionError(ae, jetMatrix(s, cols[1], logs)),
    r1,
    r2,
  );
}

/** Event scores of a sample under a trained model. */
export function vaeQrScores(model: VaeQrModel, s: JetSample): Float32Array {
  return scoreEvents(model.ae, model.rank1, model.rank2, s, model.cols, model.logs);
}

/**
 * Which events pass "score above the (1 − ε)-quantile at their mjj", each with its own fold's regression (the one
 * that never saw it).
 */
export function vaeQrPass(model: VaeQrModel, s: JetSample, workingPoint: number): Uint8Array {
  const level = 1 - workingPoint;
  const j = model.levels.findIndex((q) => Math.abs(q - level) < 1e-9);
  if (j < 0) throw new SidebandError(`vae-qr: no regression at quantile ${level} (have ${model.levels.join(', ')})`);
  const score = vaeQrScores(model, s);
  const fold = contentFolds(s, model.folds, model.cols[0][0]!);
  const pass = new Uint8Array(s.n);
  const k = model.levels.length;
  for (let f = 0; f < model.folds; f++) {
    const q = model.predict(s.mjj, f);
    for (let i = 0; i < s.n; i++) if (fold[i] === f && score[i]! > q[i * k + j]!) pass[i] = 1;
  }
  return pass;
}

/** The selected mjj histograms of a window snapshot, one per working point. */
export function vaeQrSelections(
  model: VaeQrModel,
  s: JetSample,
  edges: Float64Array,
  workingPoints: number[],
): Selection[] {
  const info: ModelInfo = {
    background: 'quantile-regression',
    classifier: 'autoencoder (control region)',
    ensemble: 1,
    folds: model.folds,
    seeds: [model.seed],
    trainSeconds: model.seconds.autoencoder + model.seconds.regression,
  };
  return workingPoints.map((wp) => {
    const pick = vaeQrPass(model, s, wp);
    return { workingPoint: wp, histogram: selectedHistogram(s.mjj, pick, edges, s.label), pick, model: info };
  });
}
