/**
 * Working points: a selection efficiency ε becomes a score threshold per cross-validation fold, so that the top ε
 * of the fold's signal-region events pass (seed 000 §V.C: ε = 0.1, 0.02; seed 001: ε = 0.1, 0.01). CMS's variant
 * (seed 003) takes the threshold from the sideband events instead, which keeps the SB efficiency fixed.
 */
import { SidebandError } from '../events/errors.js';
export const DEFAULT_WORKING_POINTS = [0.1, 0.02, 0.01] as const;

/**
 * The score threshold t such that a fraction ε of `reference` has score >= t (ties resolved so that at most
 * ceil(ε·n) pass). Returns +Infinity when the reference is empty.
 */
export function thresholdForEfficiency(reference: ArrayLike<number>, eps: number): number {
  if (!(eps > 0 && eps <= 1)) throw new SidebandError(`working point: efficiency must be in (0, 1] (got ${eps})`);
  const n = reference.length;
  if (n === 0) return Infinity;
  const sorted = Float64Array.from(reference).sort(); // ascending
  const keep = Math.max(1, Math.round(eps * n));
  return sorted[n - keep]!;
}

/** Which rows pass a score threshold (score >= threshold), as a 0/1 mask. */
export function passMask(scores: ArrayLike<number>, threshold: number): Uint8Array {
  const m = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) m[i] = scores[i]! >= threshold ? 1 : 0;
  return m;
}
