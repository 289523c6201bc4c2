/**
 * Validation of the topology's `classifier:` block (fastest-validator rules; defaults filled in by validation, the
 * same as src/classify/config.ts's). `kind: none` (no classifier, an inclusive bump hunt) takes no other keys.
 */
import { defaultClassifierConfig, type ClassifierConfig } from '../classify/config.js';
import { DEFAULT_WORKING_POINTS } from '../classify/workingpoints.js';
import { compileBlock, type FieldProblem, topologyErrorOf } from './field-errors.js';

/** fastest-validator property rules of the `classifier:` block (use as `{ type: 'object', props: classifierConfigSchema }`). */
export const classifierConfigSchema = {
  kind: { type: 'enum', values: ['hgb', 'mlp-atlas2024', 'mlp-atlas2020'], default: 'hgb' },
  ensemble: { type: 'number', integer: true, positive: true, default: defaultClassifierConfig.ensemble },
  folds: { type: 'number', integer: true, min: 3, max: 20, default: defaultClassifierConfig.folds },
  cv: { type: 'enum', values: ['atlas2024', 'atlas2020'], default: 'atlas2024' },
  candidates: { type: 'number', integer: true, positive: true, default: 3 },
  combine: { type: 'enum', values: ['median', 'average'], default: 'median' },
  workingPoints: {
    type: 'array',
    items: { type: 'number', positive: true, max: 1 },
    min: 1,
    default: [...DEFAULT_WORKING_POINTS],
  },
  thresholdFrom: { type: 'enum', values: ['sr', 'sb'], default: 'sr' },
  equalSidebandWeights: { type: 'boolean', default: true },
  ecdfFeatures: { type: 'array', items: 'string', default: [] },
  ecdfEdges: { type: 'array', items: { type: 'number', positive: true }, default: [] },
  reweightSidebands: { type: 'string', default: '' },
  seed: { type: 'number', integer: true, min: 0, default: 0 },
  workers: { type: 'number', integer: true, min: 0, max: 64, default: 2 },
  maxQueued: { type: 'number', integer: true, positive: true, default: 4096 },
  sicMinBackground: { type: 'number', min: 1, default: 25 },
  maxTrainEvents: { type: 'number', integer: true, min: 0, default: 0 },
  hgb: {
    type: 'object',
    optional: true,
    strict: true,
    default: { ...defaultClassifierConfig.hgb },
    props: {
      learningRate: { type: 'number', positive: true, optional: true },
      maxIter: { type: 'number', integer: true, positive: true, optional: true },
      maxLeafNodes: { type: 'number', integer: true, min: 2, optional: true },
      maxDepth: { type: 'number', integer: true, min: 0, optional: true },
      minSamplesLeaf: { type: 'number', integer: true, positive: true, optional: true },
      l2: { type: 'number', min: 0, optional: true },
      maxBins: { type: 'number', integer: true, min: 2, max: 255, optional: true },
      nIterNoChange: { type: 'number', integer: true, positive: true, optional: true },
      tol: { type: 'number', min: 0, optional: true },
      subsample: { type: 'number', positive: true, max: 1, optional: true },
      colsampleByTree: { type: 'number', positive: true, max: 1, optional: true },
      // Threads building each model's histograms (trees identical for any count; src/training/hgb-threads.ts).
      threads: { type: 'number', integer: true, positive: true, optional: true },
    },
  },
  // The MLPs' training engine: the project's own (bench:nn: 1.6–1.8x PyTorch 1.13 on one thread for the
  // 64-64-64-1 network) or TensorFlow.js (tfjs-node where installed, else wasm: about 0.15x PyTorch).
  backend: { type: 'enum', values: ['nn', 'tfjs'], default: 'nn' },
  mlp: {
    type: 'object',
    optional: true,
    strict: true,
    default: {},
    props: {
      hidden: { type: 'array', items: { type: 'number', integer: true, positive: true }, optional: true },
      dropout: { type: 'number', min: 0, max: 0.9, optional: true },
      learningRate: { type: 'number', positive: true, optional: true },
      batchSize: { type: 'number', integer: true, positive: true, optional: true },
      maxEpochs: { type: 'number', integer: true, positive: true, optional: true },
      patience: { type: 'number', integer: true, positive: true, optional: true },
    },
  },
} as const;

const check = compileBlock(classifierConfigSchema);

/** The problems of a classifier block (paths under `classifier.`); fills defaults in, its seed the topology's. */
export function classifierProblems(block: Record<string, unknown>, seed: number): FieldProblem[] {
  if (block.seed === undefined) block.seed = seed;
  return check(block, 'classifier');
}

/** The validated classifier block; its seed defaults to the topology's. */
export function validateClassifier(block: Record<string, unknown>, seed: number, file: string): ClassifierConfig {
  const cfg = { seed, ...block };
  const problems = check(cfg, 'classifier');
  if (problems.length) throw topologyErrorOf(problems, file);
  return cfg as unknown as ClassifierConfig;
}
