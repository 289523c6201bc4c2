/**
 * The statistics engine's entry point for the stream: one window's mjj histogram in, the sideband fit, the
 * background prediction in the SR and the SR significance out (seed 000 §V.D).
 *
 *   1. Fit strategy over the sidebands, SR masked (fit/strategy.ts; ATLAS 2024 by default).
 *   2. Interpolate into the SR: per-bin prediction with the fit uncertainty from the parameter covariance, the
 *      ensemble spread added in quadrature.
 *   3. Merge the SR bins into one; profile likelihood with a Gaussian-constrained background whose width is the
 *      fit uncertainty of the merged prediction (bins correlated through the parameters) ⊕ the ensemble spread
 *      of the SR bins (in quadrature, taken as uncorrelated between bins).
 *   4. Signed per-bin significances over the whole histogram for the plot panel.
 *
 * Never throws. Poor inputs (empty or mismatched arrays, too few events or sideband bins, a failed strategy)
 * give `fit.converged = false`, `significance.z = 0`, `p = 0.5`, and the reason in `fit.status` and
 * `significance.reason`. When the strategy ran but no function passed the SB χ² criterion, the prediction of
 * the best attempt is still reported (with converged = false) so that it can be plotted, but z stays 0.
 */
import type { FitResult, SignificanceResult } from '../events/result.js';
import { sumVariance, type FitObjective } from '../fit/binned-fit.js';
import { toNested } from '../fit/linalg.js';
import { runFitStrategy, type FitAttempt, type FitStrategyName } from '../fit/strategy.js';
import { zGaussianConstraint } from '../stats/discovery.js';
import { perBinSignificance } from '../stats/per-bin.js';

export interface WindowHistogramInput {
  /** Bin edges, GeV (length = counts.length + 1). */
  edges: Float64Array;
  /** Observed counts (for an ensemble: the bin-wise median). */
  counts: Float64Array;
  /** Optional per-bin extra uncertainty (ensemble spread), added in quadrature. */
  spread?: Float64Array;
  /** Signal region [lo, hi) in GeV: the merged bin of the significance; masked in the fit unless fitSr is given. */
  sr: [number, number];
  /**
   * Region masked in the fit when it differs from the SR: seed 001's fit signal region is the training SR plus the
   * adjacent halves of its neighbours.
   */
  fitSr?: [number, number];
  strategy?: FitStrategyName;
  /** Functions tried in order. Default: dijet3, dijet4, ua2 (atlas2024, seed 000); dijet3d, dijet4d, ua2d (atlas2020). */
  functions?: string[];
  /** √s in GeV, default 13000. */
  sqrtS?: number;
  /** Likelihood of the fit, default binned Poisson (robust for bins with few or no events). */
  objective?: FitObjective;
}

/** FitResult plus the diagnostics the engine adds (extra fields only; the shared type is unchanged). */
export interface WindowFitResult extends FitResult {
  /** Minimizer/strategy status: "converged", or why the fit failed. */
  status: string;
  /** Fit-only (parameter) uncertainty per bin; `predictionErr` also contains the ensemble spread. */
  fitErr: number[];
  /** Every fit the strategy tried, in order. */
  attempts: FitAttempt[];
  strategy: FitStrategyName;
  /** Statistic behind chi2/pvalue: Pearson's χ², or the Poisson deviance for sparse sidebands. */
  gof: 'pearson' | 'deviance';
}

export interface WindowSignificanceResult extends SignificanceResult {
  /** Set when z was not computed (and is 0): why. */
  reason?: string;
}

export interface WindowAnalysis {
  fit: WindowFitResult;
  significance: WindowSignificanceResult;
}

function emptyResult(nb: number, strategy: FitStrategyName, reason: string, observed = 0): WindowAnalysis {
  return {
    fit: {
      function: '',
      params: [],
      covariance: [],
      chi2: 0,
      ndf: 0,
      pvalue: 0,
      sbRange: [0, 0],
      prediction: new Array<number>(nb).fill(0),
      predictionErr: new Array<number>(nb).fill(0),
      converged: false,
      status: reason,
      fitErr: new Array<number>(nb).fill(0),
      attempts: [],
      strategy,
      gof: 'pearson',
    },
    significance: { z: 0, p: 0.5, observed, expected: 0, expectedErr: 0, reason },
  };
}

/** Finite number or 0, so results stay JSON-serializable (JSON has no NaN/∞). */
const finite = (v: number): number => (Number.isFinite(v) ? v : 0);
const finiteAttempt = (a: FitAttempt): FitAttempt => ({ ...a, chi2: finite(a.chi2), pvalue: finite(a.pvalue) });

export function analyseWindowHistogram(input: WindowHistogramInput): WindowAnalysis {
  const strategy = input.strategy ?? 'atlas2024';
  const nb = input.counts?.length ?? 0;
  try {
    const { edges, counts, spread, sr } = input;
    if (!edges || !counts || edges.length !== nb + 1) {
      return emptyResult(nb, strategy, `bad histogram: ${edges?.length ?? 0} edges for ${nb} bins (need bins + 1)`);
    }
    if (spread && spread.length !== nb)
      return emptyResult(nb, strategy, `bad histogram: spread has ${spread.length} bins, counts ${nb}`);
    if (!sr || !(sr[1] > sr[0])) return emptyResult(nb, strategy, `bad signal region [${sr?.[0]}, ${sr?.[1]}]`);
    const lo = edges.subarray(0, nb),
      hi = edges.subarray(1, nb + 1);
    for (let i = 0; i < nb; i++) {
      if (!(hi[i]! > lo[i]!)) return emptyResult(nb, strategy, `bad histogram: edges not increasing at bin ${i}`);
      if (!(counts[i]! >= 0) || counts[i] === Infinity)
        return emptyResult(nb, strategy, `bad histogram: count ${counts[i]} in bin ${i}`);
      if (spread && !(spread[i]! >= 0 && spread[i]! < Infinity))
        return emptyResult(nb, strategy, `bad histogram: spread ${spread[i]} in bin ${i}`);
    }
    let observed = 0;
    for (let i = 0; i < nb; i++) if (lo[i]! < sr[1] && hi[i]! > sr[0]) observed += counts[i]!;

    const spec = { lo, hi, counts, spread };
    const res = runFitStrategy(spec, {
      strategy,
      functions: input.functions,
      sr: input.fitSr ?? sr,
      sqrtS: input.sqrtS,
      objective: input.objective,
    });
    const fit = res.fit;
    if (!fit || !Number.isFinite(fit.objectiveValue)) {
      const out = emptyResult(nb, strategy, res.reason, observed);
      out.fit.attempts = res.attempts.map(finiteAttempt);
      return out;
    }
    const m = fit.fn.nParams;
    const predictionErr = new Array<number>(nb);
    for (let i = 0; i < nb; i++) predictionErr[i] = Math.hypot(fit.fitErr[i]!, spread ? spread[i]! : 0);
    const fitResult: WindowFitResult = {
      function: fit.fn.name,
      params: Array.from(fit.params, finite),
      covariance: toNested(fit.covariance, m).map((r) => r.map(finite)),
      chi2: finite(fit.chi2),
      ndf: fit.ndf,
      pvalue: finite(fit.pvalue),
      sbRange: res.sbRange,
      prediction: Array.from(fit.prediction, finite),
      predictionErr: predictionErr.map(finite),
      converged: fit.converged && res.accepted,
      status: res.accepted ? `${fit.status}; ${res.reason}` : res.reason,
      fitErr: Array.from(fit.fitErr, finite),
      attempts: res.attempts.map(finiteAttempt),
      strategy,
      gof: fit.gof,
    };

    const inSr = (i: number) => lo[i]! < sr[1] && hi[i]! > sr[0];
    let expected = 0,
      spread2 = 0;
    for (let i = 0; i < nb; i++)
      if (inSr(i)) {
        expected += fit.prediction[i]!;
        spread2 += spread ? spread[i]! ** 2 : 0;
      }
    const fitVar = sumVariance(fit, inSr);
    const expectedErr = Math.sqrt(fitVar + spread2);
    const perBin = Array.from(perBinSignificance(counts, fit.prediction), finite);
    const base = { observed, expected: finite(expected), expectedErr: finite(expectedErr), perBin };
    if (!fitResult.converged) {
      return { fit: fitResult, significance: { ...base, z: 0, p: 0.5, reason: `no accepted fit: ${res.reason}` } };
    }
    if (!(expected > 0)) {
      return {
        fit: fitResult,
        significance: { ...base, z: 0, p: 0.5, reason: 'no signal-region bins (SR outside the histogram)' },
      };
    }
    const d = zGaussianConstraint(observed, expected, expectedErr);
    return { fit: fitResult, significance: { ...base, z: finite(d.z), p: finite(d.p) } };
  } catch (err) {
    return emptyResult(nb, strategy, `analysis failed: ${(err as Error).message}`);
  }
}
