/**
 * CONRAD (seed 004): complete, optimal-anomaly-score non-resonant anomaly detection on the tail of a feature M
 * (missing transverse energy). Pure math over typed arrays:
 *
 *  1. a conditional normalising flow learns p_bg(x | M) on a background-only control sample (γ + jets standing in
 *     for Z(νν) + jets) over the whole M range, so nothing is extrapolated (seed 004 §III.B);
 *  2. data are mapped to its latent space z = f(x; M); for background z ~ N(0, 1) whatever M is, so any score
 *     R(z) is statistically independent of M (seed 004 §II.B, refs [15, 29]);
 *  3. a weakly supervised classifier (histogram gradient boosting ensemble, §III.B) separates data in the inclusive
 *     signal region M > M_c from standard-normal draws in z; k-fold, every data event scored by a model that never
 *     saw it (the seed's two halves, as cross-validation);
 *  4. ABCD in (R, M): A = {M > M_c, R > R_c} (the signal region), B = {M < M_c, R > R_c}, C = {M > M_c, R < R_c},
 *     D = {M < M_c, R < R_c}; N_A^pred = N_B N_C / N_D (Eq. 4). The threshold R_c of a working point keeps a
 *     fraction ε (the false-positive rate, 1 % and 0.1 % in the seed) of the fold's data below the tail, which is
 *     background-dominated;
 *  5. significance of the excess in A: profile likelihood with the prediction as an auxiliary Poisson measurement
 *     (σ from Poisson propagation through Eq. 4), beside the seed's S/√B with S = N_A − N_A^pred (Fig. 5).
 *
 * Validity: a working point whose regions hold too few events, whose control-sample ABCD does not close (the held-out
 * control events run through the same flow, classifier and thresholds) or whose latent map produced non-finite values
 * carries no Z (valid: false, with the reasons). Truth labels, when given, are only read for the report
 * (the true background in A, signal efficiencies), never for training.
 */
import { SidebandError } from '../events/errors.js';
import { zPoissonAux } from '../stats/discovery.js';
import { evaluate } from '../classify/metrics.js';
import { fitHgb, predictProba, type HgbParams } from '../classify/hgb.js';
import { deriveSeed, iota, mulberry32, shuffleInPlace } from '../classify/random.js';
import { thresholdForEfficiency } from '../classify/workingpoints.js';
import { ConditionalFlow } from '../nn/flows/flow.js';
import { normalStream } from '../nn/random.js';

export interface ConradConfig {
  /** The inclusive signal region is M > tailCut (seed 004: MET > 1000 GeV). */
  tailCut: number;
  /** False-positive rates of the working points (seed 004: 0.01 and 0.001). */
  workingPoints: number[];
  seed: number;
  /** Features flowed in log (positive, log-normal-like: jet masses); by column index. */
  logFeatures?: boolean[];
  flow?: {
    type?: 'maf' | 'rqs';
    blocks?: number;
    hidden?: number;
    bins?: number;
    epochs?: number;
    batchSize?: number;
    lr?: number;
    patience?: number;
    /** Control events held out from the flow: early stopping and the control closure check (default 0.2). */
    validationFraction?: number;
  };
  classifier?: {
    /** HGB members averaged per fold (seed 004: 50; default 5). */
    ensemble?: number;
    /** Cross-validation folds over the data (default 2: the seed's two halves, each scored by the other). */
    folds?: number;
    /** Standard-normal draws per signal-region data event in the background class (default 2). */
    referencePerEvent?: number;
    hgb?: Partial<HgbParams>;
  };
  /** Fewest events in each of B, C, D for a usable prediction (default 10). */
  minRegionEvents?: number;
  /** Control closure: largest allowed |pull| of the control ABCD (observed vs predicted; default 3). */
  maxClosurePull?: number;
}

/** Rows of raw features (n x D, row-major) with the tail feature M; labels only for the report. */
export interface ConradSample {
  x: Float32Array;
  m: Float32Array;
  label?: Uint8Array;
}

export interface AbcdCounts {
  A: number;
  B: number;
  C: number;
  D: number;
}

export interface ConradWorkingPoint {
  fpr: number;
  counts: AbcdCounts;
  /** N_B N_C / N_D and its Poisson-propagated uncertainty. */
  predicted: number;
  predictedErr: number;
  observed: number;
  /** Profile-likelihood Z (prediction as an auxiliary measurement); absent when invalid. */
  z?: number;
  p?: number;
  /** Seed 004's S/√B with S = N_A − N_A^pred, B = N_A^pred (Fig. 5); absent when invalid. */
  sOverSqrtB?: number;
  /** The same ABCD on held-out control events (background only): observed / predicted and its pull. */
  controlClosure: { counts: AbcdCounts; predicted: number; observed: number; ratio: number; pull: number };
  /** Truth, when the data carry labels: true background and signal in A, prediction / true background. */
  truth?: {
    backgroundA: number;
    signalA: number;
    ratio: number;
    signalEfficiency: number;
    backgroundEfficiency: number;
    /** True-background counts per region: tells signal contamination of B, C, D from a decorrelation failure. */
    background: AbcdCounts;
  };
  valid: boolean;
  invalid?: Array<{ reason: 'too_few_events' | 'failed_closure' | 'analysis_failed'; detail: string }>;
}

export interface ConradResult {
  workingPoints: ConradWorkingPoint[];
  counts: { control: number; controlTrain: number; data: number; dataTail: number };
  flow: {
    type: string;
    blocks: number;
    hidden: number;
    epochs: number;
    bestEpoch: number;
    valLoss: number;
    seconds: number;
  };
  classifier: { ensemble: number; folds: number; referencePerEvent: number; seconds: number };
  /** Data events whose latent coordinates were not finite (outside what the flow can map). */
  nonFinite: number;
  /** With labels: AUC and max SIC of the latent-space score on the tail's data (signal vs background truth). */
  evaluation?: { auc: number; maxSic: number };
  seeds: number[];
}

const { exp, log, sqrt, abs, max, round } = Math;

/** Flow inputs: log where asked, row-major copy; context log M (M must be positive). */
function flowInputs(s: ConradSample, D: number, logs: boolean[], what: string): { x: Float32Array; c: Float32Array } {
  const n = s.m.length;
  if (s.x.length !== n * D) throw new SidebandError(`conrad: ${what} holds ${s.x.length} values for ${n} rows x ${D}`);
  const x = new Float32Array(n * D);
  const c = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const m = s.m[i]!;
    if (!(m > 0)) throw new SidebandError(`conrad: ${what} row ${i}: the tail feature must be positive (got ${m})`);
    c[i] = log(m);
    for (let j = 0; j < D; j++) {
      const v = s.x[i * D + j]!;
      x[i * D + j] = logs[j] ? (v > 0 ? log(v) : Number.NaN) : v;
    }
  }
  return { x, c };
}

/** Latent columns (one Float32Array per latent dimension) for HGB, from row-major z. */
function columnsOf(z: Float32Array, D: number, rows?: Uint32Array): Float32Array[] {
  const n = rows ? rows.length : z.length / D;
  const cols = Array.from({ length: D }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i]! : i;
    for (let j = 0; j < D; j++) cols[j]![i] = z[r * D + j]!;
  }
  return cols;
}

function abcd(
  scores: Float64Array,
  m: Float32Array,
  rows: ArrayLike<number>,
  cut: number,
  thr: number,
  into: AbcdCounts,
) {
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const pass = scores[i]! >= thr;
    if (m[i]! > cut) pass ? into.A++ : into.C++;
    else pass ? into.B++ : into.D++;
  }
}

/** Eq. 4 with Poisson propagation: σ²/N² = 1/N_B + 1/N_C + 1/N_D. */
export function abcdPrediction(c: AbcdCounts): { predicted: number; predictedErr: number } {
  if (!(c.D > 0)) return { predicted: Number.NaN, predictedErr: Number.NaN };
  const predicted = (c.B * c.C) / c.D;
  const rel2 = (c.B > 0 ? 1 / c.B : 0) + (c.C > 0 ? 1 / c.C : 0) + 1 / c.D;
  return { predicted, predictedErr: predicted * sqrt(rel2) };
}

/** Fit CONRAD on a control sample and run the search on the data. Synchronous and pure: call it off the event loop. */
export function runConrad(control: ConradSample, data: ConradSample, cfg: ConradConfig): ConradResult {
  const D = control.x.length / max(1, control.m.length);
  if (!(Number.isInteger(D) && D >= 1)) throw new SidebandError('conrad: control features are not n x D');
  if (data.x.length !== data.m.length * D) throw new SidebandError(`conrad: data rows are not ${D} features wide`);
  if (cfg.workingPoints.some((e) => !(e > 0 && e < 1)))
    throw new SidebandError(`conrad: working points must be false-positive rates in (0, 1): ${cfg.workingPoints}`);
  const fc = cfg.flow ?? {};
  const cc = cfg.classifier ?? {};
  const logs = cfg.logFeatures ?? new Array<boolean>(D).fill(false);
  const folds = cc.folds ?? 2;
  const ensemble = cc.ensemble ?? 5;
  const refPer = cc.referencePerEvent ?? 2;
  const minEvents = cfg.minRegionEvents ?? 10;
  const maxPull = cfg.maxClosurePull ?? 3;
  if (!(Number.isInteger(folds) && folds >= 2)) throw new SidebandError(`conrad: folds must be >= 2 (got ${folds})`);
  const seeds: number[] = [];

  // 1. Flow on the control sample, a held-out part for early stopping and the closure check.
  const ctl = flowInputs(control, D, logs, 'control');
  const nCtl = control.m.length;
  const order = shuffleInPlace(iota(nCtl), mulberry32(deriveSeed(cfg.seed, 1)));
  const nVal = round((fc.validationFraction ?? 0.2) * nCtl);
  const valRows = order.subarray(0, nVal);
  const trainRows = order.subarray(nVal);
  if (trainRows.length < 100 || nVal < 100)
    throw new SidebandError(`conrad: ${nCtl} control events are too few to train and check the flow`);
  const pick = (src: Float32Array, rows: Uint32Array, w: number) => {
    const out = new Float32Array(rows.length * w);
    for (let k = 0; k < rows.length; k++) for (let j = 0; j < w; j++) out[k * w + j] = src[rows[k]! * w + j]!;
    return out;
  };
  const xTr = pick(ctl.x, trainRows, D),
    cTr = pick(ctl.c, trainRows, 1);
  const xVa = pick(ctl.x, valRows, D),
    cVa = pick(ctl.c, valRows, 1);
  const flowSeed = deriveSeed(cfg.seed, 2);
  seeds.push(flowSeed);
  const batchSize = fc.batchSize ?? 256;
  const flow = new ConditionalFlow(
    { type: fc.type ?? 'maf', features: D, context: 1, blocks: fc.blocks ?? 4, hidden: fc.hidden ?? 32, bins: fc.bins },
    { seed: flowSeed, capacity: max(batchSize, 1024) },
  );
  const epochs = fc.epochs ?? 20;
  // Cosine annealing to a small rate: the ABCD at 0.1 % reads the far tails of z, where a flow stopped early on a
  // noisy validation loss is least accurate; the best validation epoch is restored.
  const training = flow.fit(xTr, cTr, xVa, cVa, {
    epochs,
    batchSize,
    lr: fc.lr ?? 2e-3,
    schedule: { type: 'cosine', tMax: epochs, etaMin: 1e-5 },
    ...(fc.patience ? { patience: fc.patience } : {}),
    seed: flowSeed,
    preprocess: { kind: 'standard' },
  });

  // 2. Latent coordinates of the data and of the held-out control events.
  const dat = flowInputs(data, D, logs, 'data');
  const zData = flow.transform(dat.x, dat.c).z;
  const zCtl = flow.transform(xVa, cVa).z;
  let nonFinite = 0;
  for (let i = 0; i < zData.length; i++) if (!Number.isFinite(zData[i]!)) nonFinite++;
  const mCtl = new Float32Array(nVal);
  for (let k = 0; k < nVal; k++) mCtl[k] = exp(cVa[k]!);

  // 3. Weakly supervised classifier in latent space, k-fold over the data.
  const nData = data.m.length;
  const fold = new Uint8Array(nData);
  const frand = mulberry32(deriveSeed(cfg.seed, 3));
  for (let i = 0; i < nData; i++) fold[i] = Math.floor(frand() * folds);
  const scores = new Float64Array(nData);
  const ctlScores: Float64Array[] = [];
  let dataTail = 0;
  for (let i = 0; i < nData; i++) if (data.m[i]! > cfg.tailCut) dataTail++;
  const t0 = performance.now();
  const foldRows: Uint32Array[] = [];
  for (let k = 0; k < folds; k++) {
    const test: number[] = [];
    const tail: number[] = [];
    for (let i = 0; i < nData; i++) {
      if (fold[i] === k) test.push(i);
      else if (data.m[i]! > cfg.tailCut) tail.push(i);
    }
    foldRows.push(Uint32Array.from(test));
    if (tail.length < 50) throw new SidebandError(`conrad: fold ${k} has ${tail.length} tail events to train on`);
    const nRef = tail.length * refPer;
    const refSeed = deriveSeed(cfg.seed, 100 + k);
    seeds.push(refSeed);
    const g = normalStream(refSeed);
    const cols = Array.from({ length: D }, () => new Float32Array(tail.length + nRef));
    for (let r = 0; r < tail.length; r++) for (let j = 0; j < D; j++) cols[j]![r] = zData[tail[r]! * D + j]!;
    for (let r = 0; r < nRef; r++) for (let j = 0; j < D; j++) cols[j]![tail.length + r] = g();
    const y = new Uint8Array(tail.length + nRef);
    y.fill(1, 0, tail.length);
    // The two classes weighted equally, so the score is a monotone map of p_data / p_bg whatever refPer is.
    const w = new Float32Array(y.length).fill(1 / refPer);
    w.fill(1, 0, tail.length);
    const testCols = columnsOf(zData, D, foldRows[k]);
    const ctlCols = columnsOf(zCtl, D);
    const sum = new Float64Array(test.length);
    const ctlSum = new Float64Array(nVal);
    for (let e = 0; e < ensemble; e++) {
      const s = deriveSeed(cfg.seed, 1000 + k * 97 + e);
      seeds.push(s);
      const model = fitHgb(
        { columns: cols, y, weight: w },
        { maxLeafNodes: 31, maxIter: 200, learningRate: 0.1, subsample: ensemble > 1 ? 0.8 : 1, ...cc.hgb, seed: s },
      );
      const p = predictProba(model, testCols);
      for (let r = 0; r < test.length; r++) sum[r] = sum[r]! + p[r]! / ensemble;
      const pc = predictProba(model, ctlCols);
      for (let r = 0; r < nVal; r++) ctlSum[r] = ctlSum[r]! + pc[r]! / ensemble;
    }
    for (let r = 0; r < test.length; r++) scores[test[r]!] = sum[r]!;
    ctlScores.push(ctlSum);
  }
  const classifierSeconds = (performance.now() - t0) / 1000;

  // 4.-5. ABCD per working point; thresholds from each fold's data below the tail.
  const lowScores = foldRows.map((rows) => {
    const out: number[] = [];
    for (const i of rows) if (data.m[i]! <= cfg.tailCut) out.push(scores[i]!);
    return out;
  });
  const ctlLow = ctlScores.map((s) => s.filter((_, r) => mCtl[r]! <= cfg.tailCut));
  const ctlAll = iota(nVal);
  const wps = cfg.workingPoints.map((fpr): ConradWorkingPoint => {
    const counts: AbcdCounts = { A: 0, B: 0, C: 0, D: 0 };
    const cCounts: AbcdCounts = { A: 0, B: 0, C: 0, D: 0 };
    let bkgA = 0,
      sigA = 0,
      sigTail = 0,
      bkgTail = 0;
    const bkgCounts: AbcdCounts = { A: 0, B: 0, C: 0, D: 0 };
    for (let k = 0; k < folds; k++) {
      const thr = thresholdForEfficiency(lowScores[k]!, fpr);
      abcd(scores, data.m, foldRows[k]!, cfg.tailCut, thr, counts);
      // Each fold's classifier and threshold applied to the held-out control events; counts summed over folds.
      abcd(ctlScores[k]!, mCtl, ctlAll, cfg.tailCut, thresholdForEfficiency(ctlLow[k]!, fpr), cCounts);
      if (data.label) {
        const bkgRows = foldRows[k]!.filter((i) => data.label![i] === 0);
        abcd(scores, data.m, bkgRows, cfg.tailCut, thr, bkgCounts);
        for (const i of foldRows[k]!) {
          if (!(data.m[i]! > cfg.tailCut)) continue;
          const sig = data.label[i] === 1;
          if (sig) sigTail++;
          else bkgTail++;
          if (scores[i]! >= thr) sig ? sigA++ : bkgA++;
        }
      }
    }
    const { predicted, predictedErr } = abcdPrediction(counts);
    const cp = abcdPrediction(cCounts);
    const cObs = cCounts.A;
    const pull = (cObs - cp.predicted) / sqrt(cp.predictedErr ** 2 + max(cObs, 1));
    const invalid: NonNullable<ConradWorkingPoint['invalid']> = [];
    const few = (['B', 'C', 'D'] as const).filter((r) => counts[r] < minEvents);
    if (few.length)
      invalid.push({
        reason: 'too_few_events',
        detail: `region${few.length > 1 ? 's' : ''} ${few.map((r) => `${r} (${counts[r]})`).join(', ')} below ${minEvents} events`,
      });
    if (!Number.isFinite(pull) || abs(pull) > maxPull)
      invalid.push({
        reason: 'failed_closure',
        detail: `control ABCD: observed ${cObs} vs predicted ${cp.predicted.toFixed(1)} ± ${cp.predictedErr.toFixed(1)} (pull ${pull.toFixed(2)}, limit ${maxPull})`,
      });
    if (nonFinite > 0)
      invalid.push({ reason: 'analysis_failed', detail: `${nonFinite} latent values of the data are not finite` });
    const wp: ConradWorkingPoint = {
      fpr,
      counts,
      predicted,
      predictedErr,
      observed: counts.A,
      controlClosure: { counts: cCounts, predicted: cp.predicted, observed: cObs, ratio: cObs / cp.predicted, pull },
      valid: invalid.length === 0,
    };
    if (invalid.length) wp.invalid = invalid;
    else {
      const d = zPoissonAux(counts.A, predicted, predictedErr);
      wp.z = d.z;
      wp.p = d.p;
      wp.sOverSqrtB = (counts.A - predicted) / sqrt(predicted);
    }
    if (data.label)
      wp.truth = {
        backgroundA: bkgA,
        signalA: sigA,
        ratio: predicted / bkgA,
        signalEfficiency: sigTail ? sigA / sigTail : 0,
        backgroundEfficiency: bkgTail ? bkgA / bkgTail : 0,
        background: bkgCounts,
      };
    return wp;
  });

  const result: ConradResult = {
    workingPoints: wps,
    counts: { control: nCtl, controlTrain: trainRows.length, data: nData, dataTail },
    flow: {
      type: fc.type ?? 'maf',
      blocks: fc.blocks ?? 4,
      hidden: fc.hidden ?? 32,
      epochs: training.epochs,
      bestEpoch: training.bestEpoch,
      valLoss: training.valLoss[training.bestEpoch - 1] ?? Number.NaN,
      seconds: training.seconds,
    },
    classifier: { ensemble, folds, referencePerEvent: refPer, seconds: classifierSeconds },
    nonFinite,
    seeds,
  };
  if (data.label) {
    const tailScores: number[] = [];
    const tailLabels: number[] = [];
    for (let i = 0; i < nData; i++)
      if (data.m[i]! > cfg.tailCut) {
        tailScores.push(scores[i]!);
        tailLabels.push(data.label[i]!);
      }
    if (tailLabels.some((l) => l === 1) && tailLabels.some((l) => l === 0)) {
      const ev = evaluate(tailScores, tailLabels);
      result.evaluation = { auc: ev.auc, maxSic: ev.maxSic };
    }
  }
  return result;
}
