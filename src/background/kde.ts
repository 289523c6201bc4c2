/**
 * A one-dimensional Gaussian kernel density estimate on a bounded interval, for CATHODE's SR masses (seed 003:
 * the template's mjj values are drawn from a KDE of the SR data's mjj, so the template has the SR's mass
 * spectrum without copying any event's mass). Bandwidth by Silverman's rule, h = 0.9 min(σ, IQR / 1.34) n^(−1/5);
 * samples that a kernel carries past an edge are reflected back inside (the reflection estimator), so the density
 * does not leak out of the SR and does not dip at its edges.
 */
import { mulberry32 } from '../classify/random.js';
import { SidebandError } from '../events/errors.js';

export interface Kde1d {
  /** Sorted support points. */
  points: Float64Array;
  bandwidth: number;
  lo: number;
  hi: number;
}

export function fitKde1d(values: ArrayLike<number>, lo: number, hi: number, bandwidth?: number): Kde1d {
  const pts = Float64Array.from(values).filter((v) => v >= lo && v <= hi);
  const n = pts.length;
  if (n < 2) throw new SidebandError(`KDE: needs at least 2 values inside [${lo}, ${hi}] (got ${n})`);
  pts.sort();
  let mean = 0;
  for (const v of pts) mean += v;
  mean /= n;
  let s2 = 0;
  for (const v of pts) s2 += (v - mean) ** 2;
  const sd = Math.sqrt(s2 / (n - 1));
  const iqr = pts[Math.floor(0.75 * (n - 1))]! - pts[Math.floor(0.25 * (n - 1))]!;
  const spread = Math.min(sd, iqr > 0 ? iqr / 1.34 : sd) || (hi - lo) / 10;
  const h = bandwidth ?? 0.9 * spread * n ** -0.2;
  return { points: pts, bandwidth: h, lo, hi };
}

/** n draws from the KDE, seeded (a random support point plus a Gaussian kernel step, reflected at the edges). */
export function sampleKde1d(kde: Kde1d, n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  const { points, bandwidth: h, lo, hi } = kde;
  const w = hi - lo;
  for (let i = 0; i < n; i++) {
    const c = points[Math.min(points.length - 1, Math.floor(rand() * points.length))]!;
    // Box–Muller: one normal per pair of uniforms (the second is dropped to keep the stream one draw per event).
    const u1 = rand() || 1e-12;
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
    let m = c + h * z;
    // Reflect into [lo, hi] (a kernel wider than the interval can need more than one reflection).
    for (let k = 0; k < 8 && (m < lo || m > hi); k++) m = m < lo ? 2 * lo - m : 2 * hi - m;
    if (m < lo || m > hi) m = lo + w * rand();
    // [lo, hi): the SR is half-open.
    out[i] = m >= hi ? Math.fround(hi - 1e-3 * w) : m;
  }
  return out;
}
