/**
 * The double-crystal-ball density: a Gaussian core with a power-law tail on each side (seed 003's signal shape
 * for the selected mjj spectrum: the low tail from final-state radiation and jet energy lost out of the cone,
 * the high tail from the resonance's width and resolution outliers). In t = (x − μ)/σ:
 *
 *   f(t) ∝ exp(−t²/2)                    −αL ≤ t ≤ αR
 *          AL (BL − t)^−nL               t < −αL,   AL = (nL/αL)^nL e^{−αL²/2},  BL = nL/αL − αL
 *          AR (BR + t)^−nR               t > αR,    AR, BR the same with αR, nR
 *
 * continuous with a continuous first derivative at both joins. Normalised to 1 over the real line (needs n > 1
 * on both sides); the CDF is closed-form, so bin contents are differences of the CDF, exact at any bin width.
 * With αR → ∞ it is scipy.stats.crystalball(β = αL, m = nL, loc = μ, scale = σ).
 */
import { normalCdf } from './special.js';

export interface DoubleCrystalBall {
  /** Peak position and core width (same unit as x, σ > 0). */
  mu: number;
  sigma: number;
  /** Where the low tail starts, in core widths (> 0), and its power (> 1). */
  alphaLow: number;
  nLow: number;
  /** Where the high tail starts (> 0) and its power (> 1). */
  alphaHigh: number;
  nHigh: number;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

function check(s: DoubleCrystalBall): void {
  if (!(s.sigma > 0)) throw new RangeError(`double crystal ball: sigma must be > 0, got ${s.sigma}`);
  for (const [name, a, n] of [
    ['low', s.alphaLow, s.nLow],
    ['high', s.alphaHigh, s.nHigh],
  ] as const) {
    if (!(a > 0))
      throw new RangeError(`double crystal ball: alpha${name === 'low' ? 'Low' : 'High'} must be > 0, got ${a}`);
    if (!(n > 1))
      throw new RangeError(`double crystal ball: n${name === 'low' ? 'Low' : 'High'} must be > 1, got ${n}`);
  }
}

/** Integral of the power-law tail beyond α (in t, unnormalised): (n/α) e^{−α²/2} / (n − 1). */
const tailArea = (alpha: number, n: number) => ((n / alpha) * Math.exp(-0.5 * alpha * alpha)) / (n - 1);

/** Unnormalised tail mass beyond |t| ≥ u on a side with (α, n), u ≥ α: A (B + u)^{1−n} / (n − 1). */
function tailBeyond(u: number, alpha: number, n: number): number {
  const b = n / alpha - alpha;
  // A (B + u)^{1−n} = e^{−α²/2} (n/α)^n (B + u)^{1−n}, written as a ratio to stay finite for large n.
  return (Math.exp(-0.5 * alpha * alpha) * (n / alpha) * (n / alpha / (b + u)) ** (n - 1)) / (n - 1);
}

/** The normalisation in t: core Gaussian between the joins plus both tails. */
function areaT(s: DoubleCrystalBall): number {
  const core = SQRT_2PI * (normalCdf(s.alphaHigh) - normalCdf(-s.alphaLow));
  return core + tailArea(s.alphaLow, s.nLow) + tailArea(s.alphaHigh, s.nHigh);
}

/** Density at x (integrates to 1 over x). */
export function dcbPdf(x: number, s: DoubleCrystalBall): number {
  check(s);
  const t = (x - s.mu) / s.sigma;
  let f: number;
  if (t < -s.alphaLow) {
    const a = s.alphaLow,
      n = s.nLow;
    f = Math.exp(-0.5 * a * a) * (n / a / (n / a - a - t)) ** n;
  } else if (t > s.alphaHigh) {
    const a = s.alphaHigh,
      n = s.nHigh;
    f = Math.exp(-0.5 * a * a) * (n / a / (n / a - a + t)) ** n;
  } else f = Math.exp(-0.5 * t * t);
  return f / (areaT(s) * s.sigma);
}

/** P(X ≤ x), closed form. */
export function dcbCdf(x: number, s: DoubleCrystalBall): number {
  check(s);
  const t = (x - s.mu) / s.sigma;
  const area = areaT(s);
  if (t === -Infinity) return 0;
  if (t === Infinity) return 1;
  if (t < -s.alphaLow) return tailBeyond(-t, s.alphaLow, s.nLow) / area;
  if (t <= s.alphaHigh)
    return (tailArea(s.alphaLow, s.nLow) + SQRT_2PI * (normalCdf(t) - normalCdf(-s.alphaLow))) / area;
  return 1 - tailBeyond(t, s.alphaHigh, s.nHigh) / area;
}

/** Probability of each bin [edges[i], edges[i+1]) (CDF differences; the sum is the mass inside the edges). */
export function dcbBinProbabilities(edges: ArrayLike<number>, s: DoubleCrystalBall): Float64Array {
  const out = new Float64Array(Math.max(0, edges.length - 1));
  let prev = dcbCdf(edges[0]!, s);
  for (let i = 0; i < out.length; i++) {
    const next = dcbCdf(edges[i + 1]!, s);
    out[i] = Math.max(0, next - prev);
    prev = next;
  }
  return out;
}

/**
 * The shape of a resonance's selected mjj peak, moment-matched to labelled signal events (CMS takes its shape
 * from signal simulation the same way): μ and σ from the median and the half 16–84 % interquantile range, the tail
 * starts at α = 1.96² / d, d the 2.5 % (97.5 %) quantile's distance from the median in σ (a Gaussian side has
 * d = 1.96 and gets α = 1.96; a side with a longer tail reaches further and gets a smaller α), clamped to [0.5, 3],
 * and fixed powers n = 2 (a fit of n from a few hundred events is unstable).
 */
export function dcbFromSample(mjj: ArrayLike<number>): DoubleCrystalBall {
  const v = Float64Array.from(mjj).sort();
  if (v.length < 10) throw new RangeError(`double crystal ball from a sample: needs ≥ 10 events, got ${v.length}`);
  const q = (p: number) => {
    const h = p * (v.length - 1),
      lo = Math.floor(h);
    return v[lo]! + (h - lo) * ((v[Math.min(lo + 1, v.length - 1)] ?? v[lo]!) - v[lo]!);
  };
  const mu = q(0.5);
  const sigma = Math.max(1e-9, 0.5 * (q(0.84) - q(0.16)));
  const clamp = (a: number) => Math.min(3, Math.max(0.5, a));
  return {
    mu,
    sigma,
    alphaLow: clamp((1.96 * 1.96 * sigma) / Math.max(1e-9, mu - q(0.025))),
    nLow: 2,
    alphaHigh: clamp((1.96 * 1.96 * sigma) / Math.max(1e-9, q(0.975) - mu)),
    nHigh: 2,
  };
}
