/**
 * Preprocessing of flow inputs that carries its Jacobian (sk_cathode's LogitScaler + StandardScaler pipeline):
 *   logit:    s = eps + (1 - 2 eps) (x - lo) / (hi - lo), z = (logit(s) - mean) / std
 *   standard: z = (x - mean) / std
 * with lo, hi the training minimum and maximum (widened by `margin` of the range so later events stay inside),
 * and log|dz/dx| = sum_j [log(1 - 2 eps) - log(hi - lo) - log(s (1 - s)) - log std] (logit) or -sum log std.
 * The context (mjj) is standardised (no Jacobian: the density is conditional on it). All fitted numbers are
 * plain arrays, saved with the model.
 */
import { InputError } from '../../events/errors.js';

// Math functions bound once: hot loops read module constants instead of the global object (much slower where
// code runs in a vm context, as under jest).
const { exp, log, max, min, sqrt } = Math;

export interface PreprocessOptions {
  kind?: 'logit' | 'standard' | 'none';
  /** Logit: keep s inside [eps, 1 - eps] (default 1e-6: events at the training extremes stay finite). */
  eps?: number;
  /** Logit: widen [min, max] by this fraction of the range on both sides (default 0). */
  margin?: number;
}

export interface Preprocessor {
  kind: 'logit' | 'standard' | 'none';
  features: number;
  context: number;
  eps: number;
  lo: number[];
  hi: number[];
  mean: number[];
  std: number[];
  contextMean: number[];
  contextStd: number[];
}

function meanStd(values: (i: number, j: number) => number, n: number, d: number): { mean: number[]; std: number[] } {
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values(i, j);
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (values(i, j) - m) ** 2;
    mean.push(m);
    std.push(sqrt(v / n) || 1);
  }
  return { mean, std };
}

const logit = (s: number): number => log(s / (1 - s));

/** Fit on training rows: X n x D and context m n x C, row-major. */
export function fitPreprocessor(
  X: Float32Array,
  m: Float32Array,
  D: number,
  C: number,
  o: PreprocessOptions = {},
): Preprocessor {
  const n = X.length / D;
  if (!Number.isInteger(n) || n < 2)
    throw new InputError(`nn flow preprocessing: X holds ${X.length} values, not >= 2 rows of ${D}`, { field: 'X' });
  if (m.length !== n * C)
    throw new InputError(`nn flow preprocessing: context holds ${m.length} values for ${n} rows x ${C}`, {
      field: 'm',
    });
  const kind = o.kind ?? 'logit';
  const eps = o.eps ?? 1e-6;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let j = 0; j < D; j++) {
    let a = Infinity;
    let b = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = X[i * D + j]!;
      if (!Number.isFinite(v))
        throw new InputError(`nn flow preprocessing: non-finite value ${v}`, { field: `X[${j}]`, row: i });
      a = min(a, v);
      b = max(b, v);
    }
    const w = (b - a) * (o.margin ?? 0);
    lo.push(a - w);
    hi.push(b + w > a - w ? b + w : a - w + 1);
  }
  const pre: Preprocessor = {
    kind,
    features: D,
    context: C,
    eps,
    lo,
    hi,
    mean: Array(D).fill(0),
    std: Array(D).fill(1),
    contextMean: [],
    contextStd: [],
  };
  if (kind !== 'none') {
    const { mean, std } = meanStd((i, j) => stage1(pre, j, X[i * D + j]!), n, D);
    pre.mean = mean;
    pre.std = std;
  }
  const ctx = meanStd((i, j) => m[i * C + j]!, n, C);
  pre.contextMean = ctx.mean;
  pre.contextStd = ctx.std;
  return pre;
}

/** Before standardisation: logit(s) or x. */
function stage1(p: Preprocessor, j: number, x: number): number {
  if (p.kind !== 'logit') return x;
  const s = p.eps + ((1 - 2 * p.eps) * (x - p.lo[j]!)) / (p.hi[j]! - p.lo[j]!);
  return logit(s);
}

/** x -> z (n x D), adding log|dz/dx| per row into logdet when given. Values outside (lo, hi) give NaN (logit). */
export function preprocess(p: Preprocessor, X: Float32Array, logdet?: Float64Array): Float32Array {
  const D = p.features;
  const n = X.length / D;
  const z = new Float32Array(X.length);
  let constant = 0;
  for (let j = 0; j < D; j++) {
    constant -= log(p.std[j]!);
    if (p.kind === 'logit') constant += log(1 - 2 * p.eps) - log(p.hi[j]! - p.lo[j]!);
  }
  for (let i = 0; i < n; i++) {
    let ld = constant;
    for (let j = 0; j < D; j++) {
      const x = X[i * D + j]!;
      if (p.kind === 'logit') {
        const s = p.eps + ((1 - 2 * p.eps) * (x - p.lo[j]!)) / (p.hi[j]! - p.lo[j]!);
        z[i * D + j] = s > 0 && s < 1 ? (logit(s) - p.mean[j]!) / p.std[j]! : NaN;
        ld -= log(s * (1 - s));
      } else {
        z[i * D + j] = (x - p.mean[j]!) / p.std[j]!;
      }
    }
    if (logdet) logdet[i] = logdet[i]! + ld;
  }
  return z;
}

/** z -> x, adding log|dx/dz| per row into logdet when given. */
export function unpreprocess(p: Preprocessor, Z: Float32Array, logdet?: Float64Array): Float32Array {
  const D = p.features;
  const n = Z.length / D;
  const x = new Float32Array(Z.length);
  for (let i = 0; i < n; i++) {
    let ld = 0;
    for (let j = 0; j < D; j++) {
      const u = Z[i * D + j]! * p.std[j]! + p.mean[j]!;
      ld += log(p.std[j]!);
      if (p.kind === 'logit') {
        const s = 1 / (1 + exp(-u));
        x[i * D + j] = p.lo[j]! + ((s - p.eps) * (p.hi[j]! - p.lo[j]!)) / (1 - 2 * p.eps);
        ld += log(s * (1 - s)) + log(p.hi[j]! - p.lo[j]!) - log(1 - 2 * p.eps);
      } else x[i * D + j] = u;
    }
    if (logdet) logdet[i] = logdet[i]! + ld;
  }
  return x;
}

/** Standardised context. */
export function preprocessContext(p: Preprocessor, m: Float32Array | ArrayLike<number>): Float32Array {
  const C = p.context;
  const out = new Float32Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = (m[i]! - p.contextMean[i % C]!) / p.contextStd[i % C]!;
  return out;
}
