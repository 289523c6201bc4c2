/**
 * Special functions used by the statistics engine, all from @stdlib (maintained, tested to double precision)
 * rather than hand-written series: the tails matter here (p-values of 1e-7 are 5σ), and the naive
 * 1 − Φ(z) loses every digit there. Everything below is expressed through erfc/erfcinv and the regularized
 * incomplete gamma function so both tails stay accurate.
 */
import erfc from '@stdlib/math-base-special-erfc';
import erfcinv from '@stdlib/math-base-special-erfcinv';
import gammainc from '@stdlib/math-base-special-gammainc';
import gammaln from '@stdlib/math-base-special-gammaln';

const SQRT2 = Math.SQRT2;

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** Standard normal survival 1 − Φ(z), accurate far in the upper tail. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / SQRT2);
}

/** One-sided significance Z = Φ⁻¹(1 − p); +∞ for p = 0, −∞ for p = 1. */
export function zFromP(p: number): number {
  if (!(p > 0)) return Infinity;
  if (p >= 1) return -Infinity;
  return SQRT2 * erfcinv(2 * p);
}

/** One-sided p-value of a significance: p = 1 − Φ(z). */
export function pFromZ(z: number): number {
  return normalSf(z);
}

/** Upper tail of the χ² distribution with k degrees of freedom: P(X ≥ x). Q(k/2, x/2). */
export function chi2Sf(x: number, k: number): number {
  if (k <= 0) return Number.NaN;
  if (!(x > 0)) return 1;
  return gammainc(x / 2, k / 2, true, true);
}

/**
 * P(N ≥ n | λ) for a Poisson count, continued to real n > 0 by the regularized lower incomplete gamma P(n, λ)
 * (exact for integer n). Non-integer n occur when the observed histogram is an ensemble median.
 */
export function poissonSfAtLeast(n: number, lambda: number): number {
  if (n <= 0) return 1;
  if (!(lambda > 0)) return 0;
  return gammainc(lambda, n, true, false);
}

/** P(N ≤ n | λ) = Q(n + 1, λ), continued to real n ≥ 0. */
export function poissonCdfAtMost(n: number, lambda: number): number {
  if (n < 0) return 0;
  if (!(lambda > 0)) return 1;
  return gammainc(lambda, n + 1, true, true);
}

/** ln Γ(x). */
export function lnGamma(x: number): number {
  return gammaln(x);
}

/** n ln(n / μ) with the 0·ln 0 = 0 convention used by every Poisson likelihood ratio here. */
export function xlogy(n: number, mu: number): number {
  return n === 0 ? 0 : n * Math.log(n / mu);
}
