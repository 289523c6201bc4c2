/**
 * Asymptotic CLs for a HistFactory model, with pyhf's conventions (`pyhf.infer.hypotest`, AsymptoticCalculator,
 * calc_base_dist 'normal'): test statistic q̃μ ('qtilde', the default) or qμ ('q'); Asimov data from the μ = 0
 * conditional fit to the observed data (main and auxiliary measurements); the test statistic expressed in
 * −μ̂/σ space, CLs+b = Φ(−(t + √qμ,A)), CLb = Φ(−t), expected band at t = −n for n = 2, 1, 0, −1, −2.
 *
 * stats/cls.ts is the closed-form special case for shapesys-only counting models (the engine behind the result
 * limits); this one takes any model of fit/histfactory.ts, and the two agree where both apply (tested).
 */
import { normalCdf } from '../stats/special.js';
import {
  HistFactoryModelError,
  compileModel,
  expectedRates,
  fitFree,
  fitNuisances,
  nominalAux,
  type CompiledModel,
  type HistFactoryData,
  type HistFactorySpec,
} from './histfactory.js';

export type TestStatistic = 'qtilde' | 'q';

export interface HypotestResult {
  mu: number;
  testStatistic: TestStatistic;
  clsObs: number;
  clsbObs: number;
  clbObs: number;
  /** Expected CLs at −2σ, −1σ, median, +1σ, +2σ (pyhf order). */
  clsExp: [number, number, number, number, number];
  qmuObs: number;
  qmuAsimov: number;
  muHat: number;
  /** Every inner fit converged. */
  converged: boolean;
}

function qmu(m: CompiledModel, data: HistFactoryData, mu: number): { q: number; muHat: number; converged: boolean } {
  const free = fitFree(m, data);
  const cond = fitNuisances(m, data, mu, free.theta);
  if (free.muHat > mu) return { q: 0, muHat: free.muHat, converged: free.converged && cond.converged };
  return { q: Math.max(0, 2 * (cond.nll - free.nll)), muHat: free.muHat, converged: free.converged && cond.converged };
}

/** Asimov data set at POI value `mu`: expected main rates and auxiliary data of the conditional fit to `data`. */
export function asimovData(m: CompiledModel, data: HistFactoryData, mu: number): HistFactoryData {
  const fit = fitNuisances(m, data, mu);
  const main = expectedRates(m, fit.theta);
  const aux = Float64Array.from(m.params, (p, k) =>
    p.constraint?.kind === 'poisson' ? fit.theta[k]! * p.constraint.tau : p.constraint ? fit.theta[k]! : 0,
  );
  return { main, aux };
}

/** CLs at POI value `mu` for a compiled model and data. */
export function hypotest(
  m: CompiledModel,
  data: HistFactoryData,
  mu = 1,
  testStatistic: TestStatistic = 'qtilde',
): HypotestResult {
  const obs = qmu(m, data, mu);
  const asimov = asimovData(m, data, 0);
  const asi = qmu(m, asimov, mu);
  const sq = Math.sqrt(obs.q),
    sqA = Math.sqrt(asi.q);
  let t: number;
  if (testStatistic === 'q' || sq <= sqA || sqA === 0) t = sq - sqA;
  else t = (obs.q - asi.q) / (2 * sqA);
  const clsb = normalCdf(-(t + sqA)),
    clb = normalCdf(-t);
  const clsExp = [2, 1, 0, -1, -2].map((n) => normalCdf(-(n + sqA)) / normalCdf(-n)) as HypotestResult['clsExp'];
  return {
    mu,
    testStatistic,
    clsObs: clsb / clb,
    clsbObs: clsb,
    clbObs: clb,
    clsExp,
    qmuObs: obs.q,
    qmuAsimov: asi.q,
    muHat: obs.muHat,
    converged: obs.converged && asi.converged,
  };
}

/** Observed and expected upper limits on the POI at confidence level `cl`, by bisection of CLs(μ) = 1 − cl. */
export function hypotestUpperLimits(
  m: CompiledModel,
  data: HistFactoryData,
  cl = 0.95,
  testStatistic: TestStatistic = 'qtilde',
): { cl: number; observed: number; expected: [number, number, number, number, number] } {
  const alpha = 1 - cl;
  const hi0 = m.params[m.poi]!.hi;
  const solve = (pick: (r: HypotestResult) => number): number => {
    let lo = 0,
      hi = Math.min(1, hi0);
    while (pick(hypotest(m, data, hi, testStatistic)) > alpha && hi < hi0) {
      lo = hi;
      hi = Math.min(hi * 2, hi0);
    }
    for (let it = 0; it < 60 && hi - lo > 1e-6 * hi; it++) {
      const mid = 0.5 * (lo + hi);
      if (pick(hypotest(m, data, mid, testStatistic)) > alpha) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  };
  return {
    cl,
    observed: solve((r) => r.clsObs),
    expected: [0, 1, 2, 3, 4].map((j) => solve((r) => r.clsExp[j]!)) as [number, number, number, number, number],
  };
}

/** Convenience: compile a spec, take observations in channel order, and run `hypotest`. */
export function hypotestSpec(
  spec: HistFactorySpec,
  observations: Record<string, ArrayLike<number>>,
  mu = 1,
  testStatistic: TestStatistic = 'qtilde',
): HypotestResult {
  const m = compileModel(spec);
  return hypotest(m, { main: mainData(m, observations), aux: nominalAux(m) }, mu, testStatistic);
}

/** Observed main counts in the model's channel order; throws naming a missing or mis-sized channel. */
export function mainData(m: CompiledModel, observations: Record<string, ArrayLike<number>>): Float64Array {
  const main = new Float64Array(m.nbins);
  for (const c of m.channels) {
    const d = observations[c.name];
    if (!d) throw new HistFactoryModelError(`observations: no data for channel ${c.name}`);
    if (d.length !== c.nbins)
      throw new HistFactoryModelError(`observations: channel ${c.name} has ${d.length} bins, the model ${c.nbins}`);
    for (let b = 0; b < c.nbins; b++) main[c.offset + b] = d[b]!;
  }
  return main;
}
