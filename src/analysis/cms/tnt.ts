/**
 * Tag N' Train (seed 003): an autoencoder (trained on the control region) tags one jet; within a window, the SR
 * events whose first jet is anomalous form the signal-rich sample and every other event of the window the
 * background-rich one, and a classifier on the other jet is trained between them (weak supervision, CWoLa-style);
 * then the roles of the jets swap. Each jet's out-of-fold classifier score is ranked in the sidebands'
 * distribution, the event score is max(S1, S2), and each working point's threshold is the score that keeps the
 * fraction ε of the sidebands (low and high sideband weighted equally, seed 003), applied to the whole window.
 * Works where both jets are anomalous: the tag purifies the sample the other jet's classifier learns from.
 */
import type { WindowDef } from '../../events/result.js';
import { SidebandError } from '../../events/errors.js';
import type { Autoencoder, AutoencoderOptions } from '../../classify/autoencoder.js';
import { reconstructionError, trainAutoencoder } from '../../classify/autoencoder.js';
import { fitMlp, predictMlp } from '../../classify/mlp-nn.js';
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

export interface TntConfig {
  kind: 'tnt';
  jetFeatures: string[];
  logFeatures?: string[];
  autoencoder?: Omit<AutoencoderOptions, 'seed'>;
  /**
   * Stems the classifiers read (default: jetFeatures without pt). Weak supervision between mass bins needs features
   * that do not follow mjj, or the classifier learns the bins instead of the signal (seed 003 reweights jet pT).
   */
  classifierFeatures?: string[];
  /** Fraction of SR jets the autoencoder tags as anomalous (default 0.2). */
  tagEfficiency?: number;
  classifier?: { hidden?: number[]; epochs?: number; batchSize?: number; lr?: number };
  /** Cross-validation folds of the classifiers (default 3). */
  folds?: number;
}

/** The control-region autoencoder of TNT (trained once per control sample). */
export function trainTntAutoencoder(cfg: TntConfig, control: JetSample, seed: number): Autoencoder {
  if (control.n < 100)
    throw new SidebandError(`tnt: ${control.n} control-region events; need at least 100 to train the autoencoder`);
  const logs = cfg.jetFeatures.map((f) => (cfg.logFeatures ?? []).includes(f));
  const cols = jetColumns(control, cfg.jetFeatures, 'tnt (control region)');
  return trainAutoencoder(bothJets(control, cols, logs), cfg.jetFeatures.length, {
    ...cfg.autoencoder,
    seed: deriveSeed(seed, 1),
  });
}

/** Column-major view of one jet's features (the classifier's input). */
function jetColumnsOf(s: JetSample, cols: number[], logs: boolean[]): Float32Array[] {
  return cols.map((c, j) =>
    logs[j] ? Float32Array.from(s.columns[c]!, (v) => Math.log(Math.max(v, 1e-3))) : s.columns[c]!,
  );
}

/** Weighted (1 − ε)-quantile: the score above which a weight fraction ε lies. */
function weightedThreshold(score: Float64Array, weight: Float32Array, eps: number): number {
  const idx = Array.from({ length: score.length }, (_, i) => i).filter((i) => weight[i]! > 0);
  idx.sort((a, b) => score[b]! - score[a]!);
  let total = 0;
  for (const i of idx) total += weight[i]!;
  let acc = 0;
  for (const i of idx) {
    acc += weight[i]!;
    if (acc >= eps * total) return score[i]!;
  }
  return Infinity;
}

export async function tntSelections(
  cfg: TntConfig,
  ae: Autoencoder,
  s: JetSample & { window: WindowDef },
  edges: Float64Array,
  workingPoints: number[],
  seed: number,
): Promise<Selection[]> {
  const t0 = performance.now();
  const logs = cfg.jetFeatures.map((f) => (cfg.logFeatures ?? []).includes(f));
  const cols = jetColumns(s, cfg.jetFeatures, 'tnt');
  const [lo, hi] = s.window.sr;
  const inSr = Uint8Array.from(s.mjj, (m) => (m >= lo && m < hi ? 1 : 0));
  const nSr = inSr.reduce((a, b) => a + b, 0);
  if (nSr < 50 || s.n - nSr < 50)
    throw new SidebandError(`tnt (window ${s.window.id}): too few events to train (SR ${nSr}, SB ${s.n - nSr})`);
  const loss = [
    reconstructionError(ae, jetMatrix(s, cols[0], logs)),
    reconstructionError(ae, jetMatrix(s, cols[1], logs)),
  ];
  const tagEff = cfg.tagEfficiency ?? 0.2;
  const k = cfg.folds ?? 3;
  const fold = contentFolds(s, k, cols[0][0]!);
  const cstems = cfg.classifierFeatures ?? cfg.jetFeatures.filter((f) => f !== 'pt');
  const ccols = jetColumns(s, cstems, 'tnt (classifier)');
  const clogs = cstems.map((f) => (cfg.logFeatures ?? []).includes(f));
  const scores = [new Float32Array(s.n), new Float32Array(s.n)];
  // Direction a: tag jet a with the autoencoder, classify jet b = 1 - a.
  for (let a = 0; a < 2; a++) {
    const b = 1 - a;
    const srLoss = Float32Array.from(loss[a]!.filter((_, i) => inSr[i] === 1)).sort();
    const cut = srLoss[Math.floor((1 - tagEff) * (srLoss.length - 1))]!;
    const y = Uint8Array.from(loss[a]!, (l, i) => (inSr[i] === 1 && l > cut ? 1 : 0));
    // Balance the two samples (the signal-rich one is a few percent of the window).
    const nPos = y.reduce((x, v) => x + v, 0);
    const w = Float32Array.from(y, (v) => (v ? (s.n - nPos) / Math.max(nPos, 1) : 1));
    const input = jetColumnsOf(s, ccols[b]!, clogs);
    for (let f = 0; f < k; f++) {
      const train: number[] = [],
        test: number[] = [];
      for (let i = 0; i < s.n; i++) (fold[i] === f ? test : train).push(i);
      const nVal = Math.floor(train.length / 5);
      const model = await fitMlp(
        {
          columns: input,
          y,
          weight: w,
          rows: Uint32Array.from(train.slice(nVal)),
          validationRows: Uint32Array.from(train.slice(0, nVal)),
        },
        {
          hidden: cfg.classifier?.hidden ?? [32, 32],
          dropout: 0,
          learningRate: cfg.classifier?.lr ?? 1e-3,
          batchSize: cfg.classifier?.batchSize ?? 512,
          maxEpochs: cfg.classifier?.epochs ?? 20,
          patience: 4,
          seed: deriveSeed(seed, 100 + 10 * a + f),
        },
      );
      const p = predictMlp(model, input, Uint32Array.from(test));
      test.forEach((i, j) => {
        scores[b]![i] = p[j]!;
      });
    }
  }
  // Ranks in the sidebands' own distributions; equal total weight for the low and the high sideband.
  const sbLow = Uint8Array.from(s.mjj, (m) => (m < lo ? 1 : 0));
  const nLow = sbLow.reduce((a, b) => a + b, 0),
    nHigh = s.n - nSr - nLow;
  const sbScores = (j: number) => Float32Array.from(scores[j]!.filter((_, i) => inSr[i] === 0));
  const ranked = eventScore(scores[0]!, scores[1]!, new PercentileRank(sbScores(0)), new PercentileRank(sbScores(1)));
  // Ties (a classifier that learnt little gives many equal scores) are broken by a fixed hash of the event's
  // position, far below the rank resolution, so a working point keeps its fraction instead of all or none of a tie.
  const ev = Float64Array.from(ranked, (r, i) => r + 1e-9 * ((Math.imul(i + 1, 0x9e3779b1) >>> 0) / 2 ** 32));
  const sbWeight = Float32Array.from(s.mjj, (_, i) =>
    inSr[i] ? 0 : sbLow[i] ? (nHigh > 0 ? 0.5 / nLow : 1 / nLow) : nLow > 0 ? 0.5 / nHigh : 1 / nHigh,
  );
  const seconds = (performance.now() - t0) / 1000;
  return workingPoints.map((wp) => {
    const thr = weightedThreshold(ev, sbWeight, wp);
    const pick = Uint8Array.from(ev, (v) => (v > thr ? 1 : 0));
    return {
      workingPoint: wp,
      histogram: selectedHistogram(s.mjj, pick, edges, s.label),
      pick,
      model: {
        background: 'sideband-reference',
        classifier: `tnt (autoencoder tag ${tagEff}, mlp ${(cfg.classifier?.hidden ?? [32, 32]).join('-')})`,
        ensemble: 1,
        folds: k,
        seeds: [seed],
        trainSeconds: seconds,
      },
    };
  });
}
