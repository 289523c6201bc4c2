/**
 * Trigger emulation for generated events: a leading-jet pT threshold and, optionally, an mjj-dependent efficiency
 * (an error-function turn-on). Real dijet data are recorded through such a trigger, so their mjj spectrum rises
 * before it falls: the kinematic turn-on of a pT threshold sits near mjj ≈ 2 pT cosh(|Δy|/2). Tests and
 * validation runs use it to make spectra that turn on inside the shipped windows, which a falling dijet function
 * cannot describe (seed 001 requires the fit range to start where the trigger is fully efficient).
 *
 * Events failing the trigger are dropped from the batch (never recorded), so a run's `read` counts recorded
 * events. The efficiency draws come from their own seeded stream, one draw per generated event, so the recorded
 * stream is the same for every batch size.
 */
import type { EventBatch } from '../events/batch.js';
import { SidebandError } from '../events/errors.js';
import { Xoshiro128 } from './generator-random.js';

export interface TriggerEmulation {
  /** Leading-jet pT threshold (GeV): events whose higher-pT jet is below it are not recorded. */
  leadingJetPt?: number;
  /** Efficiency ε(mjj) = ½(1 + erf((mjj − m50)/(√2·width))): mjj at 50 % and the width of the turn-on (GeV). */
  mjjEfficiency?: { m50: number; width: number };
}

export function validateTrigger(t: TriggerEmulation): void {
  if (t.leadingJetPt !== undefined && !(t.leadingJetPt >= 0))
    throw new SidebandError(`generator trigger: leadingJetPt must be ≥ 0 GeV (got ${t.leadingJetPt})`);
  const e = t.mjjEfficiency;
  if (e && !(e.m50 > 0 && e.width > 0))
    throw new SidebandError(`generator trigger: mjjEfficiency needs m50 > 0 and width > 0 (got ${e.m50}, ${e.width})`);
}

/** The filter of one generated stream: keeps the recorded events of each batch, in order. */
export class TriggerFilter {
  private readonly rng: Xoshiro128;

  constructor(
    private readonly trigger: TriggerEmulation,
    seed: number,
  ) {
    validateTrigger(trigger);
    this.rng = new Xoshiro128(seed, 3);
  }

  /** The batch with only the events that pass (compacted; the batch's positions still cover every row). */
  apply(batch: EventBatch): EventBatch {
    const n = batch.length;
    const pt1 = batch.columns.jet1_pt!,
      pt2 = batch.columns.jet2_pt!,
      mjj = batch.columns.mjj!;
    const thr = this.trigger.leadingJetPt ?? 0;
    const eff = this.trigger.mjjEfficiency;
    const keep = new Uint32Array(n);
    let k = 0;
    // Hot: one pass over the generated events; one uniform draw per event when an efficiency is set.
    for (let i = 0; i < n; i++) {
      const u = eff ? this.rng.uniform() : 0;
      if (Math.max(pt1[i]!, pt2[i]!) < thr) continue;
      if (eff && u >= 0.5 * (1 + erf((mjj[i]! - eff.m50) / (Math.SQRT2 * eff.width)))) continue;
      keep[k++] = i;
    }
    if (k === n) return batch;
    const columns: EventBatch['columns'] = {};
    for (const [name, c] of Object.entries(batch.columns)) {
      const out = new Float32Array(k);
      for (let j = 0; j < k; j++) out[j] = c[keep[j]!]!;
      columns[name] = out;
    }
    const out: EventBatch = { length: k, columns, positions: batch.positions };
    if (batch.label) out.label = Uint8Array.from(keep.subarray(0, k), (i) => batch.label![i]!);
    return out;
  }
}

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): plenty for an efficiency curve, and cheap in the hot loop. */
function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
