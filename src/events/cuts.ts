import type { EventBatch } from './batch.js';
import type { CutFlowEntry } from './result.js';
import { SidebandError } from './errors.js';

/**
 * A declarative cut: every listed feature (or |feature| with `abs`) must lie in [min, max). Several features in
 * one cut express "both jets", as in seed 000 Table I.
 */
export interface Cut {
  name: string;
  features: string[];
  min?: number;
  max?: number;
  abs?: boolean;
}

/** Seed 000 (ATLAS 2024) Table I: the signal-region-agnostic event selection. Masses and momenta in GeV. */
export const ATLAS2024_CUTS: Cut[] = [
  { name: 'leading jet pT > 500 GeV', features: ['jet1_pt'], min: 500 },
  { name: 'subleading jet pT > 200 GeV', features: ['jet2_pt'], min: 200 },
  { name: 'jet |eta| < 2.0 (both)', features: ['jet1_eta', 'jet2_eta'], abs: true, max: 2.0 },
  { name: '30 < jet mass < 3500 GeV (both)', features: ['jet1_m', 'jet2_m'], min: 30, max: 3500 },
  { name: '|delta y| < 1.2', features: ['delta_y'], abs: true, max: 1.2 },
];

/** The inverted-|Δy| control region of seed 000: same cuts with |Δy| > 1.2 (s-channel signal depleted). */
export const ATLAS2024_CONTROL_CUTS: Cut[] = [
  ...ATLAS2024_CUTS.slice(0, 4),
  { name: '|delta y| > 1.2 (control)', features: ['delta_y'], abs: true, min: 1.2 },
];

/**
 * Seed 003 (CMS 2024) preselection: two wide jets with pT > 300 GeV inside the tracker, |eta| < 2.5; the signal
 * region is |Δη| < 1.3 (s-channel resonances are central).
 */
const CMS2024_PRESELECTION: Cut[] = [
  { name: 'jet pT > 300 GeV (both)', features: ['jet1_pt', 'jet2_pt'], min: 300 },
  { name: 'jet |eta| < 2.5 (both)', features: ['jet1_eta', 'jet2_eta'], abs: true, max: 2.5 },
];

export const CMS2024_CUTS: Cut[] = [
  ...CMS2024_PRESELECTION,
  { name: '|delta eta| < 1.3', features: ['delta_eta'], max: 1.3 },
];

/**
 * Seed 003's control region (backup, "Full Control Region Selection"): 2.0 < |Δη| < 2.5 and (pT asymmetry > 0.1 or
 * A outside [0.95, 1]), which suppress a resonance at least tenfold. The third condition, no extra jet with
 * pT > 300 GeV, needs a third jet the dijet columns do not carry; a source that has one adds it as a cut.
 */
export const CMS2024_CONTROL_CUTS: Cut[] = [
  ...CMS2024_PRESELECTION,
  { name: '2.0 < |delta eta| < 2.5 (control)', features: ['delta_eta'], min: 2.0, max: 2.5 },
  { name: 'pT asymmetry > 0.1 or A outside [0.95, 1]', features: ['cms_unbalanced'], min: 1 },
];

export const CUT_PRESETS: Record<string, Cut[]> = {
  atlas2024: ATLAS2024_CUTS,
  'atlas2024-control': ATLAS2024_CONTROL_CUTS,
  cms2024: CMS2024_CUTS,
  'cms2024-control': CMS2024_CONTROL_CUTS,
  none: [],
};

/** Features a cut list reads (so the derive stage computes them). */
export function cutFeatures(cuts: Cut[]): string[] {
  return [...new Set(cuts.flatMap((c) => c.features))];
}

/**
 * Where a cut list must pause for derived features: the index of the first cut that reads a feature `isDerived`
 * says is computed, not read. Cuts before it run on source columns alone, so the expensive derived features are
 * computed only for the events that survive them.
 */
export function firstDerivedCut(cuts: Cut[], isDerived: (feature: string) => boolean): number {
  const k = cuts.findIndex((c) => c.features.some(isDerived));
  return k < 0 ? cuts.length : k;
}

/**
 * Apply cuts in order, narrowing the batch's selection index list; returns events passing after each cut.
 * Hot: one tight loop per cut over the surviving indices, compacting in place.
 */
export function applyCuts(batch: EventBatch, cuts: Cut[]): number[] {
  // Without a selection yet, the first pass reads the events in order and writes the list (no identity list).
  let all = !batch.selection;
  const sel = batch.selection ? batch.selection.slice() : new Uint32Array(batch.length);
  let n = sel.length;
  const passed: number[] = [];
  for (const cut of cuts) {
    const lo = cut.min ?? -Infinity,
      hi = cut.max ?? Infinity;
    for (const f of cut.features) {
      const c = batch.columns[f];
      if (!c)
        throw new SidebandError(`cut '${cut.name}': no column '${f}' (have: ${Object.keys(batch.columns).join(', ')})`);
      let k = 0;
      if (all) {
        all = false;
        if (cut.abs) {
          for (let i = 0; i < n; i++) {
            const v = Math.abs(c[i]!);
            if (v >= lo && v < hi) sel[k++] = i;
          }
        } else {
          for (let i = 0; i < n; i++) {
            const v = c[i]!;
            if (v >= lo && v < hi) sel[k++] = i;
          }
        }
      } else if (cut.abs) {
        for (let j = 0; j < n; j++) {
          const i = sel[j]!;
          const v = Math.abs(c[i]!);
          if (v >= lo && v < hi) sel[k++] = i;
        }
      } else {
        for (let j = 0; j < n; j++) {
          const i = sel[j]!;
          const v = c[i]!;
          if (v >= lo && v < hi) sel[k++] = i;
        }
      }
      n = k;
    }
    passed.push(n);
  }
  if (all) for (let i = 0; i < n; i++) sel[i] = i;
  batch.selection = sel.subarray(0, n);
  return passed;
}

/** Cumulative cut flow over a run: "all" first, then each cut. */
export class CutFlow {
  private readonly counts: number[];
  constructor(private readonly cuts: Cut[]) {
    this.counts = new Array(cuts.length + 1).fill(0);
  }
  /** Add the events entering the cut flow ('all'). */
  enter(n: number): void {
    this.counts[0]! += n;
  }
  /** Add the events passing cuts offset, offset+1, ... (a topology may apply its cuts in more than one stage). */
  add(passed: number[], offset = 0): void {
    for (let i = 0; i < passed.length; i++) this.counts[offset + i + 1]! += passed[i]!;
  }
  entries(): CutFlowEntry[] {
    return [
      { cut: 'all', pass: this.counts[0]! },
      ...this.cuts.map((c, i) => ({ cut: c.name, pass: this.counts[i + 1]! })),
    ];
  }
}
