/**
 * The generic training loop: seeded shuffles, mini-batches, Adam/AdamW with a learning-rate schedule, gradient
 * clipping, validation after every epoch, early stopping with the best epoch's weights restored, and a progress
 * callback. It trains anything that implements Objective (a network with a loss, a normalising flow).
 *
 * Data parallelism: with a Replica of count T, every replica runs this same loop on the same seed; each takes its
 * contiguous share of every batch, the gradients are summed over replicas in replica order (reduceGradients), and
 * every replica applies the same update, so all replicas hold the same weights bit for bit. Losses and batch
 * normalisers are all-reduced, so early stopping decides the same everywhere. Shuffles and dropout keys depend
 * only on the seed and the step, so the result depends on the thread count only through floating-point
 * summation order.
 */
import { InputError } from '../events/errors.js';
import { singleReplica, type Replica } from './module.js';
import { Adam, clipGradNorm, scheduledLr, type Schedule } from './optim.js';
import type { ParamStore } from './params.js';
import { mixKey, mulberry32, shuffle } from './random.js';

export interface Objective {
  readonly params: ParamStore;
  /** Most rows one lossGrad / evalLoss call takes at a time (calls may be split into chunks of this size). */
  readonly capacity: number;
  /** What a batch's loss sum is divided by (row count, or sum of weights x outputs). */
  normalizer(rows: Uint32Array, start: number, end: number): number;
  /**
   * Training-mode forward and backward over rows[start, end); the batch's first row is rows[start - rowBase].
   * Adds the gradient of (loss sum / norm) to the gradient block; returns the loss sum.
   */
  lossGrad(rows: Uint32Array, start: number, end: number, rowBase: number, norm: number, key: number): number;
  /** Evaluation-mode loss sum over rows[start, end). */
  evalLoss(rows: Uint32Array, start: number, end: number): number;
  /** Called at the start of every epoch. */
  beforeEpoch?(epoch: number): void;
  /** Tells the objective which replica it runs as (data-parallel batch norm needs the hooks). */
  useReplica?(r: Replica): void;
  /** Called before every validation (flows set batch-norm running statistics from the training rows). */
  beforeValidation?(trainRows: Uint32Array): void;
  /** Called once after training, with the best weights restored. */
  afterFit?(trainRows: Uint32Array): void;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  trainLoss: number;
  valLoss: number | undefined;
  lr: number;
  seconds: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  optimizer?: 'adam' | 'adamw';
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  schedule?: Schedule;
  warmupEpochs?: number;
  /** Clip gradients to this global norm (none by default). */
  clipNorm?: number;
  /** Stop after this many epochs without a validation improvement (needs validation rows; default: never). */
  patience?: number;
  /** Improvement smaller than this does not count (default 0). */
  minDelta?: number;
  /** Restore the weights of the best validation epoch (default true when there are validation rows). */
  restoreBest?: boolean;
  /** Seed of shuffles and dropout masks. */
  seed?: number;
  /** Shuffle the training rows every epoch (default true). */
  shuffle?: boolean;
  onEpoch?: (r: EpochReport) => void;
  replica?: Replica;
}

export interface FitResult {
  trainLoss: number[];
  valLoss: number[];
  lr: number[];
  /** 1-based epoch whose weights the model holds (the best validation epoch, or the last). */
  bestEpoch: number;
  epochs: number;
  stoppedEarly: boolean;
  steps: number;
  seconds: number;
}

/** Shard t of T of the batch [s, e): contiguous, sizes differ by at most one. */
export function shardOf(s: number, e: number, t: number, T: number): [number, number] {
  const m = e - s;
  return [s + Math.floor((t * m) / T), s + Math.floor(((t + 1) * m) / T)];
}

export function fit(obj: Objective, trainRows: Uint32Array, valRows: Uint32Array | null, o: FitOptions): FitResult {
  if (!(Number.isInteger(o.epochs) && o.epochs > 0))
    throw new InputError(`nn fit: epochs ${o.epochs} must be a positive integer`, { field: 'epochs' });
  if (!(Number.isInteger(o.batchSize) && o.batchSize > 0))
    throw new InputError(`nn fit: batchSize ${o.batchSize} must be a positive integer`, { field: 'batchSize' });
  if (trainRows.length === 0) throw new InputError('nn fit: no training rows');
  const rep = o.replica ?? singleReplica;
  const T = rep.count;
  obj.useReplica?.(rep);
  const seed = o.seed ?? 0;
  const store = obj.params;
  const baseLr = o.lr ?? 1e-3;
  const opt = new Adam(store, {
    lr: baseLr,
    betas: o.betas,
    eps: o.eps,
    weightDecay: o.weightDecay,
    decoupled: o.optimizer === 'adamw',
  });
  const hasVal = !!valRows && valRows.length > 0;
  const restore = (o.restoreBest ?? true) && hasVal;
  const order = Uint32Array.from(trainRows);
  const red = new Float64Array(2);
  const res: FitResult = {
    trainLoss: [],
    valLoss: [],
    lr: [],
    bestEpoch: 0,
    epochs: 0,
    stoppedEarly: false,
    steps: 0,
    seconds: 0,
  };
  let best = Infinity;
  let bestSnap: Float32Array | undefined;
  let since = 0;
  const t0 = performance.now();
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const te = performance.now();
    obj.beforeEpoch?.(epoch);
    const lr = scheduledLr(baseLr, o.schedule, epoch, o.warmupEpochs);
    if (o.shuffle !== false) {
      order.set(trainRows);
      shuffle(order, mulberry32(mixKey(seed, epoch, 0x5eed)));
    }
    let lossSum = 0;
    let normSum = 0;
    for (let s = 0; s < order.length; s += o.batchSize) {
      const e = Math.min(order.length, s + o.batchSize);
      const norm = obj.normalizer(order, s, e);
      const [a, b] = shardOf(s, e, rep.index, T);
      store.zeroGrad();
      const key = mixKey(seed, res.steps, 0xd0);
      if (b > a) lossSum += obj.lossGrad(order, a, b, a - s, norm, key);
      normSum += norm;
      rep.reduceGradients(store);
      if (o.clipNorm !== undefined) clipGradNorm(store, o.clipNorm);
      opt.step(lr);
      res.steps++;
    }
    red[0] = lossSum;
    red[1] = 0;
    rep.allReduce(red);
    const trainLoss = red[0]! / normSum;
    let valLoss: number | undefined;
    if (hasVal) {
      obj.beforeValidation?.(trainRows);
      valLoss = evaluate(obj, valRows!, rep);
    }
    res.trainLoss.push(trainLoss);
    res.lr.push(lr);
    res.epochs = epoch + 1;
    if (valLoss !== undefined) {
      res.valLoss.push(valLoss);
      if (valLoss < best - (o.minDelta ?? 0)) {
        best = valLoss;
        since = 0;
        res.bestEpoch = epoch + 1;
        if (restore) bestSnap = store.snapshot();
      } else since++;
    } else res.bestEpoch = epoch + 1;
    o.onEpoch?.({
      epoch: epoch + 1,
      epochs: o.epochs,
      trainLoss,
      valLoss,
      lr,
      seconds: (performance.now() - te) / 1000,
    });
    if (o.patience !== undefined && hasVal && since >= o.patience) {
      res.stoppedEarly = epoch + 1 < o.epochs;
      break;
    }
  }
  if (restore && bestSnap) store.restore(bestSnap);
  obj.afterFit?.(trainRows);
  res.seconds = (performance.now() - t0) / 1000;
  return res;
}

/** Mean evaluation-mode loss over rows, split over replicas and all-reduced (same value everywhere). */
export function evaluate(obj: Objective, rows: Uint32Array, rep: Replica = singleReplica): number {
  const [a, b] = shardOf(0, rows.length, rep.index, rep.count);
  const red = new Float64Array(2);
  for (let s = a; s < b; s += obj.capacity) {
    const e = Math.min(b, s + obj.capacity);
    red[0] = red[0]! + obj.evalLoss(rows, s, e);
    red[1] = red[1]! + obj.normalizer(rows, s, e);
  }
  rep.allReduce(red);
  return red[0]! / red[1]!;
}
