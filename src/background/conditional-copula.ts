/**
 * A conditional generative model p(x | mjj) of the selected events' features, for down-up sampling (seed 000
 * App. B.3): trained on a random 10 % of the data, it generates new features for every event at the event's own
 * mjj, giving a pseudo-dataset with the data's statistics whose features carry no localized signal (a rare signal
 * is diluted by the downsampling and smoothed out by the model). Seed 000 used conditional diffusion models; this
 * is a smooth model with no training loop, a Gaussian copula over mjj-conditional marginals:
 *   - the events are sorted by mjj and split into B bins of equal count; in each bin every feature's quantile
 *     function is tabulated (Q = 257 quantiles), and the features' normal scores give a correlation matrix R_b;
 *   - to sample at mass m: between the two bins whose median masses bracket m, with weight w, draw z ~ N(0, R) with
 *     R = (1 − w) R_b + w R_{b+1} (a convex combination, so positive definite), u = Φ(z), and
 *     x_f = (1 − w) Q_{b,f}(u_f) + w Q_{b+1,f}(u_f): quantile (displacement) interpolation, smooth in m.
 * The marginals keep any shape the data have (jet masses, τ ratios), the dependence is the copula's. Pure math:
 * typed arrays in and out, every draw from the given seed.
 */
import { mulberry32 } from '../classify/random.js';
import { normalCdf, zFromP } from '../stats/special.js';

export interface CopulaOptions {
  /** mjj bins (equal counts); default clamp(n / 2000, 3, 24). */
  bins?: number;
  /** Quantiles tabulated per feature and bin (default 257). */
  quantiles?: number;
}

export interface ConditionalCopula {
  features: number;
  /** Median mjj of each bin (ascending). */
  centres: Float64Array;
  /** Per bin, per feature, the quantile table at probabilities k/(Q − 1). */
  tables: Float64Array[][];
  /** Per bin, the lower Cholesky factor of the correlation matrix of the normal scores (F×F, row-major). */
  chol: Float64Array[];
}

/** Fit the copula to feature columns and mjj (rows with a non-finite value are skipped). */
export function fitConditionalCopula(
  columns: ArrayLike<number>[],
  mjj: ArrayLike<number>,
  options: CopulaOptions = {},
): ConditionalCopula {
  const F = columns.length;
  const rows: number[] = [];
  for (let i = 0; i < mjj.length; i++) {
    let ok = Number.isFinite(mjj[i]!);
    for (let f = 0; f < F && ok; f++) ok = Number.isFinite(columns[f]![i]!);
    if (ok) rows.push(i);
  }
  const n = rows.length;
  if (n < 20) throw new RangeError(`conditional copula: needs at least 20 events (got ${n})`);
  rows.sort((a, b) => mjj[a]! - mjj[b]!);
  const B = Math.max(1, Math.min(options.bins ?? Math.min(24, Math.max(3, Math.floor(n / 2000))), Math.floor(n / 10)));
  const Q = options.quantiles ?? 257;
  const centres = new Float64Array(B);
  const tables: Float64Array[][] = [];
  const chol: Float64Array[] = [];
  for (let b = 0; b < B; b++) {
    const lo = Math.floor((b * n) / B),
      hi = Math.floor(((b + 1) * n) / B);
    const idx = rows.slice(lo, hi);
    const m = idx.length;
    centres[b] = mjj[idx[m >> 1]!]!;
    const scores: Float64Array[] = [];
    const perFeature: Float64Array[] = [];
    for (let f = 0; f < F; f++) {
      const col = columns[f]!;
      const order = idx.slice().sort((a, c) => col[a]! - col[c]!);
      const table = new Float64Array(Q);
      for (let k = 0; k < Q; k++) table[k] = col[order[Math.round((k * (m - 1)) / (Q - 1))]!]!;
      perFeature.push(table);
      // Normal scores of the events in this bin, by rank (ties broken by order, which is harmless here).
      const z = new Float64Array(m);
      const pos = new Map<number, number>();
      idx.forEach((r, k) => pos.set(r, k));
      order.forEach((r, rank) => {
        z[pos.get(r)!] = zFromP(1 - (rank + 0.5) / m); // Φ⁻¹ of the rank's probability
      });
      scores.push(z);
    }
    tables.push(perFeature);
    chol.push(cholesky(correlation(scores), F));
  }
  return { features: F, centres, tables, chol };
}

/** Features for every mass in `mjj`, drawn from the model with the given seed. */
export function sampleConditionalCopula(
  model: ConditionalCopula,
  mjj: ArrayLike<number>,
  seed: number,
): Float32Array[] {
  const F = model.features;
  const B = model.centres.length;
  const Q = model.tables[0]![0]!.length;
  const out = Array.from({ length: F }, () => new Float32Array(mjj.length));
  const rand = mulberry32(seed);
  const e = new Float64Array(F),
    z = new Float64Array(F);
  // Hot: one correlated normal vector, F interpolated quantile lookups per event.
  for (let i = 0; i < mjj.length; i++) {
    const m = mjj[i]!;
    let b = 0;
    while (b < B - 1 && model.centres[b + 1]! <= m) b++;
    const b2 = Math.min(b + 1, B - 1);
    const span = model.centres[b2]! - model.centres[b]!;
    const w = b2 === b || !(span > 0) ? 0 : Math.min(Math.max((m - model.centres[b]!) / span, 0), 1);
    for (let f = 0; f < F; f++) e[f] = gaussian(rand);
    const L1 = model.chol[b]!,
      L2 = model.chol[b2]!;
    for (let r = 0; r < F; r++) {
      let s = 0;
      // The interpolated factor is a convex combination of two Cholesky factors: its product is a valid
      // covariance whose diagonal is renormalised below, so the marginals stay standard normal.
      let norm = 0;
      for (let c = 0; c <= r; c++) {
        const l = (1 - w) * L1[r * F + c]! + w * L2[r * F + c]!;
        s += l * e[c]!;
        norm += l * l;
      }
      z[r] = s / Math.sqrt(norm);
    }
    for (let f = 0; f < F; f++) {
      const u = normalCdf(z[f]!) * (Q - 1);
      const k = Math.min(Q - 2, Math.floor(u));
      const t = u - k;
      const t1 = model.tables[b]![f]!,
        t2 = model.tables[b2]![f]!;
      const q1 = t1[k]! + t * (t1[k + 1]! - t1[k]!);
      const q2 = t2[k]! + t * (t2[k + 1]! - t2[k]!);
      out[f]![i] = (1 - w) * q1 + w * q2;
    }
  }
  return out;
}

function correlation(scores: Float64Array[]): Float64Array {
  const F = scores.length;
  const n = scores[0]!.length;
  const c = new Float64Array(F * F);
  for (let a = 0; a < F; a++)
    for (let b = 0; b <= a; b++) {
      let s = 0,
        sa = 0,
        sb = 0;
      const x = scores[a]!,
        y = scores[b]!;
      for (let i = 0; i < n; i++) {
        s += x[i]! * y[i]!;
        sa += x[i]! * x[i]!;
        sb += y[i]! * y[i]!;
      }
      const r = sa > 0 && sb > 0 ? s / Math.sqrt(sa * sb) : a === b ? 1 : 0;
      c[a * F + b] = r;
      c[b * F + a] = r;
    }
  return c;
}

/** Lower Cholesky factor of a correlation matrix, with a small ridge when it is (numerically) singular. */
function cholesky(a: Float64Array, n: number): Float64Array {
  for (let ridge = 0; ridge < 1; ridge = ridge === 0 ? 1e-9 : ridge * 10) {
    const l = new Float64Array(n * n);
    let ok = true;
    for (let i = 0; i < n && ok; i++)
      for (let j = 0; j <= i; j++) {
        let s = a[i * n + j]! + (i === j ? ridge : 0);
        for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
        if (i === j) {
          if (!(s > 0)) {
            ok = false;
            break;
          }
          l[i * n + i] = Math.sqrt(s);
        } else l[i * n + j] = s / l[j * n + j]!;
      }
    if (ok) return l;
  }
  // Independent features as the last resort (a degenerate bin).
  const id = new Float64Array(n * n);
  for (let i = 0; i < n; i++) id[i * n + i] = 1;
  return id;
}

function gaussian(rand: () => number): number {
  // Box–Muller, one of the pair (simple and deterministic per draw order).
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
