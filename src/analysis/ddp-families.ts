/**
 * Background shapes of the DDP training set (seed 002 §4 and §5.2.1).
 *
 * 1. The smoothly falling function families of seed 002 eq. (32), each with its two free constants fixed so that
 *    the curve runs through (x1, y1) and (x2, y2): x1 < x2 the centres of the first and last bin (bin numbers
 *    1 … N, "the minimum and maximum mass values (or bin number)"), y1 > y2 the entries of those bins, drawn
 *    from the dynamic range (§4, "Background Generation"). The equation prints eleven forms for "ten functions"
 *    (1/(ax^n) + b generalises the four fixed powers); all eleven are implemented. Two are garbled in the
 *    thesis text ("a(x − x²)² + y²", "cosh(a(x − x²)) + b"); read with x², y² as the subscripted x₂, y₂ they
 *    are the parabola and the cosh with their minimum at the last bin, which is the only reading under which
 *    they "decay between the two points"; that is what is implemented.
 * 2. Cut and stretch (§5.2.1, Figs. 7–8): the curve is cut at a random intermediate x, one side is kept and
 *    stretched back over [x1, x2]. Seed 002 does not say which side; both are offered (the high side is the
 *    shallow tail, the low side the steep head), so the values stay inside [y2, y1].
 * 3. Shapes from fits of real spectra (§5.2.1 "Dark Machine" and "HEP data"): a dijet function fitted to a
 *    binned spectrum (ddp-shapes.ts holds the fitted parameters and their provenance) is evaluated over a mass
 *    window chosen so that it falls by the drawn ratio y1/y2, integrated over N equal bins and scaled so that the
 *    first bin holds y1.
 * Everything is pure: parameters in, a Float64Array of expected counts per bin out.
 */
import { fitBinned } from '../fit/binned-fit.js';
import { featureValue, fitFunction, paramsToBeta, type FitFunction } from '../fit/functions.js';
import { SidebandError } from '../events/errors.js';

export const FUNCTION_FAMILIES = [
  'exponential',
  'linear',
  'inverse1',
  'inverse2',
  'inverse3',
  'inverse4',
  'inverse-power',
  'parabola',
  'logarithm',
  'cosine',
  'cosh',
] as const;
export type FunctionFamily = (typeof FUNCTION_FAMILIES)[number];

/** The formula of each family as seed 002 eq. (32) writes it (a, b fixed by the end points). */
export const FAMILY_FORMULAS: Record<FunctionFamily, string> = {
  exponential: 'b exp(-a x)',
  linear: 'a x + b',
  inverse1: '1/(a x) + b',
  inverse2: '1/(a x^2) + b',
  inverse3: '1/(a x^3) + b',
  inverse4: '1/(a x^4) + b',
  'inverse-power': '1/(a x^n) + b',
  parabola: 'a (x - x2)^2 + y2',
  logarithm: '-a ln(x) + b',
  cosine: '(y1 - y2) cos(a (x - b)) + y2',
  cosh: 'cosh(a (x - x2)) + b',
};

/** One curve: a family, its end points and, for inverse-power, the exponent n. */
export interface FamilyCurve {
  family: FunctionFamily;
  x1: number;
  x2: number;
  y1: number;
  y2: number;
  /** Exponent of inverse-power (ignored by the other families). */
  power?: number;
}

/** Cut and stretch: keep the part below (`low`) or above (`high`) x1 + at·(x2 − x1), stretched over [x1, x2]. */
export interface CutStretch {
  /** Where the cut falls, as a fraction of [x1, x2], in (0, 1). */
  at: number;
  keep: 'low' | 'high';
}

/**
 * The curve as a function of x, its constants solved from the end points. Throws for end points that do not
 * describe a falling curve (x1 < x2, y1 > y2 > 0) or positive x where the family needs it.
 */
export function familyFunction(c: FamilyCurve): (x: number) => number {
  const { x1, x2, y1, y2 } = c;
  if (!(x2 > x1) || !(y1 > y2) || !(y2 > 0) || !Number.isFinite(y1)) {
    throw new SidebandError(
      `ddp family ${c.family}: end points must satisfy x1 < x2 and y1 > y2 > 0 ` +
        `(got (${x1}, ${y1}), (${x2}, ${y2}))`,
    );
  }
  const dy = y1 - y2,
    dx = x2 - x1;
  const inverse = (n: number) => {
    if (!(x1 > 0)) throw new SidebandError(`ddp family ${c.family}: needs x1 > 0 (got ${x1})`);
    // 1/(a x^n) + b through both points: (x1^−n − x2^−n)/a = y1 − y2.
    const u1 = x1 ** -n,
      u2 = x2 ** -n;
    const inva = dy / (u1 - u2);
    const b = y2 - inva * u2;
    return (x: number) => inva * x ** -n + b;
  };
  switch (c.family) {
    case 'exponential': {
      const a = Math.log(y1 / y2) / dx;
      return (x) => y1 * Math.exp(-a * (x - x1));
    }
    case 'linear': {
      const a = -dy / dx;
      return (x) => y1 + a * (x - x1);
    }
    case 'inverse1':
      return inverse(1);
    case 'inverse2':
      return inverse(2);
    case 'inverse3':
      return inverse(3);
    case 'inverse4':
      return inverse(4);
    case 'inverse-power': {
      const n = c.power ?? 2;
      if (!(n > 0) || !Number.isFinite(n)) {
        throw new SidebandError(`ddp family inverse-power: exponent must be > 0 (got ${n})`);
      }
      return inverse(n);
    }
    case 'parabola': {
      const a = dy / (dx * dx);
      return (x) => a * (x - x2) * (x - x2) + y2;
    }
    case 'logarithm': {
      if (!(x1 > 0)) throw new SidebandError(`ddp family logarithm: needs x1 > 0 (got ${x1})`);
      const a = dy / Math.log(x2 / x1);
      return (x) => y1 - a * Math.log(x / x1);
    }
    case 'cosine': {
      // A quarter period from the maximum at x1 down to y2 at x2.
      const a = Math.PI / (2 * dx);
      return (x) => dy * Math.cos(a * (x - x1)) + y2;
    }
    case 'cosh': {
      // Minimum 1 + b = y2 at x2; cosh(a (x1 − x2)) = y1 − y2 + 1.
      const a = Math.acosh(dy + 1) / dx;
      return (x) => Math.cosh(a * (x - x2)) + y2 - 1;
    }
  }
}

/**
 * Expected counts of the N bins (bin numbers x = 1 … N) for a family curve through (1, y1) and (N, y2),
 * optionally cut and stretched, written into `out` (length N ≥ 2).
 */
export function familyCounts(
  family: FunctionFamily,
  y1: number,
  y2: number,
  out: Float64Array,
  options: { power?: number; cut?: CutStretch } = {},
): void {
  const nb = out.length;
  if (nb < 2) throw new SidebandError(`ddp family ${family}: needs at least 2 bins (got ${nb})`);
  const x1 = 1,
    x2 = nb;
  const f = familyFunction({ family, x1, x2, y1, y2, power: options.power });
  const cut = options.cut;
  let from = x1,
    to = x2;
  if (cut) {
    if (!(cut.at > 0 && cut.at < 1)) {
      throw new SidebandError(`ddp cut-and-stretch: cut must lie strictly inside (0, 1) (got ${cut.at})`);
    }
    const xc = x1 + cut.at * (x2 - x1);
    if (cut.keep === 'low') to = xc;
    else from = xc;
  }
  const scale = (to - from) / (x2 - x1);
  for (let i = 0; i < nb; i++) out[i] = f(from + i * scale);
}

// ---- Shapes fitted to real spectra -------------------------------------------------------------------------

/** A dijet function fitted to a binned spectrum, with where it came from. */
export interface FittedShape {
  /** Stable id, e.g. 'atlas139/dijet4' or 'generator/mjlight>200/dijet4'. */
  id: string;
  /** Fit function name (functions.ts). */
  function: string;
  /** Published parameters p1 … pm (functions.ts). */
  params: readonly number[];
  /** Mass range the fit covered, GeV: the shape is only used inside it. */
  mjjRange: readonly [number, number];
  sqrtS: number;
  /** Fit quality, for the record. */
  chi2: number;
  ndf: number;
  /** What was fitted (file and selection, or generator seed and cuts). */
  source: string;
}

/** A fitted shape compiled for evaluation: ln f(m) = Σ β_j φ_j(m/√s). */
export interface CompiledShape {
  shape: FittedShape;
  fn: FitFunction;
  beta: Float64Array;
}

export function compileShape(shape: FittedShape): CompiledShape {
  const fn = fitFunction(shape.function);
  if (shape.params.length !== fn.nParams) {
    throw new SidebandError(
      `ddp shape ${shape.id}: ${fn.name} has ${fn.nParams} parameters, got ${shape.params.length}`,
    );
  }
  const [lo, hi] = shape.mjjRange;
  if (!(lo > 0 && hi > lo && hi < shape.sqrtS)) {
    throw new SidebandError(`ddp shape ${shape.id}: mass range [${lo}, ${hi}] GeV is not inside (0, √s)`);
  }
  return { shape, fn, beta: paramsToBeta(fn, shape.params) };
}

/** ln of the shape's density (per unit x) at mass m, GeV. */
export function shapeLogDensity(c: CompiledShape, m: number): number {
  const x = m / c.shape.sqrtS;
  let g = 0;
  for (let j = 0; j < c.fn.nParams; j++) g += c.beta[j]! * featureValue(c.fn.features[j]!, x);
  return g;
}

// 3-point Gauss–Legendre on [−1, 1]: exact for quintics, far below Poisson precision on a smooth bin.
const GL3_T = [-0.7745966692414834, 0, 0.7745966692414834];
const GL3_W = [5 / 9, 8 / 9, 5 / 9];

/**
 * Mass window [m_a, m_b] in which the shape falls by `ratio` from the density at m_a: m_a = lo + start·(span
 * available), m_b found by bisection, capped at the fit range (then the window falls by less than `ratio`).
 */
export function shapeWindow(c: CompiledShape, ratio: number, start: number): [number, number] {
  const [lo, hi] = c.shape.mjjRange;
  const lnRatio = Math.log(ratio);
  // Window start: anywhere that still leaves room for the full fall when the shape allows it.
  const la = shapeLogDensity(c, lo);
  let lastStart = lo;
  if (la - shapeLogDensity(c, hi) > lnRatio) {
    let a = lo,
      b = hi;
    for (let k = 0; k < 60; k++) {
      const m = 0.5 * (a + b);
      if (shapeLogDensity(c, m) - shapeLogDensity(c, hi) > lnRatio) a = m;
      else b = m;
    }
    lastStart = a;
  }
  const ma = lo + start * (lastStart - lo);
  const ga = shapeLogDensity(c, ma);
  if (ga - shapeLogDensity(c, hi) <= lnRatio) return [ma, hi];
  let a = ma,
    b = hi;
  for (let k = 0; k < 60; k++) {
    const m = 0.5 * (a + b);
    if (ga - shapeLogDensity(c, m) < lnRatio) a = m;
    else b = m;
  }
  return [ma, 0.5 * (a + b)];
}

/**
 * Expected counts of N equal bins over [mLo, mHi] GeV from the shape, scaled so that the first bin holds y1
 * (the shapes fall, so that is the maximum), written into `out`.
 */
export function shapeCounts(c: CompiledShape, mLo: number, mHi: number, y1: number, out: Float64Array): void {
  const nb = out.length;
  const w = (mHi - mLo) / nb;
  if (!(w > 0)) throw new SidebandError(`ddp shape ${c.shape.id}: empty mass window [${mLo}, ${mHi}]`);
  // Scale in logs relative to the window start so that steep shapes do not overflow before normalising.
  const g0 = shapeLogDensity(c, mLo);
  for (let i = 0; i < nb; i++) {
    const mid = mLo + (i + 0.5) * w;
    let s = 0;
    for (let q = 0; q < 3; q++) s += GL3_W[q]! * Math.exp(shapeLogDensity(c, mid + 0.5 * w * GL3_T[q]!) - g0);
    out[i] = s;
  }
  const k = y1 / out[0]!;
  for (let i = 0; i < nb; i++) out[i] = out[i]! * k;
}

/**
 * Fit a dijet function to the bins of a spectrum whose centres lie in `range` (GeV) with the project's binned
 * Poisson fit, and return the shape (or null when the fit does not converge). Used by bench/ddp-shapes.ts to
 * derive the committed shapes (ddp-shapes.ts) and by the tests that check them.
 */
export function fitShape(
  id: string,
  source: string,
  spectrum: { lo: Float64Array; hi: Float64Array; counts: Float64Array },
  functionName: string,
  range: [number, number],
  sqrtS = 13000,
): FittedShape | null {
  const use = new Uint8Array(spectrum.counts.length);
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < use.length; i++) {
    const c = 0.5 * (spectrum.lo[i]! + spectrum.hi[i]!);
    if (c < range[0] || c > range[1]) continue;
    use[i] = 1;
    lo = Math.min(lo, spectrum.lo[i]!);
    hi = Math.max(hi, spectrum.hi[i]!);
  }
  const fit = fitBinned(fitFunction(functionName), spectrum, { use, sqrtS, gof: 'pearson' });
  if (!fit.converged) return null;
  return {
    id,
    function: functionName,
    params: Array.from(fit.params),
    mjjRange: [lo, hi],
    sqrtS,
    chi2: fit.chi2,
    ndf: fit.ndf,
    source,
  };
}
