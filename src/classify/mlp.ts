/**
 * The seed MLP classifiers' presets and the shapes both training backends share: the project's neural engine
 * (mlp-nn.ts, the default) and TensorFlow.js (mlp-tfjs.ts, `classifier.backend: tfjs`). One table, so the two
 * backends train the same network.
 */
import type { NumericColumn } from './binning.js';

export type MlpArchitecture = 'mlp-atlas2024' | 'mlp-atlas2020';

export interface MlpParams {
  hidden: number[];
  dropout: number;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  seed: number;
}

/** ATLAS 2024 (seed 000 App. A) and ATLAS 2020 (seed 001). */
export const mlpPresets: Record<MlpArchitecture, MlpParams> = {
  'mlp-atlas2024': {
    hidden: [64, 64, 64],
    dropout: 0.05,
    learningRate: 1e-3,
    batchSize: 512,
    maxEpochs: 100,
    patience: 10,
    seed: 0,
  },
  'mlp-atlas2020': {
    hidden: [64, 32, 8],
    dropout: 0,
    learningRate: 1e-3,
    batchSize: 512,
    maxEpochs: 100,
    patience: 10,
    seed: 0,
  },
};

/** A trained network as plain arrays (structured-clone friendly): per layer kernel (in×out, row-major) and bias. */
export interface MlpModel {
  kind: 'mlp';
  backend: string;
  nFeatures: number;
  /** Input standardisation fitted on the training rows. */
  mean: Float64Array;
  std: Float64Array;
  layers: { kernel: Float32Array; bias: Float32Array; units: number }[];
  validationLoss: number[];
  epochs: number;
}

export interface MlpData {
  columns: NumericColumn[];
  y: Uint8Array;
  weight?: Float32Array | Float64Array;
  rows: Uint32Array;
  validationRows?: Uint32Array;
}
