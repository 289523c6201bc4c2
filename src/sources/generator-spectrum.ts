/**
 * The QCD dijet invariant-mass spectrum the generator samples: the standard dijet function of the ATLAS and CMS
 * searches, f(x) = exp(c0 + c1 ln(1-x) + c2 ln x + c3 ln^2 x), x = mjj / sqrt(s). In logarithmic form it is
 * linear in its coefficients, so a weighted linear least-squares fit of ln(density) to ATLAS's own per-bin fit
 * of the 139 fb^-1 spectrum is exact and needs no minimizer (the bin-averaging correction is iterated).
 */
import type { Xoshiro128 } from './generator-random.js';
import { SidebandError } from '../events/errors.js';

/** Coefficients (c0, c1, c2, c3) of ln f as above; f is a density per GeV up to a normalisation. */
export type DijetCoefficients = readonly number[];

export function dijetLogDensity(coef: DijetCoefficients, mjj: number, sqrtS: number): number {
  const x = mjj / sqrtS;
  const lx = Math.log(x);
  let v = coef[0]! + coef[1]! * Math.log1p(-x);
  let p = lx;
  for (let k = 2; k < coef.length; k++) {
    v += coef[k]! * p;
    p *= lx;
  }
  return v;
}

export interface SpectrumBin {
  low: number;
  high: number;
  count: number;
  error: number;
}

/** Integral of exp(logDensity) over [a, b] by Simpson's rule (the density is smooth on a 30-100 GeV bin). */
export function dijetBinIntegral(coef: DijetCoefficients, a: number, b: number, sqrtS: number, steps = 16): number {
  const h = (b - a) / steps;
  let s = 0;
  for (let i = 0; i <= steps; i++) {
    const w = i === 0 || i === steps ? 1 : i % 2 ? 4 : 2;
    s += w * Math.exp(dijetLogDensity(coef, a + i * h, sqrtS));
  }
  return (s * h) / 3;
}

/** Solve the small symmetric system A c = r by Gaussian elimination with partial pivoting. */
function solve(A: number[][], r: number[]): number[] {
  const n = r.length;
  const M = A.map((row, i) => [...row, r[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(M[i]![c]!) > Math.abs(M[p]![c]!)) p = i;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let i = c + 1; i < n; i++) {
      const f = M[i]![c]! / M[c]![c]!;
      for (let j = c; j <= n; j++) M[i]![j]! -= f * M[c]![j]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = M[i]![n]!;
    for (let j = i + 1; j < n; j++) s -= M[i]![j]! * x[j]!;
    x[i] = s / M[i]![i]!;
  }
  return x;
}

/**
 * Fit the dijet function (nPar = 4 or 5 coefficients) to binned counts: weighted linear least squares of
 * ln(count / width) against (1, ln(1-x), ln x, ln^2 x[, ln^3 x]) with weights (count/error)^2, then iterate the
 * correction from bin-centre density to bin average so the fitted function integrates to the counts.
 */
export function fitDijetSpectrum(
  bins: SpectrumBin[],
  sqrtS: number,
  nPar = 4,
): { coef: number[]; chi2: number; ndf: number } {
  const basis = (m: number): number[] => {
    const x = m / sqrtS;
    const lx = Math.log(x);
    const out = [1, Math.log1p(-x)];
    let p = lx;
    for (let k = 2; k < nPar; k++) {
      out.push(p);
      p *= lx;
    }
    return out;
  };
  const correction = bins.map(() => 0);
  let coef: number[] = [];
  for (let iter = 0; iter < 6; iter++) {
    const A = Array.from({ length: nPar }, () => new Array<number>(nPar).fill(0));
    const r = new Array<number>(nPar).fill(0);
    bins.forEach((b, i) => {
      const centre = 0.5 * (b.low + b.high);
      const y = Math.log(b.count / (b.high - b.low)) - correction[i]!;
      const w = (b.count / b.error) ** 2;
      const f = basis(centre);
      for (let j = 0; j < nPar; j++) {
        r[j]! += w * f[j]! * y;
        for (let k = 0; k < nPar; k++) A[j]![k]! += w * f[j]! * f[k]!;
      }
    });
    coef = solve(A, r);
    bins.forEach((b, i) => {
      const centre = 0.5 * (b.low + b.high);
      const avg = dijetBinIntegral(coef, b.low, b.high, sqrtS) / (b.high - b.low);
      correction[i] = Math.log(avg) - dijetLogDensity(coef, centre, sqrtS);
    });
  }
  let chi2 = 0;
  for (const b of bins) chi2 += ((dijetBinIntegral(coef, b.low, b.high, sqrtS) - b.count) / b.error) ** 2;
  return { coef, chi2, ndf: bins.length - nPar };
}

/**
 * Sampler of mjj between [min, max] GeV from the dijet density: an alias table (Walker/Vose) over 1 GeV cells,
 * O(1) per event, with a linear density inside the cell (exact inverse of the trapezoid) so the steep fall of
 * the spectrum is followed inside each cell as well.
 */
export class DijetMassSampler {
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;
  /** Density slope inside each cell: ratio (f(right) - f(left)) / (f(right) + f(left)). */
  private readonly slope: Float64Array;
  private readonly cells: number;
  private readonly width: number;

  constructor(
    coef: DijetCoefficients,
    readonly min: number,
    readonly max: number,
    sqrtS: number,
  ) {
    if (!(min > 0 && max > min && max < sqrtS))
      throw new SidebandError(`generator: mjj range [${min}, ${max}] GeV is invalid for sqrt(s) = ${sqrtS} GeV`);
    const cells = Math.max(1, Math.ceil(max - min));
    this.cells = cells;
    this.width = (max - min) / cells;
    const weight = new Float64Array(cells);
    this.slope = new Float64Array(cells);
    let prevF = Math.exp(dijetLogDensity(coef, min, sqrtS));
    let total = 0;
    for (let i = 0; i < cells; i++) {
      const f = Math.exp(dijetLogDensity(coef, min + (i + 1) * this.width, sqrtS));
      weight[i] = 0.5 * (prevF + f);
      this.slope[i] = (f - prevF) / (f + prevF);
      total += weight[i]!;
      prevF = f;
    }
    // Vose's alias method.
    this.prob = new Float64Array(cells);
    this.alias = new Int32Array(cells);
    const scaled = new Float64Array(cells);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < cells; i++) {
      scaled[i] = (weight[i]! * cells) / total;
      (scaled[i]! < 1 ? small : large).push(i);
    }
    while (small.length && large.length) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.prob[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of large) {
      this.prob[i] = 1;
      this.alias[i] = i;
    }
    for (const i of small) {
      this.prob[i] = 1;
      this.alias[i] = i;
    }
  }

  /** One mjj value in GeV. Hot: two uniforms, no allocation. */
  sample(rng: Xoshiro128): number {
    const x = rng.uniform() * this.cells;
    let i = x | 0;
    if (x - i >= this.prob[i]!) i = this.alias[i]!;
    // Inverse CDF of the density 1 + a (2t - 1) on t in [0, 1].
    const a = this.slope[i]!;
    const u = rng.uniform();
    let t: number;
    if (Math.abs(a) < 1e-9) t = u;
    else t = (a - 1 + Math.sqrt((1 - a) * (1 - a) + 4 * a * u)) / (2 * a);
    return this.min + (i + t) * this.width;
  }
}
