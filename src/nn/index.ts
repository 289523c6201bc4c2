/**
 * sideband's neural engine: pure math over typed arrays (no I/O, no RxJS, no threads), explicit forward and
 * backward passes, SIMD WebAssembly kernels (AssemblyScript in ./kernels, compiled by `npm run build`) with a
 * bit-identical plain-JS fallback. The thread runtime that trains replicas in parallel is src/training/nn-*.
 *
 * Declare a network (JSON-able specs, saved with the model):
 *   const spec = network(4, [dense(64, { activation: 'relu', dropout: 0.05 }), dense(64, ...), dense(1)]);
 *   layers: dense (ReLU / LeakyReLU / tanh / sigmoid, dropout, 0/1 mask, 'torch' or 'glorot' init), activation,
 *   dropout, batchNorm (train/eval, synchronised over threads), toSequence, conv1d (kernel, 'same' or explicit
 *   padding), branches (parallel sub-networks concatenated along channels, optionally with the input), flatten.
 *   Custom modules implement Module (module.ts): declare params, bind buffers, forward(n), backward(n).
 * Build and train:
 *   const net = new Network(spec, { seed, capacity: batch, backend: 'auto' | 'wasm' | 'js' });
 *   const obj = new NetworkObjective(net, { x, y, w }, { name: 'bce' | 'mse' | 'gaussian-nll' | 'pinball' });
 *   const res = fit(obj, trainRows, valRows, { epochs, batchSize, optimizer: 'adam' | 'adamw', lr, weightDecay,
 *     schedule: { type: 'cosine', tMax }, warmupEpochs, clipNorm, patience, minDelta, restoreBest, seed, onEpoch });
 *   net.predict(x) -> n x outputs (batched); res: trainLoss[], valLoss[], lr[], bestEpoch, stoppedEarly.
 *   Losses also as functions (losses.ts), with klStdNormal for VAEs; Adam / clipGradNorm / scheduledLr (optim.ts).
 * Conditional flows (sk_cathode's contract):
 *   const flow = new ConditionalFlow({ type: 'maf' | 'rqs', features, context, blocks, hidden, batchNorm, bins,
 *     tailBound, init: 'torch' | 'orthogonal' }, { seed, capacity });
 *   flow.fit(X, m, Xval, mval, { epochs, batchSize, lr, preprocess: { kind: 'logit', eps, margin } });
 *   flow.logProb(x, m), flow.sample(n, m, seed), flow.transform(x, m) -> { z, logDet },
 *   flow.inverseTransform(z, m) -> { x, logDet }; preprocessing with its Jacobian in flows/preprocess.ts.
 * Artifacts: saveNetwork / saveFlow -> SavedModel (JSON-able), toBytes / fromBytes, loadNetwork / loadFlow.
 * Threads: trainParallel(job, threads) in src/training/nn-parallel.ts (same seed and thread count: same bits).
 * Determinism: weights from mulberry32(seed) (src/stats/random.ts) in registration order, shuffles from
 * mulberry32(mixKey(seed, epoch)), dropout masks from a counter hash of (seed, step, layer, element).
 */
export { Heap, defaultBackend, wasmAvailable, type BackendChoice, type BackendKind } from './backend.js';
export { ACT, type Activation, type Kernels } from './kernels-api.js';
export type { Binder, Module, Pass, Port, Replica } from './module.js';
export { singleReplica } from './module.js';
export { ParamStore, Param, StateSlot, torchDefault, glorotUniform, type InitSpec } from './params.js';
export { mat, seq, channels, type Shape, type Tensor } from './tensor.js';
export { Dense, type DenseOptions } from './layers/dense.js';
export { ActivationLayer } from './layers/activation.js';
export { DropoutLayer } from './layers/dropout.js';
export { BatchNorm, type BatchNormOptions } from './layers/batchnorm.js';
export { Conv1d, type Conv1dOptions } from './layers/conv1d.js';
export { Branches } from './layers/branches.js';
export { Sequential } from './layers/sequential.js';
export { ToSequence, Flatten } from './layers/reshape.js';
export {
  activation,
  batchNorm,
  branches,
  buildModules,
  conv1d,
  dense,
  dropout,
  flatten,
  network,
  toSequence,
  type LayerSpec,
  type NetworkSpec,
} from './spec.js';
export { Network, type BuildOptions } from './network.js';
export { NetworkObjective, type Dataset } from './objective.js';
export {
  bceWithLogits,
  evaluateLoss,
  gaussianNll,
  klStdNormal,
  mse,
  pinball,
  type LossName,
  type LossSpec,
} from './losses.js';
export { Adam, clipGradNorm, scheduledLr, type AdamOptions, type Schedule } from './optim.js';
export { evaluate, fit, shardOf, type EpochReport, type FitOptions, type FitResult, type Objective } from './fit.js';
export { ConditionalFlow, type FlowBuildOptions, type FlowFitOptions, type FlowSpec } from './flows/flow.js';
export {
  fitPreprocessor,
  preprocess,
  preprocessContext,
  unpreprocess,
  type PreprocessOptions,
  type Preprocessor,
} from './flows/preprocess.js';
export { buildMade, madeHiddenOrder, madeMasks, type MadeOptions } from './flows/made.js';
export { knots, splineBackward, splineForward, splineInverse, SplineScratch } from './flows/spline.js';
export { AutoregressiveStep, BatchNormStep, ReverseStep, type FlowStep } from './flows/steps.js';
export { mixKey, normalStream, shuffle, mulberry32 } from './random.js';
export {
  MODEL_FORMAT,
  MODEL_VERSION,
  fromBytes,
  loadFlow,
  loadNetwork,
  saveFlow,
  saveNetwork,
  toBytes,
  type SavedModel,
} from './serialize.js';
