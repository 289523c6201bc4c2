/**
 * Losses over a batch of network outputs, each returning the (weighted) loss sum and, when asked, writing the
 * gradient of (loss sum / norm) with respect to the outputs: the mean over a batch is the sum divided by the
 * batch's normaliser, which the training loop computes once for the whole batch, so shards of one batch on
 * different threads produce gradients that simply add up.
 *
 * Arrays: `out` holds n rows of the network output at stride ld from offset o (the heap); targets `y` are n x k
 * row-major; weights `w` one per row (absent: 1). Gradients go to `grad` at offset go with stride gld.
 */
import { SidebandError } from '../events/errors.js';

// Math functions bound once: hot loops read module constants instead of the global object (much slower where
// code runs in a vm context, as under jest).
const { abs, exp, log, log1p, max, PI } = Math;

export type LossName = 'bce' | 'mse' | 'gaussian-nll' | 'pinball';

export interface LossSpec {
  name: LossName;
  /** Quantile levels of the pinball loss, one per output column. */
  quantiles?: number[];
  /** Gaussian NLL: add the 0.5 log(2 pi) constant (default false, as torch's full = False). */
  full?: boolean;
}

export interface LossArgs {
  out: Float32Array;
  o: number;
  ld: number;
  n: number;
  /** Target columns per row. */
  k: number;
  y: Float32Array;
  w?: Float32Array;
  norm: number;
  grad?: Float32Array;
  go?: number;
  gld?: number;
}

const LOG_SQRT_2PI = 0.5 * log(2 * PI);

/** Outputs the loss reads per target column. */
export function outputsPerTarget(spec: LossSpec): number {
  return spec.name === 'gaussian-nll' ? 2 : 1;
}

/** Weighted binary cross-entropy of sigmoid(z) (z: logits), stable form max(z, 0) - z y + log(1 + e^-|z|). */
export function bceWithLogits(a: LossArgs): number {
  let total = 0;
  for (let i = 0; i < a.n; i++) {
    const wi = a.w ? a.w[i]! : 1;
    for (let j = 0; j < a.k; j++) {
      const z = a.out[a.o + i * a.ld + j]!;
      const t = a.y[i * a.k + j]!;
      total += wi * (max(z, 0) - z * t + log1p(exp(-abs(z))));
      if (a.grad) a.grad[a.go! + i * a.gld! + j] = (wi * (1 / (1 + exp(-z)) - t)) / a.norm;
    }
  }
  return total;
}

/** Weighted squared error. */
export function mse(a: LossArgs): number {
  let total = 0;
  for (let i = 0; i < a.n; i++) {
    const wi = a.w ? a.w[i]! : 1;
    for (let j = 0; j < a.k; j++) {
      const d = a.out[a.o + i * a.ld + j]! - a.y[i * a.k + j]!;
      total += wi * d * d;
      if (a.grad) a.grad[a.go! + i * a.gld! + j] = (2 * wi * d) / a.norm;
    }
  }
  return total;
}

/**
 * Gaussian negative log-likelihood with the network predicting mean and log-variance: outputs [mu_1..mu_k,
 * logvar_1..logvar_k]; loss 0.5 (logvar + (y - mu)^2 e^-logvar) (+ 0.5 log 2 pi when full).
 */
export function gaussianNll(a: LossArgs, full = false): number {
  let total = 0;
  const k = a.k;
  for (let i = 0; i < a.n; i++) {
    const wi = a.w ? a.w[i]! : 1;
    const r = a.o + i * a.ld;
    for (let j = 0; j < k; j++) {
      const mu = a.out[r + j]!;
      const lv = a.out[r + k + j]!;
      const d = a.y[i * k + j]! - mu;
      const iv = exp(-lv);
      total += wi * (0.5 * (lv + d * d * iv) + (full ? LOG_SQRT_2PI : 0));
      if (a.grad) {
        const g = a.go! + i * a.gld!;
        a.grad[g + j] = (-wi * d * iv) / a.norm;
        a.grad[g + k + j] = (wi * 0.5 * (1 - d * d * iv)) / a.norm;
      }
    }
  }
  return total;
}

/** Pinball (quantile) loss: max(tau d, (tau - 1) d), d = y - q, one quantile level per output column. */
export function pinball(a: LossArgs, quantiles: number[]): number {
  if (quantiles.length !== a.k)
    throw new SidebandError(`nn pinball loss: ${quantiles.length} quantile levels for ${a.k} outputs`);
  let total = 0;
  for (let i = 0; i < a.n; i++) {
    const wi = a.w ? a.w[i]! : 1;
    for (let j = 0; j < a.k; j++) {
      const tau = quantiles[j]!;
      const d = a.y[i * a.k + j]! - a.out[a.o + i * a.ld + j]!;
      total += wi * max(tau * d, (tau - 1) * d);
      if (a.grad) a.grad[a.go! + i * a.gld! + j] = (wi * (d > 0 ? -tau : 1 - tau)) / a.norm;
    }
  }
  return total;
}

export function evaluateLoss(spec: LossSpec, a: LossArgs): number {
  switch (spec.name) {
    case 'bce':
      return bceWithLogits(a);
    case 'mse':
      return mse(a);
    case 'gaussian-nll':
      return gaussianNll(a, spec.full ?? false);
    case 'pinball':
      return pinball(a, spec.quantiles ?? []);
    default:
      throw new SidebandError(`nn loss: unknown loss ${(spec as { name: string }).name}`);
  }
}

/**
 * KL(N(mu, e^logvar) || N(0, 1)) summed over k latent columns per row (the VAE regulariser):
 * -0.5 sum (1 + logvar - mu^2 - e^logvar); gradients of (scale x KL sum / norm) are added to dmu and dlogvar.
 */
export function klStdNormal(
  mu: Float32Array,
  mo: number,
  lv: Float32Array,
  lo: number,
  ld: number,
  n: number,
  k: number,
  norm: number,
  scale: number,
  dmu?: Float32Array,
  dmo = 0,
  dlv?: Float32Array,
  dlo = 0,
  gld = ld,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const m = mu[mo + i * ld + j]!;
      const l = lv[lo + i * ld + j]!;
      const e = exp(l);
      total += -0.5 * (1 + l - m * m - e);
      if (dmu) dmu[dmo + i * gld + j] = dmu[dmo + i * gld + j]! + (scale * m) / norm;
      if (dlv) dlv[dlo + i * gld + j] = dlv[dlo + i * gld + j]! + (scale * 0.5 * (e - 1)) / norm;
    }
  }
  return scale * total;
}
