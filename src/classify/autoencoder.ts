/**
 * A dense autoencoder over per-jet features, the anomaly detector of seed 003's VAE-QR and Tag N' Train: trained
 * to reconstruct jets of a background-dominated sample (the control region), its reconstruction error is the jet's
 * anomaly score (jets unlike those it learnt reconstruct worse). Inputs are standardised on the training jets;
 * the error is the mean squared difference in standardised units.
 *
 * Not variational: the engine's Network has no gradient port at its input, so an encoder and a decoder cannot be
 * chained through a sampling step; the bottleneck alone regularises. (Seed 003 trains a VAE on particle-flow
 * constituents with a Chamfer loss; here the inputs are the jets' substructure features.)
 */
import { InputError } from '../events/errors.js';
import { fit, type FitResult } from '../nn/fit.js';
import { Network } from '../nn/network.js';
import { NetworkObjective } from '../nn/objective.js';
import { dense, network } from '../nn/spec.js';
import { mulberry32, shuffleInPlace } from './random.js';

export interface AutoencoderOptions {
  /** Encoder widths; the decoder mirrors them (default [32, 16]). */
  hidden?: number[];
  /** Bottleneck width (default 3). */
  latent?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** Early-stopping patience on a held-out 20 % (default 5). */
  patience?: number;
  seed: number;
}

export interface Autoencoder {
  features: number;
  mean: Float64Array;
  std: Float64Array;
  net: Network;
  training: FitResult;
}

/** Column means and standard deviations of n rows of d features (row-major). */
export function standardisation(x: Float32Array, d: number): { mean: Float64Array; std: Float64Array } {
  const n = x.length / d;
  const mean = new Float64Array(d),
    sq = new Float64Array(d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]!;
      mean[j]! += v;
      sq[j]! += v * v;
    }
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mean[j]! /= n;
    std[j] = Math.sqrt(Math.max(sq[j]! / n - mean[j]! ** 2, 0)) || 1;
  }
  return { mean, std };
}

function standardise(x: Float32Array, d: number, mean: Float64Array, std: Float64Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i % d;
    out[i] = (x[i]! - mean[j]!) / std[j]!;
  }
  return out;
}

/** Train on n rows of d features (row-major). */
export function trainAutoencoder(x: Float32Array, d: number, o: AutoencoderOptions): Autoencoder {
  const n = x.length / d;
  if (!Number.isInteger(n) || n < 20)
    throw new InputError(`autoencoder: need at least 20 training jets of ${d} features (got ${x.length / d})`);
  const hidden = o.hidden ?? [32, 16];
  const latent = o.latent ?? 3;
  const batchSize = o.batchSize ?? 256;
  const { mean, std } = standardisation(x, d);
  const xs = standardise(x, d, mean, std);
  const layers = [
    ...hidden.map((u) => dense(u, { activation: 'relu' })),
    dense(latent),
    ...[...hidden].reverse().map((u) => dense(u, { activation: 'relu' })),
    dense(d),
  ];
  const net = new Network(network(d, layers), { seed: o.seed, capacity: batchSize });
  const obj = new NetworkObjective(net, { x: xs, y: xs }, { name: 'mse' });
  const order = shuffleInPlace(
    Uint32Array.from({ length: n }, (_, i) => i),
    mulberry32(o.seed),
  );
  const nVal = Math.floor(n / 5);
  const training = fit(obj, order.subarray(nVal), nVal > 0 ? order.subarray(0, nVal) : null, {
    epochs: o.epochs ?? 30,
    batchSize,
    lr: o.lr ?? 2e-3,
    patience: o.patience ?? 5,
    seed: o.seed,
  });
  return { features: d, mean, std, net, training };
}

/** Reconstruction error of each of n rows (mean squared difference over the standardised features). */
export function reconstructionError(ae: Autoencoder, x: Float32Array): Float32Array {
  const d = ae.features;
  const xs = standardise(x, d, ae.mean, ae.std);
  const n = xs.length / d;
  const r = ae.net.predict(xs, n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const e = r[i * d + j]! - xs[i * d + j]!;
      s += e * e;
    }
    out[i] = s / d;
  }
  return out;
}
