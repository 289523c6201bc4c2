/**
 * A control region collected beside the signal-region stream (seed 003's VAE-QR trains its autoencoder on
 * 2.0 < |Δη| < 2.5): every decoded batch is offered before the signal-region cuts; the control cuts run on a
 * shadow of the batch (its own selection and derived columns, the batch itself untouched) and the events passing
 * them are appended to a store of their own, with their own cut flow. Control events never enter the window
 * buffers, so window counts, triggers and spectra stay those of the signal region.
 */
import type { EventBatch } from '../events/batch.js';
import { CutFlow, applyCuts, cutFeatures, type Cut } from '../events/cuts.js';
import { deriveFeatures, type MjjMode } from '../events/derive.js';
import { EventStore } from '../events/store.js';

/** Events as named float32 columns: what a control region hands to a method (analysis/cms/jets.ts JetSample). */
export interface ControlSample {
  features: string[];
  columns: Float32Array[];
  mjj: Float32Array;
  n: number;
  label?: Uint8Array;
}

export class ControlRegionCollector {
  readonly store: EventStore;
  readonly cutflow: CutFlow;
  private readonly cuts: Cut[];

  constructor(
    readonly name: string,
    cuts: Cut[],
    readonly features: string[],
    private readonly mjjMode: MjjMode,
    mjjRange: [number, number] | undefined,
    opts: { label: boolean; weight: boolean; maxBytes?: number },
  ) {
    this.cuts = mjjRange
      ? [
          ...cuts,
          { name: `${mjjRange[0]} <= mjj < ${mjjRange[1]} GeV`, features: ['mjj'], min: mjjRange[0], max: mjjRange[1] },
        ]
      : cuts;
    this.cutflow = new CutFlow(this.cuts);
    const stored = features.includes('mjj') ? features : [...features, 'mjj'];
    this.store = new EventStore({ features: stored, label: opts.label, weight: opts.weight, maxBytes: opts.maxBytes });
  }

  /** Offer a decoded batch (before the signal-region cuts). Hot: cuts and features over index lists. */
  offer(b: EventBatch): void {
    const shadow: EventBatch = { ...b, columns: { ...b.columns }, selection: b.selection };
    this.cutflow.enter(shadow.selection ? shadow.selection.length : shadow.length);
    deriveFeatures(shadow, [...cutFeatures(this.cuts), ...this.store.features], this.mjjMode);
    const passed = applyCuts(shadow, this.cuts);
    this.cutflow.add(passed);
    const sel = shadow.selection!;
    if (sel.length === 0) return;
    this.store.append(
      this.store.features.map((f) => shadow.columns[f]!),
      sel,
      sel.length,
      b.weight,
      b.label,
    );
  }

  /** Everything collected so far, as named columns. */
  sample(): ControlSample {
    const g = this.store.gather(-Infinity, Infinity);
    return { features: this.store.features, columns: g.columns, mjj: g.mjj, n: g.n, label: g.label };
  }
}
