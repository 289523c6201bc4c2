/**
 * Signal + background fit of a selected mjj spectrum (seed 003): the dijet function for the background and a
 * double crystal ball of fixed shape (stats/crystal-ball.ts: the resonance's peak in the selected spectrum, from
 * signal simulation) with a free yield s, fitted together to every bin by binned Poisson likelihood. The
 * background-only fit (s = 0) is the null; the discovery statistic is q0 = D(s = 0) − D(ŝ) (deviances, i.e.
 * −2 ln λ) for ŝ > 0 and 0 otherwise, and Z = √q0 (Wilks, one parameter of interest on its boundary).
 *
 * Unlike the sideband fit (fit/strategy.ts), nothing is masked: the background shape is constrained by the whole
 * spectrum and the signal by its shape, as CMS fits the selected spectra. Where the function cannot describe the
 * spectrum, the S+B fit's merged χ² (gof) says so; the caller judges validity from it.
 *
 * Parameters: β of the log-linear dijet function (functions.ts) and s. The Hessian is exact (ln f is linear in β,
 * the signal linear in s), so the damped Newton of minimize.ts converges in a few steps from the background-only
 * fit of binned-fit.ts.
 */
import { fitBinned, GL_T, GL_W, type BinnedFit, type BinnedSpectrum } from './binned-fit.js';
import { featureValue, paramsToBeta, type FitFunction } from './functions.js';
import { mergedPearson } from './gof.js';
import { covarianceFromHessian, minimizeNewton } from './minimize.js';
import { dcbBinProbabilities, type DoubleCrystalBall } from '../stats/crystal-ball.js';
import { xlogy } from '../stats/special.js';

export interface SignalFit {
  /** The background-only fit (the null hypothesis), binned-fit.ts's result over the same bins. */
  background: BinnedFit;
  /** Fitted signal yield over the whole line (events), its uncertainty from the Hessian. */
  signal: number;
  signalErr: number;
  /** Signal yield inside the fitted bins (the shape's mass outside them is not in the data). */
  signalInRange: number;
  /** 95 % CL upper limit on the yield (profile likelihood, one-sided asymptotic: ΔD = 2.71). */
  upperLimit: number;
  /** The same inside the fitted bins (what a count of selected events there is compared with). */
  upperLimitInRange: number;
  /** q0 = D(0) − D(ŝ) (0 when ŝ ≤ 0) and Z = √q0. */
  q0: number;
  z: number;
  /** Background and signal prediction per bin of the S+B fit. */
  backgroundPrediction: Float64Array;
  signalPrediction: Float64Array;
  /** Goodness of the S+B fit: Pearson's χ² over groups expecting ≥ 5 events (gof.ts), its ndf and p-value. */
  gof: { chi2: number; ndf: number; pvalue: number };
  /** Deviance of the S+B fit and of the background-only one. */
  deviance: number;
  devianceBackgroundOnly: number;
  converged: boolean;
  status: string;
}

const Q = GL_T.length;

export function fitSignalPlusBackground(
  fn: FitFunction,
  spec: BinnedSpectrum,
  shape: DoubleCrystalBall,
  options: { sqrtS?: number; use?: Uint8Array } = {},
): SignalFit {
  const sqrtS = options.sqrtS ?? 13000;
  const nb = spec.counts.length;
  const m = fn.nParams;
  const background = fitBinned(fn, spec, { sqrtS, ...(options.use ? { use: options.use } : {}), gof: 'merged' });
  const edges = new Float64Array(nb + 1);
  for (let i = 0; i < nb; i++) edges[i] = spec.lo[i]!;
  edges[nb] = spec.hi[nb - 1]!;
  const p = dcbBinProbabilities(edges, shape);
  const fitted: number[] = [];
  for (let i = 0; i < nb; i++) if (!options.use || options.use[i]) fitted.push(i);
  const inRange = fitted.reduce((a, i) => a + p[i]!, 0);
  const none = (status: string): SignalFit => ({
    background,
    signal: Number.NaN,
    signalErr: Number.NaN,
    signalInRange: Number.NaN,
    upperLimit: Number.NaN,
    upperLimitInRange: Number.NaN,
    q0: Number.NaN,
    z: Number.NaN,
    backgroundPrediction: new Float64Array(nb),
    signalPrediction: new Float64Array(nb),
    gof: { chi2: Number.NaN, ndf: 0, pvalue: Number.NaN },
    deviance: Number.NaN,
    devianceBackgroundOnly: Number.NaN,
    converged: false,
    status,
  });
  if (!background.converged) return none(`background-only fit failed: ${background.status}`);
  // Power-law tails reach far: a shape with under 1 % of its mass in the fitted bins is not a signal there.
  if (!(inRange > 0.01)) return none('the signal shape lies outside the fitted bins');

  // Quadrature features per fitted bin: φ_j(x_q) and weights w_q (x = mjj/√s units, as binned-fit.ts).
  const phi = new Float64Array(nb * Q * m);
  const w = new Float64Array(nb * Q);
  for (const i of fitted) {
    const a = spec.lo[i]! / sqrtS,
      b = spec.hi[i]! / sqrtS,
      c = 0.5 * (a + b),
      hw = 0.5 * (b - a);
    for (let q = 0; q < Q; q++) {
      const x = c + hw * GL_T[q]!;
      for (let j = 0; j < m; j++) phi[(i * Q + q) * m + j] = featureValue(fn.features[j]!, x);
      w[i * Q + q] = hw * GL_W[q]!;
    }
  }
  const bkg = new Float64Array(nb),
    dmu = new Float64Array(m + 1),
    d2mu = new Float64Array((m + 1) * (m + 1));
  // The deviance 2 Σ (μ − n + n ln(n/μ)) over the fitted bins, with its exact gradient and Hessian in (β, s);
  // fixedS = null: s is the last of the m + 1 parameters; a number fixes s there (x has m entries then).
  const deviance =
    (fixedS: number | null) =>
    (x: Float64Array, grad: Float64Array | null, hess: Float64Array | null): number => {
      const withSignal = fixedS === null;
      const k = withSignal ? m + 1 : m;
      const s = withSignal ? x[m]! : fixedS;
      if (grad) grad.fill(0);
      if (hess) hess.fill(0);
      let f = 0;
      for (const i of fitted) {
        let b = 0;
        dmu.fill(0);
        d2mu.fill(0);
        for (let q = 0; q < Q; q++) {
          const base = (i * Q + q) * m;
          let g = 0;
          for (let j = 0; j < m; j++) g += phi[base + j]! * x[j]!;
          const e = w[i * Q + q]! * Math.exp(g);
          b += e;
          for (let j = 0; j < m; j++) {
            const ej = e * phi[base + j]!;
            dmu[j]! += ej;
            for (let l = 0; l <= j; l++) d2mu[j * k + l]! += ej * phi[base + l]!;
          }
        }
        bkg[i] = b;
        if (withSignal) dmu[m] = p[i]!;
        const mu = b + s * p[i]!;
        const n = Math.max(0, spec.counts[i]!);
        if (!(mu > 0) || !Number.isFinite(mu)) {
          if (n > 0 || !Number.isFinite(mu)) return Infinity;
          continue;
        }
        f += 2 * (mu - n + xlogy(n, mu));
        const c1 = 2 * (1 - (n > 0 ? n / mu : 0)),
          c2 = n > 0 ? (2 * n) / (mu * mu) : 0;
        if (grad) for (let j = 0; j < k; j++) grad[j]! += c1 * dmu[j]!;
        if (hess)
          for (let j = 0; j < k; j++)
            for (let l = 0; l <= j; l++) hess[j * k + l]! += c1 * d2mu[j * k + l]! + c2 * dmu[j]! * dmu[l]!;
      }
      if (hess) for (let j = 0; j < k; j++) for (let l = 0; l < j; l++) hess[l * k + j] = hess[j * k + l]!;
      return f;
    };
  const beta0 = paramsToBeta(fn, background.params);
  const b0 = minimizeNewton(deviance(0), beta0);
  if (!b0.converged) return none(`background-only refit failed: ${b0.status}`);
  // The signal starts at 0 (the null's minimum): the deviance is convex in s there, Newton finds either sign.
  const start = Float64Array.from([...b0.x, 0]);
  const sb = minimizeNewton(deviance(null), start);
  if (!sb.converged) return none(`signal + background fit failed: ${sb.status}`);
  const f0 = b0.f,
    f1 = sb.f;
  const sHat = sb.x[m]!;
  const cov = covarianceFromHessian(sb.hessian, m + 1, true);
  const signalErr = cov ? Math.sqrt(Math.max(0, cov[m * (m + 1) + m]!)) : Number.NaN;
  deviance(null)(sb.x, null, null);
  const backgroundPrediction = Float64Array.from(bkg);
  // 95 % CL upper limit on s: the profile deviance D(s) − D(max(ŝ, 0)) reaches 2.71 (one-sided, asymptotic),
  // the background refitted at every s (bisection; D rises monotonically above ŝ).
  const floor = sHat > 0 ? f1 : f0;
  const lo0 = Math.max(0, sHat);
  const profile = (sv: number): number => {
    const r = minimizeNewton(deviance(sv), sb.x.subarray(0, m));
    return r.converged || Number.isFinite(r.f) ? r.f - floor : Number.NaN;
  };
  let upperLimit = Number.NaN;
  {
    const step = Number.isFinite(signalErr) && signalErr > 0 ? signalErr : Math.sqrt(Math.max(1, lo0));
    let lo = lo0,
      hi = lo0 + step;
    let k = 0;
    while (k++ < 40 && profile(hi) < 2.705543) {
      lo = hi;
      hi = lo0 + (hi - lo0) * 2;
    }
    if (k < 40) {
      for (let it = 0; it < 40 && hi - lo > 1e-3 * Math.max(1, hi); it++) {
        const mid = 0.5 * (lo + hi);
        if (profile(mid) < 2.705543) lo = mid;
        else hi = mid;
      }
      upperLimit = 0.5 * (lo + hi);
    }
  }
  const q0 = sHat > 0 ? Math.max(0, f0 - f1) : 0;
  const signalPrediction = Float64Array.from(p, (v) => v * sHat);
  const g = mergedPearson(
    spec.counts,
    Float64Array.from(backgroundPrediction, (b, i) => b + signalPrediction[i]!),
    options.use,
    m + 1,
  );
  return {
    background,
    signal: sHat,
    signalErr,
    signalInRange: sHat * inRange,
    upperLimit,
    upperLimitInRange: upperLimit * inRange,
    q0,
    z: Math.sqrt(q0),
    backgroundPrediction,
    signalPrediction,
    gof: { chi2: g.chi2, ndf: g.ndf, pvalue: g.pvalue },
    deviance: f1,
    devianceBackgroundOnly: f0,
    converged: true,
    status: 'converged',
  };
}
