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
  readonly cuts: Cut[];
  /** Signal injected by a comparison (operators/compare.ts) on top of the stream's events, or none. */
  private injected: ControlSample | null = null;

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

  /** Events the methods train on: the stream's plus any injected (what their models are cached by). */
  get size(): number {
    return this.store.size + (this.injected?.n ?? 0);
  }

  /**
   * Add injected signal events (columns in the store's feature order) to what sample() gives, replacing any
   * injected before; null removes them. A real resonance leaks into the control region too (seed 003's
   * 2.0 < |Δη| < 2.5 keeps a few per cent of it), so a comparison that injects signal into the signal region
   * injects the same generated events' control-region share here, and the methods trained on the control region
   * see the contamination they would in data.
   */
  inject(s: ControlSample | null): void {
    if (s && s.features.join() !== this.store.features.join())
      throw new RangeError(
        `control region ${this.name}: injected features ${s.features.join(', ')} are not the store's`,
      );
    this.injected = s && s.n > 0 ? s : null;
  }

  /** Everything collected so far (and any injected signal, labelled 1), as named columns. */
  sample(): ControlSample {
    const g = this.store.gather(-Infinity, Infinity);
    const x = this.injected;
    if (!x) return { features: this.store.features, columns: g.columns, mjj: g.mjj, n: g.n, label: g.label };
    const join = (a: Float32Array, b: Float32Array) => {
      const out = new Float32Array(g.n + x.n);
      out.set(a.subarray(0, g.n));
      out.set(b.subarray(0, x.n), g.n);
      return out;
    };
    const label = new Uint8Array(g.n + x.n).fill(1, g.n);
    if (g.label) label.set(g.label.subarray(0, g.n));
    return {
      features: this.store.features,
      columns: g.columns.map((c, j) => join(c, x.columns[j]!)),
      mjj: join(g.mjj, x.mjj),
      n: g.n + x.n,
      label,
    };
  }
}
