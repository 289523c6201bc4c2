/**
 * Seeded random numbers for the event generator: xoshiro128** (Blackman & Vigna), a 32-bit generator that V8
 * runs entirely in small integers (Math.imul), seeded through splitmix32 so that nearby seeds and stream ids
 * give unrelated sequences. Normal deviates come from a precomputed inverse-CDF table (no log/sin per draw).
 */
import { SidebandError } from '../events/errors.js';

/** splitmix32 step: turns (seed, stream) into well-mixed 32-bit words for the xoshiro state. */
function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const INV_2_32 = 2.3283064365386963e-10;

export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `stream` separates independent sequences drawn from one seed (background, signal, placement, ...). */
  constructor(seed: number, stream = 0) {
    if (!Number.isFinite(seed)) throw new SidebandError(`generator: seed must be a finite number, got ${seed}`);
    // Mix the full 53-bit integer part of the seed and the stream id.
    const hi = Math.floor(seed / 4294967296) | 0;
    const st = { x: (seed | 0) ^ Math.imul(stream + 1, 0x632be5ab) ^ Math.imul(hi, 0x7feb352d) };
    this.s0 = splitmix32(st);
    this.s1 = splitmix32(st);
    this.s2 = splitmix32(st);
    this.s3 = splitmix32(st);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit word (unsigned). Hot. */
  nextU32(): number {
    const s0 = this.s0,
      s1 = this.s1,
      s2 = this.s2,
      s3 = this.s3;
    const r = Math.imul(s1, 5);
    const result = Math.imul((r << 7) | (r >>> 25), 9);
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return result >>> 0;
  }

  /** Uniform in the open interval (0, 1): safe for log(). Hot. */
  uniform(): number {
    return (this.nextU32() + 0.5) * INV_2_32;
  }

  /** Standard normal deviate from the inverse-CDF table (truncated at |z| < 4.1). Hot. */
  normal(): number {
    const x = this.uniform() * NORMAL_TABLE_SIZE;
    const i = x | 0;
    const f = x - i;
    return NORMAL_TABLE[i]! + f * (NORMAL_TABLE[i + 1]! - NORMAL_TABLE[i]!);
  }

  /** Exponential deviate with unit mean. */
  exponential(): number {
    return -Math.log(this.uniform());
  }
}

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/**
 * Table of the normal quantile at u = k / SIZE, with the two end points pulled in to u = 1/(4 SIZE) so that
 * linear interpolation stays finite. 16385 entries keep the interpolation error far below any resolution
 * the generator models; the tails end near |z| = 4.1.
 */
const NORMAL_TABLE_SIZE = 16384;
const NORMAL_TABLE = (() => {
  const t = new Float64Array(NORMAL_TABLE_SIZE + 1);
  for (let k = 0; k <= NORMAL_TABLE_SIZE; k++) {
    const u = Math.min(Math.max(k / NORMAL_TABLE_SIZE, 0.25 / NORMAL_TABLE_SIZE), 1 - 0.25 / NORMAL_TABLE_SIZE);
    t[k] = normalQuantile(u);
  }
  return t;
})();

/** Linear interpolation in a quantile table sampled at u = k / (table.length - 1). Hot. */
export function quantileLookup(table: Float64Array, u: number): number {
  const x = u * (table.length - 1);
  const i = x | 0;
  const f = x - i;
  const lo = table[i]!;
  return i + 1 < table.length ? lo + f * (table[i + 1]! - lo) : lo;
}
