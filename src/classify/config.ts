/**
 * A classifier's configuration (the topology's `classifier:` block): which model, how many ensemble members and
 * folds, which cross-validation scheme, working points and hyperparameters, with the defaults. The topology
 * validates the block (src/topology/classifier-schema.ts); `resolveClassifierConfig` fills the same defaults for
 * callers that skip validation.
 */
import { defaultHgbParams, type HgbParams } from './hgb.js';
import type { MlpParams } from './mlp.js';
import type { CvScheme } from './crossval.js';
import type { MlpBackend, ModelKind } from './train-job.js';
import { DEFAULT_WORKING_POINTS } from './workingpoints.js';

export interface ClassifierConfig {
  kind: ModelKind;
  /** Ensemble members (different seeds). seed 000: 10. */
  ensemble: number;
  /** Cross-validation folds k. */
  folds: number;
  /** 'atlas2024': 3 train / 1 validation / 1 test, rotating; 'atlas2020': k−2 train, n per validation fold. */
  cv: CvScheme;
  /** atlas2020: classifiers per (test, validation) pair, the best by validation loss is kept (n = 3). */
  candidates: number;
  /** 'median': select per member, bin-wise median of histograms (seed 000); 'average': average scores, one selection. */
  combine: 'median' | 'average';
  workingPoints: number[];
  /** Where each fold's threshold comes from: SR data (ATLAS) or the sidebands (CMS's variant). */
  thresholdFrom: 'sr' | 'sb';
  /** Give each sideband the same total weight (seed 001). */
  equalSidebandWeights: boolean;
  /** Features to map by their ECDF within each mjj region (seed 001's jet masses), pooled; [] = none. */
  ecdfFeatures: string[];
  /** mjj edges (GeV) of the regions the ECDF mapping works in (seed 001's eight regions); [] = the window's SR
   *  and each SB, plus everything else as one region. */
  ecdfEdges: number[];
  /**
   * A stored feature (e.g. jet1_pt) whose sideband distribution is reweighted to the SR's before training, so that
   * the classifier cannot tell SR from SB by it (decorrelation by reweighting); '' = none.
   */
  reweightSidebands: string;
  seed: number;
  /** Worker threads for training; 0 trains inline (still async). */
  workers: number;
  /** Largest number of queued training jobs before new windows are refused (retriable). */
  maxQueued: number;
  /** Minimum background events for the max-SIC guard in truth-aware evaluation. */
  sicMinBackground: number;
  /**
   * Training-set cap per model (0 = none): past it each job trains on a seeded uniform subsample of its training
   * rows (and validation rows in the same proportion), while every event is still scored by its test fold's
   * model. Makes training cost per window constant in the window's size, as needed for windows of millions of
   * events; the row subsampling per tree (hgb.subsample) and per-model cap compose.
   */
  maxTrainEvents: number;
  hgb: Partial<HgbParams>;
  mlp: Partial<MlpParams>;
  /** Where the MLPs train: 'nn' (src/nn, the faster by bench:nn) or 'tfjs' (TensorFlow.js). */
  backend: MlpBackend;
}

export const defaultClassifierConfig: ClassifierConfig = {
  kind: 'hgb',
  ensemble: 10,
  folds: 5,
  cv: 'atlas2024',
  candidates: 3,
  combine: 'median',
  workingPoints: [...DEFAULT_WORKING_POINTS],
  thresholdFrom: 'sr',
  equalSidebandWeights: true,
  ecdfFeatures: [],
  ecdfEdges: [],
  reweightSidebands: '',
  seed: 0,
  workers: 2,
  maxQueued: 4096,
  sicMinBackground: 25,
  maxTrainEvents: 0,
  // Regularised for weak supervision: few signal events, a noisy label; early stopping on the validation fold with a
  // patience that outlasts the first noisy iterations. Row and feature subsampling per tree (seeded by each job's
  // seed) make ensemble members and seed 001's candidates differ by more than their folds. Chosen by
  // bench/tune-hgb.ts on a tuning split of the LHCO R&D files that bench:classify never evaluates on (its run:
  // docs/bench/tune-hgb.json).
  hgb: {
    learningRate: 0.1,
    maxIter: 300,
    maxLeafNodes: 16,
    minSamplesLeaf: 300,
    l2: 20,
    maxBins: 64,
    nIterNoChange: 40,
    subsample: 0.7,
    colsampleByTree: 0.75,
  },
  mlp: {},
  backend: 'nn',
};

/** Fill defaults (for callers that did not run the schema), keeping nested hgb/mlp overrides. */
export function resolveClassifierConfig(cfg: Partial<ClassifierConfig> = {}): ClassifierConfig {
  return {
    ...defaultClassifierConfig,
    ...cfg,
    hgb: { ...defaultClassifierConfig.hgb, ...cfg.hgb },
    mlp: { ...defaultClassifierConfig.mlp, ...cfg.mlp },
  };
}

export { defaultHgbParams };
