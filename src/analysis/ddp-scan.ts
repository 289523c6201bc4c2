/**
 * Per-bin significance scan of a binned mass spectrum behind one interface, so the fit-based reference and the
 * DDP network (seed 002) are interchangeable: `sideband ddp scan --model fit|FILE`, and later the streaming
 * operator that runs both on every histogram update.
 *
 * Every scanner returns, per bin, the DDP quantities of seed 002: z_PL for each signal width and their maximum
 * (the mixed-width target a DMFmw network predicts), plus the background it used or predicted.
 *  - fitScanner: the background is the project's dijet fit of the whole spectrum (fit/binned-fit.ts, binned
 *    Poisson likelihood); z_PL is computed over that background exactly as the training targets are
 *    (ddp-targets.ts); beside it the conventional per-bin Z of the spectrum's lower panel (stats/per-bin.ts).
 *  - knownBackgroundScanner: the same with a background given from outside (e.g. ATLAS's published fit).
 *  - znet3Scanner: the trained Znet3 network (ddp-znet3.ts) predicts the mixed-width z and the background from
 *    the counts alone (no per-width z: zByWidth is empty).
 * Bins are taken in index order (a width of w bins is w bins wherever the bins are wider), as the network sees
 * a histogram.
 */
import { fitBinned, type BinnedFit } from '../fit/binned-fit.js';
import { fitFunction } from '../fit/functions.js';
import { perBinSignificance } from '../stats/per-bin.js';
import { SidebandError } from '../events/errors.js';
import { DEFAULT_WIDTHS, zPlTargets } from './ddp-targets.js';
import type { Znet3 } from './ddp-znet3.js';

export interface MassHistogram {
  /** Bin edges, GeV. */
  lo: Float64Array;
  hi: Float64Array;
  counts: Float64Array;
}

export interface PerBinScan {
  /** Which scanner: 'fit', 'background', or the network file. */
  model: string;
  widths: number[];
  /** z_PL per width, per bin (one-sided, seed 002 §2.4). */
  zByWidth: Float64Array[];
  /** max over widths per bin (the DMFmw quantity). */
  zMixed: Float64Array;
  /** Background per bin the scan used (fit) or predicted (network). */
  background: Float64Array;
  /** Signed per-bin counting significance of the counts over that background (stats/per-bin.ts). */
  zCounting: Float64Array;
  /** Scanner-specific details (fit function, χ², p-value …), JSON-serialisable. */
  info: Record<string, unknown>;
}

export interface PerBinScanner {
  readonly name: string;
  scan(h: MassHistogram): PerBinScan;
}

function fromBackground(
  model: string,
  h: MassHistogram,
  background: Float64Array,
  widths: readonly number[],
  info: Record<string, unknown>,
): PerBinScan {
  const t = zPlTargets(h.counts, background, widths);
  return {
    model,
    widths: t.widths,
    zByWidth: t.zByWidth,
    zMixed: t.zMixed,
    background,
    zCounting: perBinSignificance(h.counts, background),
    info,
  };
}

/** Scan over a background given per bin (must be > 0 in every bin). */
export function knownBackgroundScanner(
  background: Float64Array,
  options: { widths?: readonly number[]; label?: string } = {},
): PerBinScanner {
  const widths = options.widths ?? DEFAULT_WIDTHS;
  return {
    name: 'background',
    scan(h) {
      if (background.length !== h.counts.length) {
        throw new SidebandError(`ddp scan: background has ${background.length} bins, the spectrum ${h.counts.length}`);
      }
      return fromBackground('background', h, background, widths, { background: options.label ?? 'given' });
    },
  };
}

interface FitAttempt {
  function: string;
  chi2: number;
  ndf: number;
  pvalue: number;
  converged: boolean;
  status: string;
}

export interface FitScannerOptions {
  /**
   * Dijet functions tried in order (functions.ts); the first whose χ² p-value exceeds `pvalueThreshold` is
   * taken, else the one with the best p-value. Default ['dijet4'].
   */
  functions?: readonly string[];
  pvalueThreshold?: number;
  sqrtS?: number;
  widths?: readonly number[];
}

/** Scan over the project's dijet fit of the whole spectrum. */
export function fitScanner(options: FitScannerOptions = {}): PerBinScanner {
  const fns = (options.functions ?? ['dijet4']).map((f) => fitFunction(f));
  if (fns.length === 0) throw new SidebandError('ddp scan (fit): no fit function given');
  const thr = options.pvalueThreshold ?? 0.05;
  const sqrtS = options.sqrtS ?? 13000;
  const widths = options.widths ?? DEFAULT_WIDTHS;
  return {
    name: 'fit',
    scan(h) {
      let best: BinnedFit | null = null;
      const attempts: FitAttempt[] = [];
      for (const fn of fns) {
        const fit = fitBinned(fn, { lo: h.lo, hi: h.hi, counts: h.counts }, { sqrtS, gof: 'pearson' });
        const { chi2, ndf, pvalue, converged, status } = fit;
        attempts.push({ function: fn.name, chi2, ndf, pvalue, converged, status });
        if (fit.converged && (!best || fit.pvalue > best.pvalue)) best = fit;
        if (fit.converged && fit.pvalue > thr) {
          best = fit;
          break;
        }
      }
      if (!best) {
        const why = attempts.map((a) => `${a.function}: ${a.status}`).join('; ');
        throw new SidebandError(`ddp scan (fit): no fit converged (${why})`);
      }
      for (let i = 0; i < best.prediction.length; i++) {
        if (!(best.prediction[i]! > 0)) {
          throw new SidebandError(`ddp scan (fit): ${best.fn.name} predicts ${best.prediction[i]} events in bin ${i}`);
        }
      }
      return fromBackground('fit', h, Float64Array.from(best.prediction), widths, {
        function: best.fn.name,
        formula: best.fn.formula,
        params: Array.from(best.params),
        chi2: best.chi2,
        ndf: best.ndf,
        pvalue: best.pvalue,
        gof: best.gof,
        fitErr: Array.from(best.fitErr),
        attempts,
      });
    },
  };
}

/** Scan with a trained Znet3 (one forward pass; the widths are those the model was trained on). */
export function znet3Scanner(
  model: Znet3,
  options: { label?: string; widths?: readonly number[] } = {},
): PerBinScanner {
  const label = options.label ?? 'znet3';
  const widths = [...(options.widths ?? DEFAULT_WIDTHS)];
  const offsets = new Int32Array(2);
  return {
    name: 'znet3',
    scan(h) {
      offsets[1] = h.counts.length;
      const p = model.predict({ counts: h.counts, offsets });
      const outside = model.outsideDomain(h.counts);
      return {
        model: label,
        widths,
        zByWidth: [],
        zMixed: Float64Array.from(p.z),
        background: p.background,
        zCounting: perBinSignificance(h.counts, p.background),
        info: {
          network: 'znet3',
          model: label,
          valid: outside === undefined,
          ...(outside ? { invalid: `outside the training domain: ${outside}` } : {}),
          ...trainedInfo(model),
        },
      };
    },
  };
}

function trainedInfo(model: Znet3): Record<string, unknown> {
  const ex = (model.saved.extra ?? {}) as Record<string, unknown>;
  return { seed: ex.seed, epochs: ex.epoch, config: ex.config, trainingSeconds: ex.seconds };
}
