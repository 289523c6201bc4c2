/**
 * Fit one dijet function to a binned mjj spectrum: binned Poisson likelihood (default) or χ², predictions
 * integrated over each bin (5-point Gauss–Legendre per bin, far below the statistical precision of any bin),
 * covariance from the inverse Hessian, several starts with the normalisation matched to the data.
 *
 * Parametrisation: the functions are log-linear, ln f = Φ β (functions.ts). The feature columns (1, ln x,
 * ln²x …) are nearly collinear over a narrow x range, so the minimizer works on η = R β where Φ_centres = Q R
 * (Gram–Schmidt over the fitted bin centres): in η the Hessian is close to diagonal and Newton converges in a few
 * steps with no tuning. Results are carried back to β and to the published parameters exactly (linear maps).
 *
 * Counts are taken as Poisson, an ensemble's bin-wise median included (classify/ensemble.ts says why).
 *
 * Goodness of fit: Pearson's χ² over the fitted bins as ATLAS quotes it, the Poisson deviance, and Pearson's χ²
 * over merged groups expecting ≥ 5 events (gof.ts), the only one of the three with a χ²(ndf) distribution in
 * sparse sidebands; `chi2`/`pvalue` are the merged statistic unless `gof` asks for another. A sideband too sparse
 * for the merged test (no more groups than parameters) is tested instead by the deviance with its distribution
 * from toys (gof.ts: `toyDevianceTest`), so the "refit until p > 0.05" strategy can still judge it.
 */
import { betaToParams, featureValue, paramsJacobian, paramsToBeta, type FitFunction } from './functions.js';
import { cholesky, choleskySolve, congruence, invertUpper, quadForm } from './linalg.js';
import { covarianceFromHessian, minimizeNewton, type NewtonResult } from './minimize.js';
import { chi2Sf, xlogy } from '../stats/special.js';
import { mergedPearson, toyDevianceTest } from './gof.js';

export type FitObjective = 'poisson' | 'chi2';
/**
 * Goodness-of-fit statistic behind `chi2`/`pvalue`: Pearson's χ² over merged groups expecting ≥ 5 events
 * (`merged`, the default and the one that is χ²-distributed in sparse sidebands), Pearson's Σ (n − μ)²/(f·μ)
 * over every fitted bin (`pearson`, what ATLAS quotes for a dense spectrum), or the Poisson likelihood-ratio
 * (Baker–Cousins) deviance with its χ²(ndf) p-value, or the same deviance with its p-value from pseudo-experiments
 * drawn from the fit and refitted (`toys`, valid however sparse the bins). `auto` is `merged` where the merged
 * groups outnumber the parameters and `toys` otherwise.
 */
export type GoodnessOfFit = 'auto' | 'merged' | 'pearson' | 'deviance' | 'toys';

/** The statistic a fit's `chi2`/`pvalue` report. */
export type FitGof = Exclude<GoodnessOfFit, 'auto'>;

export interface BinnedSpectrum {
  /** Bin lower edges, GeV. */
  lo: Float64Array;
  /** Bin upper edges, GeV. */
  hi: Float64Array;
  /** Observed counts (may be non-integer, e.g. an ensemble median). */
  counts: Float64Array;
}

export interface BinnedFitOptions {
  /** Which bins enter the fit (1 = fitted). Default: all bins. Masked bins are still predicted. */
  use?: Uint8Array;
  /** √s in GeV (x = mjj/√s). Default 13000. */
  sqrtS?: number;
  objective?: FitObjective;
  /**
   * Starting points tried (1–3), in order: least-squares on ln n, the same with the normalisation matched to the
   * data, a generic dijet shape matched to the data. Default 3; stops early once two starts agree on the minimum.
   */
  starts?: number;
  /** Optional explicit start in published parameters (tried first). */
  init?: ArrayLike<number>;
  maxIterations?: number;
  gof?: GoodnessOfFit;
  /** Pseudo-experiments behind the `toys` p-value (default 200). */
  toys?: number;
}

export interface BinnedFit {
  fn: FitFunction;
  /** Published parameters p1…pm. */
  params: Float64Array;
  /** Their covariance (m×m, row-major). */
  covariance: Float64Array;
  /** Background prediction per bin (all bins, fitted or masked), events. */
  prediction: Float64Array;
  /** Fit (parameter) uncertainty of each bin's prediction. */
  fitErr: Float64Array;
  /** Goodness of fit over the fitted bins (the statistic named by `gof`) and its p-value (χ² for `ndf`, or toys). */
  chi2: number;
  ndf: number;
  pvalue: number;
  gof: FitGof;
  /** Every statistic, whichever was chosen: Pearson Σ (n − μ)²/μ, the Poisson deviance, and Pearson merged. */
  pearsonChi2: number;
  deviance: number;
  merged: { chi2: number; groups: number; ndf: number; pvalue: number };
  /** Minimum of the objective: Poisson deviance (−2 ln λ, Baker–Cousins) or χ². */
  objectiveValue: number;
  objective: FitObjective;
  nFitBins: number;
  converged: boolean;
  /**
   * The minimizer reached a minimum of the objective (EDM below tolerance), whether or not the published
   * parameters are finite there or the minimum is at infinity: the deviance is then the fit's, and a toy counts.
   */
  minimized: boolean;
  edm: number;
  iterations: number;
  status: string;
  /** Internal: ∂μ_i/∂η (nBins × m) and Cov(η), for variances of sums of predicted bins. */
  gradEta: Float64Array;
  covEta: Float64Array;
}

// 5-point Gauss–Legendre on [−1, 1].
export const GL_T = [-0.906179845938664, -0.5384693101056831, 0, 0.5384693101056831, 0.906179845938664];
export const GL_W = [
  0.23692688505618908, 0.47862867049936647, 0.5688888888888889, 0.47862867049936647, 0.23692688505618908,
];
const Q = GL_T.length;

/** Variance of Σ_{i in mask} μ_i from the fit covariance (bins are correlated through the parameters). */
export function sumVariance(fit: BinnedFit, include: (i: number) => boolean): number {
  const m = fit.fn.nParams,
    nb = fit.prediction.length;
  const d = new Float64Array(m);
  for (let i = 0; i < nb; i++) {
    if (!include(i)) continue;
    for (let j = 0; j < m; j++) d[j] = d[j]! + fit.gradEta[i * m + j]!;
  }
  return Math.max(0, quadForm(fit.covEta, m, d));
}

function failed(fn: FitFunction, nb: number, objective: FitObjective, nFit: number, status: string): BinnedFit {
  const m = fn.nParams;
  return {
    fn,
    params: new Float64Array(m).fill(Number.NaN),
    covariance: new Float64Array(m * m),
    prediction: new Float64Array(nb),
    fitErr: new Float64Array(nb),
    chi2: Number.NaN,
    ndf: nFit - m,
    pvalue: 0,
    gof: 'pearson',
    pearsonChi2: Number.NaN,
    deviance: Number.NaN,
    merged: { chi2: Number.NaN, groups: 0, ndf: 0, pvalue: Number.NaN },
    objectiveValue: Number.NaN,
    objective,
    nFitBins: nFit,
    converged: false,
    minimized: false,
    edm: Infinity,
    iterations: 0,
    status,
    gradEta: new Float64Array(nb * m),
    covEta: new Float64Array(m * m),
  };
}

/**
 * Fit `fn` to the spectrum. Never throws on poor data: a fit that cannot be done (too few bins, no events)
 * comes back with converged = false and the reason in `status`. Throws only on malformed input (edges).
 */
export function fitBinned(fn: FitFunction, spec: BinnedSpectrum, options: BinnedFitOptions = {}): BinnedFit {
  const nb = spec.counts.length;
  const m = fn.nParams;
  const sqrtS = options.sqrtS ?? 13000;
  const objective = options.objective ?? 'poisson';
  if (spec.lo.length !== nb || spec.hi.length !== nb)
    throw new RangeError(`fit: edges and counts differ in length (${spec.lo.length}, ${spec.hi.length}, ${nb})`);
  for (let i = 0; i < nb; i++) {
    if (!(spec.hi[i]! > spec.lo[i]!) || !(spec.lo[i]! > 0) || !(spec.hi[i]! < sqrtS)) {
      throw new RangeError(`fit: bin ${i} [${spec.lo[i]}, ${spec.hi[i]}] GeV is not inside (0, √s = ${sqrtS})`);
    }
  }
  const use = options.use;
  const fitIdx: number[] = [];
  let nTot = 0;
  for (let i = 0; i < nb; i++)
    if (!use || use[i]) {
      fitIdx.push(i);
      nTot += Math.max(0, spec.counts[i]!);
    }
  const nFit = fitIdx.length;
  if (nFit < m) return failed(fn, nb, objective, nFit, `too few fitted bins (${nFit}) for ${m} parameters`);
  if (!(nTot > 0)) return failed(fn, nb, objective, nFit, 'no events in the fitted bins');

  // Features at the fitted bin centres → Gram–Schmidt → R (m×m upper): η = R β.
  const cent = new Float64Array(nFit * m);
  for (let r = 0; r < nFit; r++) {
    const i = fitIdx[r]!;
    const xc = (0.5 * (spec.lo[i]! + spec.hi[i]!)) / sqrtS;
    for (let j = 0; j < m; j++) cent[r * m + j] = featureValue(fn.features[j]!, xc);
  }
  const R = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let r = 0; r < nFit; r++) dot += cent[r * m + k]! * cent[r * m + j]!;
      R[k * m + j] = dot;
      for (let r = 0; r < nFit; r++) cent[r * m + j] = cent[r * m + j]! - dot * cent[r * m + k]!;
    }
    let norm = 0;
    for (let r = 0; r < nFit; r++) norm += cent[r * m + j]! ** 2;
    norm = Math.sqrt(norm);
    if (!(norm > 1e-10 * Math.sqrt(nFit)))
      return failed(fn, nb, objective, nFit, 'fit features degenerate over the fitted bins');
    R[j * m + j] = norm;
    for (let r = 0; r < nFit; r++) cent[r * m + j] = cent[r * m + j]! / norm;
  }
  const Rinv = invertUpper(R, m);

  // Quadrature nodes of every bin in η-space: ψ_k = φ(x_k) R⁻¹, weight w_k (dx units).
  const psi = new Float64Array(nb * Q * m);
  const wq = new Float64Array(nb * Q);
  const phi = new Float64Array(m);
  for (let i = 0; i < nb; i++) {
    const a = spec.lo[i]! / sqrtS,
      b = spec.hi[i]! / sqrtS,
      c = 0.5 * (a + b),
      hw = 0.5 * (b - a);
    for (let q = 0; q < Q; q++) {
      const x = c + hw * GL_T[q]!;
      for (let j = 0; j < m; j++) phi[j] = featureValue(fn.features[j]!, x);
      const base = (i * Q + q) * m;
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let k = 0; k <= j; k++) s += phi[k]! * Rinv[k * m + j]!;
        psi[base + j] = s;
      }
      wq[i * Q + q] = hw * GL_W[q]!;
    }
  }

  const counts = spec.counts;
  const variance = new Float64Array(nb);
  for (let i = 0; i < nb; i++) variance[i] = Math.max(counts[i]!, 1);
  const mu = new Float64Array(nb),
    dmu = new Float64Array(m),
    d2mu = new Float64Array(m * m);

  // Hot: evaluated a few dozen times per fit; loops over fitted bins × 5 nodes × m² only.
  const obj = (eta: Float64Array, grad: Float64Array | null, hess: Float64Array | null): number => {
    if (grad) grad.fill(0);
    if (hess) hess.fill(0);
    let f = 0;
    for (let r = 0; r < nFit; r++) {
      const i = fitIdx[r]!;
      let mui = 0;
      if (grad) {
        dmu.fill(0);
        d2mu.fill(0);
      }
      for (let q = 0; q < Q; q++) {
        const base = (i * Q + q) * m;
        let gk = 0;
        for (let j = 0; j < m; j++) gk += psi[base + j]! * eta[j]!;
        const e = wq[i * Q + q]! * Math.exp(gk);
        mui += e;
        if (grad) {
          for (let j = 0; j < m; j++) {
            const ej = e * psi[base + j]!;
            dmu[j] = dmu[j]! + ej;
            if (hess) for (let k = 0; k <= j; k++) d2mu[j * m + k] = d2mu[j * m + k]! + ej * psi[base + k]!;
          }
        }
      }
      const n = Math.max(0, counts[i]!);
      if (!(mui > 0) || !Number.isFinite(mui)) {
        if (n > 0 || !Number.isFinite(mui)) return Infinity;
      }
      let c1: number, c2: number;
      if (objective === 'poisson') {
        f += 2 * (mui - n + xlogy(n, mui));
        // f is the deviance (2·NLL); gradient/Hessian of the deviance.
        // n = 0 with a prediction that underflowed to 0 contributes nothing (and must not make 0/0).
        c1 = 2 * (1 - (n > 0 ? n / mui : 0));
        c2 = n > 0 ? (2 * n) / (mui * mui) : 0;
      } else {
        const v = variance[i]!,
          res = n - mui;
        f += (res * res) / v;
        c1 = (-2 * res) / v;
        c2 = 2 / v;
      }
      if (grad) {
        for (let j = 0; j < m; j++) grad[j] = grad[j]! + c1 * dmu[j]!;
        if (hess)
          for (let j = 0; j < m; j++)
            for (let k = 0; k <= j; k++) {
              hess[j * m + k] = hess[j * m + k]! + c1 * d2mu[j * m + k]! + c2 * dmu[j]! * dmu[k]!;
            }
      }
    }
    if (hess) for (let j = 0; j < m; j++) for (let k = 0; k < j; k++) hess[k * m + j] = hess[j * m + k]!;
    return f;
  };

  // Σ_k w_k e^{ψ_k·η} over fitted bins, to match the normalisation to the data.
  const fittedSum = (eta: Float64Array): number => {
    let s = 0;
    for (const i of fitIdx)
      for (let q = 0; q < Q; q++) {
        const base = (i * Q + q) * m;
        let gk = 0;
        for (let j = 0; j < m; j++) gk += psi[base + j]! * eta[j]!;
        s += wq[i * Q + q]! * Math.exp(gk);
      }
    return s;
  };
  // β_0 = ln p1 enters η only through η_0 = R_00 β_0 + …, so scaling p1 by c shifts η_0 by R_00 ln c.
  const normalise = (eta: Float64Array): Float64Array => {
    const s = fittedSum(eta);
    if (s > 0 && Number.isFinite(s)) eta[0] = eta[0]! + R[0]! * Math.log(nTot / s);
    return eta;
  };
  const etaFromBeta = (beta: Float64Array): Float64Array => {
    const eta = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = j; k < m; k++) s += R[j * m + k]! * beta[k]!;
      eta[j] = s;
    }
    return eta;
  };

  const starts: Float64Array[] = [];
  if (options.init) starts.push(normalise(etaFromBeta(paramsToBeta(fn, [1, ...Array.from(options.init).slice(1)]))));
  {
    // Weighted least squares of ln(n/Δx) on the orthonormal features at bin centres (Poisson weights n).
    const ata = new Float64Array(m * m),
      aty = new Float64Array(m);
    for (let r = 0; r < nFit; r++) {
      const i = fitIdx[r]!;
      const n = Math.max(counts[i]!, 0);
      const w = Math.max(n, 0.5);
      const y = Math.log(Math.max(n, 0.5) / ((spec.hi[i]! - spec.lo[i]!) / sqrtS));
      for (let j = 0; j < m; j++) {
        aty[j] = aty[j]! + w * cent[r * m + j]! * y;
        for (let k = 0; k < m; k++) ata[j * m + k] = ata[j * m + k]! + w * cent[r * m + j]! * cent[r * m + k]!;
      }
    }
    const l = Float64Array.from(ata);
    if (cholesky(l, m)) {
      choleskySolve(l, m, aty);
      starts.push(Float64Array.from(aty));
      starts.push(normalise(Float64Array.from(aty)));
    }
  }
  {
    const generic = fn.features.includes('ln1mx') ? [1, 10, 5, 0, 0] : [1, 5, 10, 0, 0];
    const p = generic.slice(0, m);
    // Map a generic dijet shape (p2 = 10, p3 = 5) through the decorrelation matrix by building β directly.
    const beta = new Float64Array(m);
    beta[0] = 0;
    if (fn.features[1] === 'ln1mx') {
      beta[1] = p[1]!;
      beta[2] = -p[2]!;
    } else {
      beta[1] = -p[1]!;
      beta[2] = -p[2]!;
    }
    starts.push(normalise(etaFromBeta(beta)));
  }
  const nStarts = Math.max(1, Math.min(options.starts ?? 3, starts.length));

  let best: NewtonResult | null = null;
  let agreeing = 0;
  for (let s = 0; s < nStarts; s++) {
    const res = minimizeNewton(obj, starts[s]!, { maxIterations: options.maxIterations ?? 100, edmTolerance: 1e-8 });
    if (!Number.isFinite(res.f)) continue;
    if (best?.converged && res.converged && Math.abs(res.f - best.f) <= 1e-6 * Math.max(1, Math.abs(best.f)))
      agreeing++;
    if (!best || res.f < best.f - 1e-9 || (!best.converged && res.converged && res.f <= best.f + 1e-6)) best = res;
    // Two starts converging to the same minimum is evidence enough; further starts only cost time (a generic
    // start far from a sparse spectrum's optimum can crawl for the whole iteration budget).
    if (agreeing >= 1) break;
  }
  if (!best) return failed(fn, nb, objective, nFit, 'minimizer found no finite likelihood from any start');

  const eta = best.x;
  // The objectives above are deviance/χ² (errordef 1): Cov(η) = 2 H⁻¹.
  let covEta = covarianceFromHessian(best.hessian, m, true);
  let status = best.status;
  let converged = best.converged;
  if (!covEta) {
    covEta = new Float64Array(m * m);
    converged = false;
    status = `${status}; Hessian not positive definite`;
  }
  // A likelihood whose supremum lies at infinity (one event, or all events on one side of the SR) lets the shape
  // run away while EDM shrinks with the vanishing gradient. In the orthonormal coordinates a genuine minimum has
  // |η| of order ln(counts)·√bins (≲ 10³); beyond that the minimum is not finite.
  let runaway = false;
  for (let j = 0; j < m; j++) if (!(Math.abs(eta[j]!) < 1e4)) runaway = true;
  if (runaway && converged) {
    converged = false;
    status = 'not converged: parameters run away (no finite minimum; too few events?)';
  }
  const beta = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let k = j; k < m; k++) s += Rinv[j * m + k]! * eta[k]!;
    beta[j] = s;
  }
  const covBeta = congruence(Rinv, covEta, m);
  const params = betaToParams(fn, beta);
  const covariance = congruence(paramsJacobian(fn, beta), covBeta, m);
  if (converged && (!params.every(Number.isFinite) || !(params[0]! > 0))) {
    converged = false;
    status = 'not converged: parameters not finite';
  }

  const prediction = new Float64Array(nb),
    fitErr = new Float64Array(nb),
    gradEta = new Float64Array(nb * m);
  for (let i = 0; i < nb; i++) {
    let mui = 0;
    const d = gradEta.subarray(i * m, i * m + m);
    for (let q = 0; q < Q; q++) {
      const base = (i * Q + q) * m;
      let gk = 0;
      for (let j = 0; j < m; j++) gk += psi[base + j]! * eta[j]!;
      const e = wq[i * Q + q]! * Math.exp(gk);
      mui += e;
      for (let j = 0; j < m; j++) d[j] = d[j]! + e * psi[base + j]!;
    }
    prediction[i] = mui;
    fitErr[i] = Math.sqrt(Math.max(0, quadForm(covEta, m, d)));
  }
  mu.set(prediction);
  let pearson = 0,
    deviance = 0;
  for (const i of fitIdx) {
    const n = Math.max(0, counts[i]!);
    if (mu[i]! > 0) pearson += (n - mu[i]!) ** 2 / mu[i]!;
    deviance += 2 * (mu[i]! - n + xlogy(n, mu[i]!));
  }
  const merged = mergedPearson(counts, mu, use, m);
  const gofOpt = options.gof ?? 'auto';
  const gof: FitGof = gofOpt === 'auto' ? (merged.ndf > 0 ? 'merged' : 'toys') : gofOpt;
  const chi2 = gof === 'merged' ? merged.chi2 : gof === 'pearson' ? pearson : deviance;
  const ndf = gof === 'merged' ? merged.ndf : nFit - m;
  let pvalue = ndf > 0 ? chi2Sf(chi2, ndf) : Number.NaN;
  if (gof === 'toys') {
    // Toys are drawn only for a fit worth judging: a failed fit is rejected whatever its p-value.
    pvalue =
      converged && ndf > 0
        ? toyDevianceTest(deviance, prediction, use, options.toys ?? 200, (toy) => {
            const f = fitBinned(
              fn,
              { lo: spec.lo, hi: spec.hi, counts: toy },
              { use, sqrtS, objective, gof: 'deviance', init: params, starts: 1 },
            );
            return f.minimized ? f.deviance : Number.NaN;
          })
        : Number.NaN;
  }
  return {
    fn,
    params,
    covariance,
    prediction,
    fitErr,
    chi2,
    ndf,
    pvalue,
    gof,
    pearsonChi2: pearson,
    deviance,
    merged,
    objectiveValue: best.f,
    objective,
    nFitBins: nFit,
    converged,
    minimized: best.converged,
    edm: best.edm,
    iterations: best.iterations,
    status,
    gradEta,
    covEta,
  };
}
