/**
 * CLs with the asymptotic q̃μ statistic (Cowan, Cranmer, Gross, Vitells 2011) for a binned counting model with
 * uncorrelated per-bin background uncertainties, exactly as pyhf's `simplemodels.uncorrelated_background`:
 *
 *   L(μ, γ) = Π_i Pois(n_i | μ s_i + γ_i b_i) · Pois(a_i | γ_i τ_i),   τ_i = (b_i / σ_i)²,  a_i = τ_i observed,
 *
 * (HistFactory `shapesys`: a Poisson-constrained auxiliary measurement per bin, continuous in its argument).
 * For fixed μ each γ_i has a closed-form conditional MLE (a quadratic), so the profile likelihood is a
 * one-dimensional function of μ and the fits are exact rather than iterative. The Asimov data set for the
 * expected bands is generated, as in pyhf, from the μ = 0 conditional fit to the observed data (main and
 * auxiliary data). CLs = CLs+b / CLb with pyhf's AsymptoticCalculator conventions for q̃μ.
 */
import { normalCdf } from './special.js';

export interface BinnedLimitModel {
  signal: ArrayLike<number>;
  background: ArrayLike<number>;
  /** Absolute per-bin background uncertainty (σ_i); 0 fixes that bin's background. */
  backgroundUncertainty: ArrayLike<number>;
}

export interface ClsResult {
  mu: number;
  clsObs: number;
  clsbObs: number;
  clbObs: number;
  /** Expected CLs at −2σ, −1σ, median, +1σ, +2σ (pyhf order). */
  clsExp: [number, number, number, number, number];
  qmuObs: number;
  qmuAsimov: number;
  muHat: number;
}

interface Prepared {
  s: Float64Array;
  b: Float64Array;
  tau: Float64Array;
  k: number;
}

function prepare(model: BinnedLimitModel): Prepared {
  const k = model.signal.length;
  if (model.background.length !== k || model.backgroundUncertainty.length !== k) {
    throw new RangeError(
      `cls: signal (${k}), background (${model.background.length}) and uncertainty (${model.backgroundUncertainty.length}) differ in length`,
    );
  }
  const s = Float64Array.from(model.signal),
    b = Float64Array.from(model.background);
  const tau = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    if (!(b[i]! > 0)) throw new RangeError(`cls: bin ${i}: background must be > 0 (got ${b[i]})`);
    if (!(s[i]! >= 0)) throw new RangeError(`cls: bin ${i}: signal must be ≥ 0 (got ${s[i]})`);
    const sig = model.backgroundUncertainty[i]!;
    tau[i] = sig > 0 ? (b[i]! / sig) ** 2 : Infinity;
  }
  return { s, b, tau, k };
}

/** Conditional MLE γ̂_i(μ) for one bin: root of b(b+τ)γ² + [(b+τ)μs − b(n+a)]γ − aμs = 0. */
function gammaHat(n: number, a: number, mus: number, b: number, tau: number): number {
  if (!Number.isFinite(tau)) return 1;
  const A = b * (b + tau),
    B = (b + tau) * mus - b * (n + a),
    C = a * mus;
  if (C === 0) return Math.max(-B / A, 1e-10);
  const disc = Math.sqrt(B * B + 4 * A * C);
  const g = B > 0 ? (2 * C) / (B + disc) : (disc - B) / (2 * A);
  return Math.max(g, 1e-10);
}

/** −ln L profiled over γ at fixed μ (constants dropped), and its μ-derivative (envelope theorem). */
function profile(p: Prepared, n: ArrayLike<number>, a: ArrayLike<number>, mu: number): { nll: number; dnll: number } {
  let nll = 0,
    dnll = 0;
  for (let i = 0; i < p.k; i++) {
    const mus = mu * p.s[i]!;
    const g = gammaHat(n[i]!, a[i]!, mus, p.b[i]!, p.tau[i]!);
    const lam = mus + g * p.b[i]!;
    nll += lam - (n[i]! > 0 ? n[i]! * Math.log(lam) : 0);
    if (Number.isFinite(p.tau[i]!)) nll += g * p.tau[i]! - (a[i]! > 0 ? a[i]! * Math.log(g * p.tau[i]!) : 0);
    dnll += p.s[i]! * (1 - n[i]! / lam);
  }
  return { nll, dnll };
}

/** Unconditional MLE of μ on [0, ∞) (pyhf bounds the POI below by 0): the profile derivative's root. */
function muHatBounded(p: Prepared, n: ArrayLike<number>, a: ArrayLike<number>): number {
  if (profile(p, n, a, 0).dnll >= 0) return 0;
  let lo = 0,
    hi = 1;
  while (profile(p, n, a, hi).dnll < 0 && hi < 1e12) {
    lo = hi;
    hi *= 2;
  }
  for (let it = 0; it < 200 && hi - lo > 1e-13 * Math.max(1, hi); it++) {
    const mid = 0.5 * (lo + hi);
    if (profile(p, n, a, mid).dnll < 0) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** q̃μ: 0 when μ̂ > μ, else 2[ℓ(μ) − ℓ(μ̂)] with μ̂ bounded at 0. */
function qmuTilde(p: Prepared, n: ArrayLike<number>, a: ArrayLike<number>, mu: number): { q: number; muHat: number } {
  const muHat = muHatBounded(p, n, a);
  if (muHat > mu) return { q: 0, muHat };
  const q = 2 * (profile(p, n, a, mu).nll - profile(p, n, a, muHat).nll);
  return { q: Math.max(q, 0), muHat };
}

/** CLs at signal strength μ for observed counts (asymptotic, q̃μ). */
export function clsAsymptotic(model: BinnedLimitModel, observed: ArrayLike<number>, mu = 1): ClsResult {
  const p = prepare(model);
  if (observed.length !== p.k) throw new RangeError(`cls: observed has ${observed.length} bins, model ${p.k}`);
  const a = Float64Array.from(p.tau, (t) => (Number.isFinite(t) ? t : 0));
  const { q: qObs, muHat } = qmuTilde(p, observed, a, mu);
  // Asimov (background-only) data from the μ = 0 conditional fit to the observed data.
  const nA = new Float64Array(p.k),
    aA = new Float64Array(p.k);
  for (let i = 0; i < p.k; i++) {
    const g = gammaHat(observed[i]!, a[i]!, 0, p.b[i]!, p.tau[i]!);
    nA[i] = g * p.b[i]!;
    aA[i] = Number.isFinite(p.tau[i]!) ? g * p.tau[i]! : 0;
  }
  const qA = qmuTilde(p, nA, aA, mu).q;
  const sq = Math.sqrt(qObs),
    sqA = Math.sqrt(qA);
  // pyhf AsymptoticCalculator (q̃μ): test statistic in units of the b-only distribution.
  const t = sq < sqA ? sq - sqA : (qObs - qA) / (2 * sqA);
  const clsb = normalCdf(-(t + sqA));
  const clb = normalCdf(-t);
  const exp = [2, 1, 0, -1, -2].map((ns) => normalCdf(-(ns + sqA)) / normalCdf(-ns)) as ClsResult['clsExp'];
  return { mu, clsObs: clsb / clb, clsbObs: clsb, clbObs: clb, clsExp: exp, qmuObs: qObs, qmuAsimov: qA, muHat };
}

export interface UpperLimits {
  cl: number;
  observed: number;
  /** Expected upper limits at −2σ, −1σ, median, +1σ, +2σ. */
  expected: [number, number, number, number, number];
}

/** Upper limits on μ at confidence level `cl` (CLs = 1 − cl), observed and expected band, by bisection in μ. */
export function clsUpperLimits(model: BinnedLimitModel, observed: ArrayLike<number>, cl = 0.95): UpperLimits {
  const alpha = 1 - cl;
  const solve = (pick: (r: ClsResult) => number): number => {
    let lo = 0,
      hi = 1;
    while (pick(clsAsymptotic(model, observed, hi)) > alpha && hi < 1e9) {
      lo = hi;
      hi *= 2;
    }
    for (let it = 0; it < 60 && hi - lo > 1e-6 * hi; it++) {
      const mid = 0.5 * (lo + hi);
      if (pick(clsAsymptotic(model, observed, mid)) > alpha) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  };
  return {
    cl,
    observed: solve((r) => r.clsObs),
    expected: [0, 1, 2, 3, 4].map((j) => solve((r) => r.clsExp[j]!)) as UpperLimits['expected'],
  };
}
