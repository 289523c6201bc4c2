/**
 * Signed per-bin significance for the lower panel of a spectrum plot (Choudalakis & Casadei,
 * Eur. Phys. J. Plus 127 (2012) 25): the Poisson p-value of a count at least as extreme as observed, in the
 * direction of the deviation, converted to a one-sided Z; positive for excesses, negative for deficits, and 0
 * when the deviation is not even one-sided significant (p > 0.5), so that zero bins over a small background
 * do not show as deficits.
 */
import { poissonCdfAtMost, poissonSfAtLeast, zFromP } from './special.js';

export function binSignificance(n: number, b: number): number {
  if (!(b > 0) || !(n >= 0)) return 0;
  if (n >= b) {
    const p = poissonSfAtLeast(n, b);
    return p < 0.5 ? zFromP(p) : 0;
  }
  const p = poissonCdfAtMost(n, b);
  return p < 0.5 ? -zFromP(p) : 0;
}

/** Per-bin signed significances of observed counts over a prediction. */
export function perBinSignificance(observed: ArrayLike<number>, expected: ArrayLike<number>): Float64Array {
  const out = new Float64Array(observed.length);
  for (let i = 0; i < observed.length; i++) out[i] = binSignificance(observed[i]!, expected[i]!);
  return out;
}
