/**
 * Targets of the DDP neural bump hunter (seed 002): the per-bin profile-likelihood significance z_PL of a
 * Gaussian signal hypothesis centred on each bin, for each signal width, and its maximum over the widths (the
 * mixed-width target of the DMFmw network, seed 002 §5.2.2).
 *
 * Definition (seed 002 §2.4, eqs. 25–28, after Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554): in a
 * histogram of observed counts n_j over a known smooth background b_j (the curve the histogram was generated
 * from), the hypothesis "signal of width w at bin i" expects E(n_j) = μ s_j + b_j with
 *   s_j = Φ((j + 1 − c)/w) − Φ((j − c)/w),   c = i + ½,
 * the fraction of a unit Gaussian of standard deviation w bins, centred on the centre of bin i, that falls in bin
 * j (bin-index coordinates: bin j spans [j, j + 1)); the template is truncated at the histogram's edges and not
 * renormalised. μ (signal events) is the only free parameter, so the profile likelihood is its maximum:
 *   ℓ(μ) = Σ_j [n_j ln(μ s_j + b_j) − μ s_j],   μ̂ = argmax ℓ,
 *   q0 = 2 [ℓ(μ̂) − ℓ(0)] = 2 Σ_j [n_j ln(1 + μ̂ s_j / b_j) − μ̂ s_j],
 *   z_PL = √q0 for μ̂ > 0 and 0 otherwise (the test for positive signals, seed 002 §1 and [4]).
 * The signed variant sign(μ̂) √q0 (μ̂ free to go negative down to −min b_j/s_j) is offered for null-hypothesis
 * checks; under the null it is close to a standard normal, and the one-sided z_PL to ½ δ(0) + ½ half-normal.
 * With a one-bin template the formula is the counting-experiment Z = √(2 (n ln(n/b) − n + b)) (discovery.ts).
 *
 * μ̂ solves the score equation g(μ) = Σ s_j n_j / (μ s_j + b_j) − Σ s_j = 0; g is decreasing and convex in μ
 * (ℓ is concave), so a Newton iteration kept inside a bracket [a, b] with g(a) > 0 > g(b) converges in a few
 * steps. The template is cut at ±⌈5w⌉ bins (the Gaussian mass beyond is below 6·10⁻⁷ of the signal; against the
 * untruncated SciPy reference the cut moves z_PL by less than 3·10⁻⁵, test/analysis/ddp-targets.test.ts).
 *
 * Hot path: ~100 bins × 4 widths × a few Newton steps × 2·5w template bins per histogram; plain loops over
 * typed arrays, no allocation per bin.
 */
import { normalCdf } from '../stats/special.js';
import { SidebandError } from '../events/errors.js';

/** Signal widths (Gaussian σ in bins) of seed 002 §5.2.2. */
export const DEFAULT_WIDTHS: readonly number[] = [1, 2, 3, 4];

/** A Gaussian signal template in bin-index coordinates: weights[k] is the fraction in bin (centre + k − half). */
export interface SignalTemplate {
  /** Gaussian standard deviation in bins. */
  width: number;
  /** Template half-length in bins (weights has 2·half + 1 entries). */
  half: number;
  weights: Float64Array;
}

/** Template of a Gaussian of σ = `width` bins centred on a bin centre, cut at ±⌈5σ⌉ bins (or `half`). */
export function gaussianTemplate(width: number, half = Math.ceil(5 * width)): SignalTemplate {
  if (!(width > 0) || !Number.isFinite(width)) {
    throw new SidebandError(`ddp template: width must be > 0 bins (got ${width})`);
  }
  if (!(Number.isInteger(half) && half >= 0)) {
    throw new SidebandError(`ddp template: half-length must be an integer ≥ 0 (got ${half})`);
  }
  const weights = new Float64Array(2 * half + 1);
  for (let k = -half; k <= half; k++) {
    // Φ differences computed from the nearer tail so the far bins keep their relative precision.
    const a = (k - 0.5) / width,
      b = (k + 0.5) / width;
    weights[k + half] = a >= 0 ? normalCdf(-a) - normalCdf(-b) : normalCdf(b) - normalCdf(a);
  }
  return { width, half, weights };
}

/** Result of one bin's profile fit. */
export interface BinProfile {
  /** Signed significance sign(μ̂)·√q0 (one-sided mode: max(0, ·)). */
  z: number;
  /** Best-fit signal events μ̂ (one-sided mode: ≥ 0). */
  muHat: number;
}

const MAX_ITERATIONS = 60;

/**
 * Profile fit of the hypothesis "template at bin i" (see the header). `signed` false gives the one-sided z_PL
 * target (0 when μ̂ ≤ 0). counts and background are the whole histogram; background must be > 0 in every bin.
 */
export function profileBin(
  counts: ArrayLike<number>,
  background: ArrayLike<number>,
  tpl: SignalTemplate,
  i: number,
  signed = false,
): BinProfile {
  const z = profileZ(counts, background, tpl.weights, tpl.half, i, signed);
  return { z, muHat: lastMuHat };
}

/** μ̂ of the last profileZ call (a module slot, so the hot scan allocates nothing per bin). */
let lastMuHat = 0;

// Hot: the inner fit of every bin, width and histogram.
function profileZ(
  counts: ArrayLike<number>,
  background: ArrayLike<number>,
  w: Float64Array,
  half: number,
  i: number,
  signed: boolean,
): number {
  const nb = counts.length;
  const lo = Math.max(0, i - half),
    hi = Math.min(nb - 1, i + half);
  const off = half - i;
  // Score at μ = 0, total template mass, and the Gaussian-limit estimate Σ s (n − b)/b / Σ s²/b as a start.
  let g0 = 0,
    sumS = 0,
    fisher0 = 0;
  for (let j = lo; j <= hi; j++) {
    const s = w[j + off]!,
      b = background[j]!;
    g0 += (s * counts[j]!) / b;
    sumS += s;
    fisher0 += (s * s) / b;
  }
  g0 -= sumS;
  lastMuHat = 0;
  if (g0 === 0 || (!signed && g0 < 0)) return 0;

  // Bracket [a, c] with g(a) > 0 > g(c).
  let a: number, c: number, mu: number;
  if (g0 > 0) {
    a = 0;
    c = Infinity;
    mu = fisher0 > 0 ? g0 / fisher0 : 0;
  } else {
    // μ s_j + b_j > 0 for every bin of the template: μ > −min b_j / s_j.
    let bound = -Infinity;
    for (let j = lo; j <= hi; j++) {
      const s = w[j + off]!;
      if (s > 0) bound = Math.max(bound, -background[j]! / s);
    }
    a = bound;
    c = 0;
    mu = fisher0 > 0 ? Math.max(g0 / fisher0, 0.5 * bound) : 0.5 * bound;
  }
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    let g = -sumS,
      dg = 0;
    for (let j = lo; j <= hi; j++) {
      const s = w[j + off]!;
      const e = mu * s + background[j]!;
      const r = (s * counts[j]!) / e;
      g += r;
      dg -= (r * s) / e;
    }
    if (g > 0) a = mu;
    else if (g < 0) c = mu;
    else break;
    let next = dg < 0 ? mu - g / dg : NaN;
    // Keep the step inside the bracket; bisect (or grow towards an open end) when Newton leaves it.
    if (!(next > a && next < c)) next = Number.isFinite(c) ? 0.5 * (a + c) : mu > 0 ? 2 * mu : 1;
    const step = Math.abs(next - mu);
    mu = next;
    // Newton converges quadratically: once the step is 1e-9 of μ, z is exact to far below 1e-9.
    if (step <= 1e-9 * Math.max(1, Math.abs(mu))) break;
  }
  let q = 0;
  for (let j = lo; j <= hi; j++) {
    const s = w[j + off]!,
      n = counts[j]!;
    const ms = mu * s;
    q += (n > 0 ? n * Math.log1p(ms / background[j]!) : 0) - ms;
  }
  lastMuHat = mu;
  const z = Math.sqrt(Math.max(0, 2 * q));
  return mu > 0 ? z : -z;
}

/**
 * z_PL of every bin for one width, written into `out` (length = bins). One-sided unless `signed`.
 * Hot: called for every histogram and width of a training set.
 */
export function zPlScanInto(
  counts: ArrayLike<number>,
  background: ArrayLike<number>,
  tpl: SignalTemplate,
  out: Float32Array | Float64Array,
  signed = false,
): void {
  const nb = counts.length;
  const w = tpl.weights,
    half = tpl.half;
  for (let i = 0; i < nb; i++) out[i] = profileZ(counts, background, w, half, i, signed);
}

/** Per-width z_PL and the mixed-width (DMFmw) target max over widths, per bin. */
export interface ZplTargets {
  widths: number[];
  /** zByWidth[k][i]: z_PL of bin i for widths[k]. */
  zByWidth: Float64Array[];
  /** max over widths, per bin (seed 002 §5.2.2). */
  zMixed: Float64Array;
}

/** Checks counts and background of a histogram before a scan; names the bin that is wrong. */
export function checkHistogram(counts: ArrayLike<number>, background: ArrayLike<number>, what = 'ddp z_PL'): void {
  if (counts.length !== background.length) {
    throw new SidebandError(
      `${what}: counts (${counts.length}) and background (${background.length}) differ in length`,
    );
  }
  for (let j = 0; j < counts.length; j++) {
    if (!(background[j]! > 0) || !Number.isFinite(background[j]!)) {
      throw new SidebandError(`${what}: bin ${j}: background must be finite and > 0 (got ${background[j]})`);
    }
    if (!(counts[j]! >= 0) || !Number.isFinite(counts[j]!)) {
      throw new SidebandError(`${what}: bin ${j}: count must be finite and ≥ 0 (got ${counts[j]})`);
    }
  }
}

/** z_PL per width and the mixed-width target of one histogram. */
export function zPlTargets(
  counts: ArrayLike<number>,
  background: ArrayLike<number>,
  widths: readonly number[] = DEFAULT_WIDTHS,
  options: { signed?: boolean } = {},
): ZplTargets {
  checkHistogram(counts, background);
  const nb = counts.length;
  const zByWidth = widths.map((w) => {
    const out = new Float64Array(nb);
    zPlScanInto(counts, background, gaussianTemplate(w), out, options.signed ?? false);
    return out;
  });
  return { widths: [...widths], zByWidth, zMixed: mixedWidth(zByWidth, nb) };
}

/** Bin-wise maximum over widths (the DMFmw target). */
export function mixedWidth(zByWidth: ArrayLike<number>[], nb: number): Float64Array {
  const out = new Float64Array(nb).fill(-Infinity);
  for (const z of zByWidth) for (let i = 0; i < nb; i++) if (z[i]! > out[i]!) out[i] = z[i]!;
  return out;
}

/**
 * Asimov discovery significance of a signal of `events` with the template at bin i over a known background
 * (Cowan et al. 2011 eq. 97 summed over bins): Z_A² = 2 Σ_j [(A s_j + b_j) ln(1 + A s_j/b_j) − A s_j].
 * It is the z_PL of the Asimov histogram n = b + A s, i.e. the median z_PL of that signal.
 */
export function asimovZ(background: ArrayLike<number>, tpl: SignalTemplate, i: number, events: number): number {
  const nb = background.length;
  const lo = Math.max(0, i - tpl.half),
    hi = Math.min(nb - 1, i + tpl.half),
    off = tpl.half - i;
  let q = 0;
  for (let j = lo; j <= hi; j++) {
    const s = events * tpl.weights[j + off]!,
      b = background[j]!;
    q += (s + b) * Math.log1p(s / b) - s;
  }
  return Math.sqrt(Math.max(0, 2 * q));
}

/**
 * Signal events A whose Asimov significance (asimovZ) is z: the injected-signal size of the training set, so an
 * injected "zσ" signal is one whose median z_PL is z. q(A) = Z_A² is increasing and convex in A with
 * q(A) ≤ A² Σ s²/b (the Gaussian limit), so Newton on q − z² started at the Gaussian-limit A (at or left of the
 * root) lands right of the root after one step and then descends to it monotonically.
 */
export function signalEventsForZ(background: ArrayLike<number>, tpl: SignalTemplate, i: number, z: number): number {
  if (!(z > 0)) return 0;
  const nb = background.length;
  const lo = Math.max(0, i - tpl.half),
    hi = Math.min(nb - 1, i + tpl.half),
    off = tpl.half - i;
  let fisher = 0;
  for (let j = lo; j <= hi; j++) {
    const s = tpl.weights[j + off]!;
    fisher += (s * s) / background[j]!;
  }
  if (!(fisher > 0)) throw new SidebandError(`ddp signal: template at bin ${i} has no weight inside the histogram`);
  const target = z * z;
  let A = z / Math.sqrt(fisher);
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    let q = 0,
      dq = 0;
    for (let j = lo; j <= hi; j++) {
      const s = tpl.weights[j + off]!,
        b = background[j]!;
      const l = Math.log1p((A * s) / b);
      q += (A * s + b) * l - A * s;
      dq += s * l;
    }
    q *= 2;
    dq *= 2;
    const next = dq > 0 ? A - (q - target) / dq : 2 * A;
    const step = Math.abs(next - A);
    A = next > 0 ? next : 0.5 * A;
    if (step <= 1e-12 * Math.max(1, A)) break;
  }
  return A;
}
