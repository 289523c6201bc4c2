/**
 * Calibration of local significances (seed 000 §V.D.4, the nonclosure correction, generalised). `sideband
 * validate` runs a topology over signal-free pseudo-datasets and records, per window and working point, the mean
 * and the spread of Z; later runs of the topology apply them:
 *   - `standardize` (default): Z = (Z_raw − mean) / std, so that signal-free Z has mean 0 and width 1: the
 *     p-value Φ(−Z) is then what it says, and a selection whose raw Z is too narrow gets its sensitivity back;
 *   - `seed000`: as the seed does it, the mean is subtracted only when positive and only down to zero, and the
 *     width is left alone.
 * A window whose closure failed on the samples the calibration was made from (seed 000 §V.E: valid when the
 * median Z is below 1 and the spread below 1) is invalid (`failed_closure`).
 */
import { normalCdf } from '../stats/special.js';

export type CalibrationMode = 'standardize' | 'seed000';

export interface CalibrationEntry {
  mean: number;
  std: number;
  median: number;
  spread: number;
  samples: number;
  /** Seed 000's validation on these samples: median < 1 and spread < 1, the spread within its sampling error. */
  closure: boolean;
  /** Seed 000's criterion read literally (median < 1 and spread < 1), for the record. */
  closureStrict?: boolean;
}

export interface Calibration {
  kind: 'sideband-calibration';
  version: 1;
  topology: string;
  /** sha256 of the analysis blocks of the topology the calibration was made for (topology/analysis-hash.ts). */
  topologyHash?: string;
  /** Where the signal-free samples came from (generator, down-up, control). */
  source: string;
  samples: number;
  mode: CalibrationMode;
  createdAt: string;
  /** window id → working-point label (calibrationKey) → entry. */
  windows: Record<string, Record<string, CalibrationEntry>>;
}

/** The key of a working point in a calibration: the ε as a decimal, or "inclusive". */
export function calibrationKey(workingPoint: number | null): string {
  return workingPoint === null ? 'inclusive' : String(workingPoint);
}

/** The calibrated significance for one entry. */
export function calibrate(zRaw: number, entry: CalibrationEntry, mode: CalibrationMode): number {
  if (mode === 'seed000') {
    if (!(entry.mean > 0) || zRaw <= 0) return zRaw;
    return Math.max(zRaw - entry.mean, 0);
  }
  return entry.std > 0 ? (zRaw - entry.mean) / entry.std : zRaw - entry.mean;
}

/** Median and spread (population standard deviation), and the mean, of a set of Z values. */
export function zMoments(zs: number[]): { mean: number; std: number; median: number; spread: number } {
  const n = zs.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, median: Number.NaN, spread: Number.NaN };
  const sorted = [...zs].sort((a, b) => a - b);
  const median = n % 2 ? sorted[(n - 1) >> 1]! : 0.5 * (sorted[n / 2 - 1]! + sorted[n / 2]!);
  const mean = zs.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(zs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  return { mean, std, median, spread: std };
}

/** Fewest valid samples for seed 000's criterion to be judged at all. */
export const MIN_CLOSURE_SAMPLES = 5;

/**
 * A calibration entry from signal-free Z values, with seed 000's closure rule (too few samples fail it). The
 * seed's "spread < 1" was made for a significance narrower than a standard normal; a calibrated one has spread 1,
 * and 20 samples measure a spread only to ±0.16, so read literally the rule would fail half of the good windows
 * by chance. The spread is therefore judged within twice its sampling error, 1/√(2(n − 1)); the literal reading
 * is kept as `closureStrict`.
 */
export function calibrationEntry(zs: number[]): CalibrationEntry {
  const m = zMoments(zs);
  const entry = { ...m, samples: zs.length };
  return {
    ...entry,
    closure: passesClosure(entry),
    closureStrict: entry.samples >= MIN_CLOSURE_SAMPLES && m.median < 1 && m.spread < 1,
  };
}

/** Seed 000's criterion on an entry's numbers, the spread within twice its sampling error (see above). */
export function passesClosure(e: Pick<CalibrationEntry, 'median' | 'spread' | 'samples'>): boolean {
  if (!(e.samples >= MIN_CLOSURE_SAMPLES)) return false;
  return e.median < 1 && e.spread < 1 + 2 / Math.sqrt(2 * (e.samples - 1));
}

/** Issue 10's per-window target for a calibrated Z: mean within ±0.2 of 0, width 0.85–1.15. */
export const CALIBRATION_TARGET = { mean: 0.2, width: [0.85, 1.15] as const };

/**
 * How a calibrated Z's measured mean and width compare with a perfect calibration, given the samples both were
 * measured on. A calibration made from nCal samples and checked on n fresh ones leaves the calibrated mean
 * N(0, 1/n + 1/nCal) and the log of the width N(0, 1/(2(n − 1)) + 1/(2(nCal − 1))) for a Gaussian Z, so:
 *   - `meanPull`, `widthPull`: the measured mean and log-width in those standard errors;
 *   - `consistent`: both pulls within 2;
 *   - `pInTarget`: the chance a perfectly calibrated Z lands in CALIBRATION_TARGET at these sample sizes. At
 *     n = nCal = 20 it is 0.23: the literal per-window target cannot be judged on 20 samples, and a count of
 *     windows in it is read against this expectation.
 */
export function calibrationConsistency(
  mean: number,
  width: number,
  n: number,
  nCal: number,
): { meanPull: number; widthPull: number; consistent: boolean; pInTarget: number } {
  const sMean = Math.sqrt(1 / n + 1 / nCal);
  const sLogWidth = Math.sqrt(1 / (2 * (n - 1)) + 1 / (2 * (nCal - 1)));
  const meanPull = mean / sMean;
  const widthPull = Math.log(width) / sLogWidth;
  const pMean = 1 - 2 * normalCdf(-CALIBRATION_TARGET.mean / sMean);
  const [lo, hi] = CALIBRATION_TARGET.width;
  const pWidth = normalCdf(Math.log(hi) / sLogWidth) - normalCdf(Math.log(lo) / sLogWidth);
  return {
    meanPull,
    widthPull,
    consistent: Math.abs(meanPull) <= 2 && Math.abs(widthPull) <= 2,
    pInTarget: pMean * pWidth,
  };
}
