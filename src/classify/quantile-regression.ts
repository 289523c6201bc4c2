/**
 * Quantile regression of an anomaly score against mjj (seed 003's VAE-QR decorrelation): a dense network trained
 * with the pinball loss predicts the score's q-quantiles at each mjj (one output per level, default 5 hidden layers
 * of 30 units as seed 003), so "score above its (1 − ε)-quantile at this mjj" keeps a fraction ε of the background
 * at every mass and the selected spectrum keeps the inclusive spectrum's smooth shape.
 *
 * mjj enters as ln(mjj) standardised on the training events (the spectrum falls over orders of magnitude), and the
 * training events are weighted flat in it (flatWeights).
 *
 * Training runs a fixed number of epochs with the learning rate annealed to zero (cosine) and keeps the last
 * weights, on every training event: the pinball loss of a tail quantile is too flat for early stopping on a
 * validation split to pick a good epoch. Measured on a falling spectrum with a score independent of mjj (60k
 * training events, ε = 3 %, 5 seeds, kept fraction per mjj bin on 3M fresh events): the old 40 epochs with
 * patience 6 stopped after 13–20 epochs and kept 1.1–5.2 % per bin (median over seeds of the largest relative
 * deviation from ε: 0.69); 60 annealed epochs give 0.25 [0.06–0.44], against 0.22 for a cubic polynomial fitted
 * by the same loss (the training statistics at high mass bound both). The test in
 * test/classify/quantile-regression.test.ts holds this flatness.
 */
import { InputError } from '../events/errors.js';
import { fit } from '../nn/fit.js';
import { Network } from '../nn/network.js';
import { NetworkObjective } from '../nn/objective.js';
import { dense, network } from '../nn/spec.js';
import { mulberry32, shuffleInPlace } from './random.js';

export interface QuantileRegressionOptions {
  hidden?: number[];
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed: number;
}

export interface QuantileRegression {
  quantiles: number[];
  centre: number;
  scale: number;
  net: Network;
  epochs: number;
}

function inputs(mjj: Float32Array, rows: ArrayLike<number> | null, centre: number, scale: number): Float32Array {
  const n = rows ? rows.length : mjj.length;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (Math.log(mjj[rows ? rows[i]! : i]!) - centre) / scale;
  return x;
}

/**
 * Weights that flatten the training events in ln mjj (20 bins, each bin's events weighted by 1 / its count, mean
 * weight 1, at most 50): the falling spectrum would otherwise leave the high-mass tail, where the searches for heavy
 * resonances select, to a handful of events the loss barely sees.
 */
function flatWeights(x: Float32Array): Float32Array {
  let lo = Infinity,
    hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const bins = 20;
  const width = (hi - lo) / bins || 1;
  const bin = (v: number) => Math.min(bins - 1, Math.floor((v - lo) / width));
  const counts = new Float64Array(bins);
  for (const v of x) counts[bin(v)]!++;
  const w = new Float32Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += w[i] = 1 / counts[bin(x[i]!)]!;
  const mean = sum / x.length;
  for (let i = 0; i < x.length; i++) w[i] = Math.min(50, w[i]! / mean);
  return w;
}

/** Fit the score's quantiles at the given levels against mjj, on the rows given (all when absent). */
export function fitQuantileRegression(
  mjj: Float32Array,
  score: Float32Array,
  quantiles: number[],
  o: QuantileRegressionOptions,
  rows?: Uint32Array,
): QuantileRegression {
  const idx = rows ?? Uint32Array.from({ length: mjj.length }, (_, i) => i);
  const n = idx.length;
  if (n < 50) throw new InputError(`quantile regression: need at least 50 events (got ${n})`);
  if (!quantiles.length || quantiles.some((q) => !(q > 0 && q < 1)))
    throw new InputError(`quantile regression: quantile levels must lie in (0, 1) (got ${quantiles.join(', ')})`);
  let s = 0,
    s2 = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.log(mjj[idx[i]!]!);
    s += l;
    s2 += l * l;
  }
  const centre = s / n;
  const scale = Math.sqrt(Math.max(s2 / n - centre * centre, 0)) || 1;
  const k = quantiles.length;
  const x = inputs(mjj, idx, centre, scale);
  const y = new Float32Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) y[i * k + j] = score[idx[i]!]!;
  const hidden = o.hidden ?? [30, 30, 30, 30, 30];
  const batchSize = o.batchSize ?? 512;
  const net = new Network(network(1, [...hidden.map((u) => dense(u, { activation: 'relu' })), dense(k)]), {
    seed: o.seed,
    capacity: batchSize,
  });
  const obj = new NetworkObjective(net, { x, y, w: flatWeights(x) }, { name: 'pinball', quantiles });
  const order = shuffleInPlace(
    Uint32Array.from({ length: n }, (_, i) => i),
    mulberry32(o.seed),
  );
  const epochs = o.epochs ?? 60;
  const res = fit(obj, order, null, {
    epochs,
    batchSize,
    lr: o.lr ?? 3e-3,
    schedule: { type: 'cosine', tMax: epochs },
    seed: o.seed,
  });
  return { quantiles, centre, scale, net, epochs: res.epochs };
}

/** Predicted quantiles at each mjj: n x levels, row-major. */
export function predictQuantiles(qr: QuantileRegression, mjj: Float32Array): Float32Array {
  return qr.net.predict(inputs(mjj, null, qr.centre, qr.scale), mjj.length);
}
