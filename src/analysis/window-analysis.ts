/**
 * The statistics engine's entry point for the stream: one window's mjj histogram in, the sideband fit, the
 * background prediction in the SR, the SR significance and the window's validity out (seed 000 §V.D, §V.E).
 *
 *   1. Fit range: the fit starts at `fitFrom` (above the inclusive spectrum's trigger turn-on, fit/turn-on.ts).
 *      A signal region that starts below it, or a 2024-style window left without a sideband below its SR, is
 *      invalid (`turn_on_in_range`): a falling function cannot describe a turn-on.
 *   2. Fit strategy over the sidebands, SR masked (fit/strategy.ts; ATLAS 2024 by default), judged by Pearson's χ²
 *      over merged groups (fit/gof.ts), which is χ²-distributed in sparse sidebands, so the iteration triggers.
 *   3. The fit must also describe the bins next to the SR: χ² of the two nearest sideband groups on each side
 *      (merged to ≥ 5 expected events); p < 0.01 makes the window invalid (`poor_fit_near_sr`).
 *   4. Spurious signal of the chosen function: the SR prediction of the next function of the list (or dijet5)
 *      fitted to the same bins, minus the chosen one's, in units of the background uncertainty (recorded).
 *   5. SR significance: the SR bins merged into one, profile likelihood with a log-normal-constrained background
 *      whose relative width is the fit uncertainty of the merged prediction (bins correlated through the
 *      parameters) over the prediction: a log-linear fit's uncertainty is relative, and with a Gaussian constraint a
 *      sparse sideband fitted low gave signal-free Z up to 17 in pseudo-experiments (stats/discovery.ts). The
 *      observed count's own variance V comes with the histogram: a working point that keeps a fixed fraction ε of
 *      the SR events fixes the SR count up to ε²·N_SR (analysis/cwola-selection.ts); otherwise V = n (Poisson).
 *      The test runs on counts scaled by n/V, so that the observed count is Poisson-like with its true variance;
 *      for Poisson data the scale is 1.
 *   6. Signed per-bin significances over the whole histogram for the plot panel.
 *
 * Never throws. A fit that fails or is not accepted yields no Z: `fit.status = 'failed'` with the reason, and
 * `significance.z` absent; the prediction of the best attempt is still reported so that it can be plotted.
 */
import type { FitResult, SignificanceResult, ValidityReason } from '../events/result.js';
import { fitBinned, sumVariance, type BinnedFit, type FitGof, type FitObjective } from '../fit/binned-fit.js';
import { fitFunction } from '../fit/functions.js';
import { toNested } from '../fit/linalg.js';
import { runFitStrategy, type FitAttempt, type FitStrategyName } from '../fit/strategy.js';
import { zLogNormalConstraint } from '../stats/discovery.js';
import { perBinSignificance } from '../stats/per-bin.js';
import { chi2Sf } from '../stats/special.js';

export interface WindowHistogramInput {
  /** Bin edges, GeV (length = counts.length + 1). */
  edges: Float64Array;
  /** Observed counts (for an ensemble: the bin-wise median). */
  counts: Float64Array;
  /** Variance of the observed SR count, when the selection fixes part of it; default the count (Poisson). */
  srCountVariance?: number;
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
  /** Lowest mjj (GeV) the fit may use: above the trigger turn-on of the inclusive spectrum. */
  fitFrom?: number;
  /** A previous fit of this window (online refits): its function starts from its parameters. */
  warmStart?: { function: string; params: ArrayLike<number> };
}

/** FitResult plus the diagnostics the engine adds. */
export interface WindowFitResult extends FitResult {
  /** Minimizer/strategy detail of the fit that was kept. */
  detail: string;
  /** Fit-only (parameter) uncertainty per bin (= predictionErr). */
  fitErr: number[];
  /** Every fit the strategy tried, in order. */
  attempts: FitAttempt[];
  strategy: FitStrategyName;
  /** Statistic behind chi2/pvalue. */
  gof: FitGof;
}

export interface WindowSignificanceResult extends SignificanceResult {
  /** Set when z was not computed: why. */
  reason?: string;
}

export interface WindowAnalysis {
  fit: WindowFitResult;
  significance: WindowSignificanceResult;
  /** Why the window cannot be trusted (empty: valid as far as the histogram tells). */
  invalid: Array<{ reason: ValidityReason; detail: string }>;
}

/** p-value below which the bins next to the SR are said to be badly described. */
const ADJACENT_PVALUE = 0.01;
/** SB bins on each side of the SR that the adjacency check starts from (merged up to ≥ 5 expected events). */
const ADJACENT_BINS = 2;
/** Fewest SB bins below a 2024-style SR for it to be interpolated rather than extrapolated. */
const MIN_LOW_SB_BINS = 2;

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
      status: 'failed',
      reason,
      detail: reason,
      fitErr: new Array<number>(nb).fill(0),
      attempts: [],
      strategy,
      gof: 'merged',
    },
    significance: { observed, expected: 0, expectedErr: 0, reason },
    invalid: [{ reason: 'fit_failed', detail: reason }],
  };
}

/** Finite number or 0, so results stay JSON-serializable (JSON has no NaN/∞). */
const finite = (v: number): number => (Number.isFinite(v) ? v : 0);
const finiteAttempt = (a: FitAttempt): FitAttempt => ({ ...a, chi2: finite(a.chi2), pvalue: finite(a.pvalue) });

export function analyseWindowHistogram(input: WindowHistogramInput): WindowAnalysis {
  const strategy = input.strategy ?? 'atlas2024';
  const nb = input.counts?.length ?? 0;
  try {
    const { edges, counts, sr } = input;
    if (!edges || !counts || edges.length !== nb + 1) {
      return emptyResult(nb, strategy, `bad histogram: ${edges?.length ?? 0} edges for ${nb} bins (need bins + 1)`);
    }
    if (input.srCountVariance !== undefined && !(input.srCountVariance >= 0))
      return emptyResult(nb, strategy, `bad histogram: SR count variance ${input.srCountVariance}`);
    if (!sr || !(sr[1] > sr[0])) return emptyResult(nb, strategy, `bad signal region [${sr?.[0]}, ${sr?.[1]}]`);
    const lo = edges.subarray(0, nb),
      hi = edges.subarray(1, nb + 1);
    for (let i = 0; i < nb; i++) {
      if (!(hi[i]! > lo[i]!)) return emptyResult(nb, strategy, `bad histogram: edges not increasing at bin ${i}`);
      if (!(counts[i]! >= 0) || counts[i] === Infinity)
        return emptyResult(nb, strategy, `bad histogram: count ${counts[i]} in bin ${i}`);
    }
    const inSr = (i: number) => lo[i]! < sr[1] && hi[i]! > sr[0];
    let observed = 0;
    for (let i = 0; i < nb; i++) if (inSr(i)) observed += counts[i]!;

    // 1. Fit range above the turn-on.
    const invalid: WindowAnalysis['invalid'] = [];
    const fitFrom = input.fitFrom ?? -Infinity;
    const fitSr = input.fitSr ?? sr;
    if (fitFrom > fitSr[0]) {
      invalid.push({
        reason: 'turn_on_in_range',
        detail: `the spectrum turns on below ${Math.round(fitFrom)} GeV, above the start of the fitted SR (${fitSr[0]} GeV)`,
      });
    } else if (strategy !== 'atlas2020') {
      let below = 0;
      for (let i = 0; i < nb; i++) if (hi[i]! <= fitSr[0] && lo[i]! >= fitFrom - 1e-9) below++;
      const lowSide = lo[0]! < fitSr[0];
      if (lowSide && below < MIN_LOW_SB_BINS) {
        invalid.push({
          reason: 'turn_on_in_range',
          detail: `${below} sideband bin(s) below the SR above the turn-on at ${Math.round(fitFrom)} GeV (need ${MIN_LOW_SB_BINS})`,
        });
      }
    }

    // 2. Fit strategy.
    const spec = { lo, hi, counts };
    const res = runFitStrategy(spec, {
      strategy,
      functions: input.functions,
      sr: fitSr,
      sqrtS: input.sqrtS,
      objective: input.objective,
      ...(Number.isFinite(fitFrom) ? { fitRange: [fitFrom, Infinity] as [number, number] } : {}),
      ...(input.warmStart ? { init: { [input.warmStart.function]: input.warmStart.params } } : {}),
    });
    const fit = res.fit;
    if (!fit || !Number.isFinite(fit.objectiveValue)) {
      const out = emptyResult(nb, strategy, res.reason, observed);
      out.fit.attempts = res.attempts.map(finiteAttempt);
      out.invalid.unshift(...invalid);
      return out;
    }
    const m = fit.fn.nParams;
    const accepted = fit.converged && res.accepted;
    const fitResult: WindowFitResult = {
      function: fit.fn.name,
      params: Array.from(fit.params, finite),
      covariance: toNested(fit.covariance, m).map((r) => r.map(finite)),
      chi2: finite(fit.chi2),
      ndf: fit.ndf,
      pvalue: finite(fit.pvalue),
      sbRange: res.sbRange,
      prediction: Array.from(fit.prediction, finite),
      predictionErr: Array.from(fit.fitErr, finite),
      converged: accepted,
      status: accepted ? 'ok' : 'failed',
      reason: res.reason,
      detail: accepted ? `${fit.status}; ${res.reason}` : res.reason,
      fitErr: Array.from(fit.fitErr, finite),
      attempts: res.attempts.map(finiteAttempt),
      strategy,
      gof: fit.gof,
      ...(Number.isFinite(fitFrom) ? { fitFrom } : {}),
    };
    if (!accepted) invalid.push({ reason: 'fit_failed', detail: res.reason });

    // 3. The bins next to the SR.
    if (accepted) {
      const adj = adjacentCheck(counts, fit.prediction, res.fitMask, fitSr, lo, hi, fit.fitErr);
      fitResult.adjacent = adj;
      if (adj.ndf > 0 && adj.pvalue < ADJACENT_PVALUE) {
        invalid.push({
          reason: 'poor_fit_near_sr',
          detail: `χ² ${adj.chi2.toFixed(1)}/${adj.ndf} (p = ${adj.pvalue.toPrecision(2)}) in the sideband bins next to the SR`,
        });
      }
    }

    // 5. Significance of the merged SR bin.
    let expected = 0;
    for (let i = 0; i < nb; i++) if (inSr(i)) expected += fit.prediction[i]!;
    const expectedErr = Math.sqrt(sumVariance(fit, inSr));
    const observedVariance = input.srCountVariance ?? observed;
    // 4. Spurious signal of the chosen function (needs the SR prediction).
    if (accepted && expected > 0)
      fitResult.spurious = spuriousSignal(spec, fit, res.fitMask, inSr, expected, expectedErr, input);
    const perBin = Array.from(perBinSignificance(counts, fit.prediction), finite);
    const base = {
      observed,
      expected: finite(expected),
      expectedErr: finite(expectedErr),
      observedVariance: finite(observedVariance),
      perBin,
    };
    if (!accepted)
      return { fit: fitResult, significance: { ...base, reason: `no accepted fit: ${res.reason}` }, invalid };
    if (!(expected > 0)) {
      const reason = 'no signal-region bins (SR outside the histogram)';
      invalid.push({ reason: 'fit_failed', detail: reason });
      return { fit: fitResult, significance: { ...base, reason }, invalid };
    }
    // Scale the counts so the observed one is Poisson-like with its own variance (see the header).
    const c = observed > 0 && observedVariance > 0 ? observed / observedVariance : 1;
    const d = zLogNormalConstraint(c * observed, c * expected, c * expectedErr);
    return { fit: fitResult, significance: { ...base, z: finite(d.z), p: finite(d.p) }, invalid };
  } catch (err) {
    return emptyResult(nb, strategy, `analysis failed: ${(err as Error).message}`);
  }
}

/**
 * χ² of the fitted sideband bins nearest the SR, ADJACENT_BINS on each side merged into one group per side (and
 * grown outwards until it expects ≥ 5 events), with the fit uncertainty of each group's prediction included.
 */
function adjacentCheck(
  counts: Float64Array,
  prediction: Float64Array,
  fitMask: Uint8Array,
  sr: [number, number],
  lo: Float64Array,
  hi: Float64Array,
  fitErr: Float64Array,
): { chi2: number; ndf: number; pvalue: number } {
  const nb = counts.length;
  const below: number[] = [],
    above: number[] = [];
  for (let i = nb - 1; i >= 0; i--) if (fitMask[i] && hi[i]! <= sr[0]) below.push(i);
  for (let i = 0; i < nb; i++) if (fitMask[i] && lo[i]! >= sr[1]) above.push(i);
  let chi2 = 0,
    ndf = 0;
  for (const side of [below, above]) {
    let n = 0,
      mu = 0,
      err2 = 0,
      k = 0;
    for (const i of side) {
      n += counts[i]!;
      mu += prediction[i]!;
      err2 += fitErr[i]! ** 2; // bins' fit errors are positively correlated: a sum of squares underestimates, safe side
      k++;
      if (k >= ADJACENT_BINS && mu >= 5) break;
    }
    if (k === 0 || !(mu > 0)) continue;
    chi2 += (n - mu) ** 2 / (mu + err2);
    ndf++;
  }
  return { chi2, ndf, pvalue: ndf > 0 ? chi2Sf(chi2, ndf) : Number.NaN };
}

/**
 * The SR prediction of an alternative function fitted to the same sideband bins, minus the chosen function's: the
 * bias that the choice of function alone could put into the background estimate (a spurious-signal test).
 */
function spuriousSignal(
  spec: { lo: Float64Array; hi: Float64Array; counts: Float64Array },
  fit: BinnedFit,
  fitMask: Uint8Array,
  inSr: (i: number) => boolean,
  expected: number,
  expectedErr: number,
  input: WindowHistogramInput,
): { function: string; events: number; relative: number } | undefined {
  const chosen = fit.fn.name;
  const list = input.functions?.length ? input.functions : [];
  const next = list[list.indexOf(chosen) + 1];
  const altName =
    next ??
    (chosen.endsWith('d') ? (chosen === 'dijet4d' ? 'dijet3d' : 'dijet4d') : chosen === 'dijet5' ? 'dijet4' : 'dijet5');
  let alt: BinnedFit;
  try {
    alt = fitBinned(fitFunction(altName), spec, { use: fitMask, sqrtS: input.sqrtS, objective: input.objective });
  } catch {
    return undefined;
  }
  if (!alt.converged) return undefined;
  let b = 0;
  for (let i = 0; i < spec.counts.length; i++) if (inSr(i)) b += alt.prediction[i]!;
  const events = b - expected;
  return { function: altName, events: finite(events), relative: finite(expectedErr > 0 ? events / expectedErr : 0) };
}
