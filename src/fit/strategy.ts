/**
 * Fit strategies: which bins are the sideband, which functions are tried in which order, and how the sideband
 * shrinks when no function describes it.
 *
 * - atlas2024 (seed 000 §V.D.1): the SR is masked; the functions are tried in order until the SB χ² p-value
 *   exceeds 0.05; if none does, the SB bin furthest from the SR is dropped on each side and the functions are
 *   tried again; the fit fails once the SB has fewer than six bins.
 * - atlas2020 (seed 001): the fit sideband is the complement of the fit signal region inside the histogram; if
 *   no function passes, the sideband's outer boundaries move 400 GeV inwards on both sides and the functions are
 *   tried again, down to the same six-bin floor. The fit SR is masked here too (seed 001 evaluates the fit
 *   quality in the sideband; masking keeps a signal in the SR from pulling the background prediction).
 * - single: one function on the whole sideband, no iteration (the fit is accepted whatever its p-value).
 *
 * The SB p-value is the merged χ² where the sideband has more groups expecting ≥ 5 events than parameters, and the
 * deviance against refitted toys where it has not (binned-fit.ts), so a sparse sideband is judged, not skipped.
 */
import {
  fitBinned,
  type BinnedFit,
  type BinnedSpectrum,
  type FitObjective,
  type FitGof,
  type GoodnessOfFit,
} from './binned-fit.js';
import { fitFunction, type DecorrelationConstants } from './functions.js';

export type FitStrategyName = 'atlas2024' | 'atlas2020' | 'single';

export interface FitStrategyOptions {
  strategy?: FitStrategyName;
  /** Functions in the order they are tried. Default: dijet3, dijet4, ua2 (2024); dijet3d, dijet4d, ua2d (2020). */
  functions?: string[];
  /** Signal region [lo, hi) in GeV; every bin overlapping it is masked. */
  sr: [number, number];
  /** mjj range [lo, hi) (GeV) the fit may use at all, e.g. above a trigger turn-on; bins outside are never fitted. */
  fitRange?: [number, number];
  sqrtS?: number;
  objective?: FitObjective;
  /** Statistic of the SB p-value criterion (default auto: Pearson χ², or the deviance for sparse sidebands). */
  gof?: GoodnessOfFit;
  /** SB χ² p-value a fit must exceed (default 0.05). */
  pvalueThreshold?: number;
  /** Fewest SB bins a fit may use (default 6). */
  minSidebandBins?: number;
  /** atlas2020: how far each outer SB boundary moves per iteration, GeV (default 400). */
  shrinkGeV?: number;
  decorrelation?: DecorrelationConstants;
  /** Starting parameters per function name (a previous fit: online refits), tried before the usual starts. */
  init?: Record<string, ArrayLike<number>>;
}

export interface FitAttempt {
  function: string;
  sbRange: [number, number];
  sidebandBins: number;
  chi2: number;
  ndf: number;
  pvalue: number;
  gof: FitGof;
  converged: boolean;
  /** Minimizer status of this attempt ("converged", or why not). */
  status: string;
}

export interface StrategyResult {
  /** The accepted fit, or when none was accepted the attempt with the best p-value (null if none ran). */
  fit: BinnedFit | null;
  /** Bins used by that fit (1 = SB bin fitted). */
  fitMask: Uint8Array;
  /** Bins inside the SR (1 = masked as SR). */
  srMask: Uint8Array;
  sbRange: [number, number];
  accepted: boolean;
  /** Why the strategy stopped where it did. */
  reason: string;
  attempts: FitAttempt[];
}

export const DEFAULT_FUNCTIONS: Record<FitStrategyName, string[]> = {
  atlas2024: ['dijet3', 'dijet4', 'ua2'],
  atlas2020: ['dijet3d', 'dijet4d', 'ua2d'],
  single: ['dijet4'],
};

function rangeOf(spec: BinnedSpectrum, mask: Uint8Array): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < mask.length; i++)
    if (mask[i]) {
      lo = Math.min(lo, spec.lo[i]!);
      hi = Math.max(hi, spec.hi[i]!);
    }
  return Number.isFinite(lo) ? [lo, hi] : [0, 0];
}

/** Run a fit strategy over a histogram. Never throws on poor data; malformed edges throw from fitBinned. */
export function runFitStrategy(spec: BinnedSpectrum, options: FitStrategyOptions): StrategyResult {
  const strategy = options.strategy ?? 'atlas2024';
  const functions = options.functions?.length ? options.functions : DEFAULT_FUNCTIONS[strategy];
  const fns = functions.map((f) => fitFunction(f, options.decorrelation));
  const thr = options.pvalueThreshold ?? 0.05;
  const minBins = options.minSidebandBins ?? 6;
  const nb = spec.counts.length;
  const [srLo, srHi] = options.sr;
  const srMask = new Uint8Array(nb);
  const low: number[] = [],
    high: number[] = [];
  const [rangeLo, rangeHi] = options.fitRange ?? [-Infinity, Infinity];
  for (let i = 0; i < nb; i++) {
    if (spec.lo[i]! < srHi && spec.hi[i]! > srLo) srMask[i] = 1;
    else if (spec.lo[i]! < rangeLo - 1e-9 || spec.hi[i]! > rangeHi + 1e-9) continue;
    else if (spec.hi[i]! <= srLo) low.push(i);
    else high.push(i);
  }
  const attempts: FitAttempt[] = [];
  let best: { fit: BinnedFit; mask: Uint8Array } | null = null;
  const fitOpts = { sqrtS: options.sqrtS, objective: options.objective, gof: options.gof };

  const tryAll = (mask: Uint8Array, nSb: number): { fit: BinnedFit; mask: Uint8Array } | null => {
    const range = rangeOf(spec, mask);
    for (const fn of strategy === 'single' ? fns.slice(0, 1) : fns) {
      const init = options.init?.[fn.name];
      const fit = fitBinned(fn, spec, { ...fitOpts, use: mask, ...(init ? { init } : {}) });
      attempts.push({
        function: fn.name,
        sbRange: range,
        sidebandBins: nSb,
        chi2: fit.chi2,
        ndf: fit.ndf,
        pvalue: fit.pvalue,
        gof: fit.gof,
        converged: fit.converged,
        status: fit.status,
      });
      if (fit.converged && (!best?.fit.converged || fit.pvalue > best.fit.pvalue)) best = { fit, mask };
      if (!best && Number.isFinite(fit.objectiveValue)) best = { fit, mask };
      if (fit.converged && (strategy === 'single' || fit.pvalue > thr)) return { fit, mask };
    }
    return null;
  };
  const maskOf = (bins: number[]): Uint8Array => {
    const m = new Uint8Array(nb);
    for (const i of bins) m[i] = 1;
    return m;
  };
  const done = (r: { fit: BinnedFit; mask: Uint8Array }, reason: string): StrategyResult => ({
    fit: r.fit,
    fitMask: r.mask,
    srMask,
    sbRange: rangeOf(spec, r.mask),
    accepted: true,
    reason,
    attempts,
  });

  if (strategy === 'atlas2020') {
    const sb = [...low, ...high];
    const lo0 = sb.length ? spec.lo[sb[0]!]! : 0,
      hi0 = sb.length ? spec.hi[sb[sb.length - 1]!]! : 0;
    const shrink = options.shrinkGeV ?? 400;
    for (let k = 0; ; k++) {
      const a = lo0 + k * shrink,
        b = hi0 - k * shrink;
      const bins = sb.filter((i) => spec.lo[i]! >= a - 1e-9 && spec.hi[i]! <= b + 1e-9);
      if (bins.length < minBins) break;
      const r = tryAll(maskOf(bins), bins.length);
      if (r)
        return done(r, `accepted ${r.fit.fn.name} after shrinking the sideband ${k} time(s) by ${shrink} GeV per side`);
      if (k > 0 && bins.length === sb.length) break;
    }
  } else {
    let l = low.slice(),
      h = high.slice(),
      k = 0;
    while (l.length + h.length >= minBins) {
      const r = tryAll(maskOf([...l, ...h]), l.length + h.length);
      if (r) {
        return done(
          r,
          strategy === 'single'
            ? `single ${r.fit.fn.name} fit (SB p-value ${r.fit.pvalue.toPrecision(3)})`
            : `accepted ${r.fit.fn.name} after dropping ${k} outer SB bin(s) per side`,
        );
      }
      if (strategy === 'single') break;
      if (l.length === 0 && h.length === 0) break;
      // Drop the SB bin furthest from the SR on each side that still has one.
      if (l.length) l = l.slice(1);
      if (h.length) h = h.slice(0, -1);
      k++;
    }
  }
  const b = best as { fit: BinnedFit; mask: Uint8Array } | null;
  const nSb = low.length + high.length;
  const reason =
    attempts.length === 0
      ? `fit failed: only ${nSb} sideband bin(s), fewer than ${minBins}`
      : `fit failed: no function reached SB χ² p-value > ${thr} before the sideband fell below ${minBins} bins` +
        (b
          ? ` (best: ${b.fit.fn.name}, ${
              Number.isNaN(b.fit.pvalue)
                ? `untestable: ${b.fit.merged.groups} group(s) of bins expecting ≥ 5 events for ${b.fit.params.length} parameters${
                    b.fit.gof === 'toys' && b.fit.converged ? ' and fewer than half the deviance toys refitted' : ''
                  }`
                : `p = ${b.fit.pvalue.toPrecision(3)}`
            }, ${b.fit.status})`
          : ` (last attempt: ${attempts[attempts.length - 1]!.status})`);
  return {
    fit: b ? b.fit : null,
    fitMask: b ? b.mask : new Uint8Array(nb),
    srMask,
    sbRange: b ? rangeOf(spec, b.mask) : [0, 0],
    accepted: false,
    reason,
    attempts,
  };
}
