import type { Column } from './batch.js';
import { SidebandError } from './errors.js';

/**
 * EventStore: one shared columnar store of the selected events that fall in any window. Windows are views
 * (mjj ranges) over it rather than copies: with ATLAS 2024's sliding windows an event sits in up to four windows,
 * and copying it into each would multiply memory and routing work.
 *
 * Storage is a list of fixed-size chunks per column (8192 events: not one array doubled on growth), so the memory per stored
 * event stays within one chunk of the raw bytes: 4 bytes per float32 feature, plus 4 for a weight and 1 for a
 * truth label when the input has them.
 */
export interface StoreLayout {
  /** Stored feature columns; must include 'mjj'. */
  features: string[];
  weight: boolean;
  label: boolean;
  chunkSize?: number;
}

export interface Gathered {
  n: number;
  columns: Float32Array[];
  mjj: Float32Array;
  weight?: Float32Array;
  label?: Uint8Array;
}

export class EventStore {
  readonly features: string[];
  private readonly chunkSize: number;
  private readonly chunks: Float32Array[][] = []; // [chunk][feature]
  private readonly weights: Float32Array[] = [];
  private readonly labels: Uint8Array[] = [];
  private readonly mjjIndex: number;
  private count = 0;

  constructor(private readonly layout: StoreLayout) {
    this.features = layout.features;
    this.chunkSize = layout.chunkSize ?? 8192;
    this.mjjIndex = layout.features.indexOf('mjj');
    if (this.mjjIndex < 0) throw new SidebandError("event store: the stored features must include 'mjj'");
  }

  get size(): number {
    return this.count;
  }

  /** Bytes allocated for stored events (the figure behind bytes per buffered event). */
  bytes(): number {
    const perEvent = 4 * this.features.length + (this.layout.weight ? 4 : 0) + (this.layout.label ? 1 : 0);
    return this.chunks.length * this.chunkSize * perEvent;
  }

  /**
   * Append events `idx[0..n)` of a batch. Hot: a typed-array gather per column into the current chunk.
   */
  append(columns: Column[], idx: Uint32Array, n: number, weight?: Float32Array, label?: Uint8Array): void {
    let done = 0;
    while (done < n) {
      const at = this.count % this.chunkSize;
      if (at === 0) this.grow();
      const c = this.chunks.length - 1;
      const take = Math.min(n - done, this.chunkSize - at);
      const chunk = this.chunks[c]!;
      for (let f = 0; f < columns.length; f++) {
        const src = columns[f]!,
          dst = chunk[f]!;
        for (let j = 0; j < take; j++) dst[at + j] = src[idx[done + j]!]!;
      }
      if (this.layout.weight) {
        const dst = this.weights[c]!;
        for (let j = 0; j < take; j++) dst[at + j] = weight ? weight[idx[done + j]!]! : 1;
      }
      if (this.layout.label) {
        const dst = this.labels[c]!;
        for (let j = 0; j < take; j++) dst[at + j] = label ? label[idx[done + j]!]! : 0;
      }
      done += take;
      this.count += take;
    }
  }

  private grow(): void {
    this.chunks.push(this.features.map(() => new Float32Array(this.chunkSize)));
    if (this.layout.weight) this.weights.push(new Float32Array(this.chunkSize));
    if (this.layout.label) this.labels.push(new Uint8Array(this.chunkSize));
  }

  /** Copy out every stored event with lo <= mjj < hi (a window's view), in arrival order. */
  gather(lo: number, hi: number): Gathered {
    let n = 0;
    this.forEachChunk((c, len) => {
      const m = this.chunks[c]![this.mjjIndex]!;
      for (let i = 0; i < len; i++) if (m[i]! >= lo && m[i]! < hi) n++;
    });
    const columns = this.features.map(() => new Float32Array(n));
    const weight = this.layout.weight ? new Float32Array(n) : undefined;
    const label = this.layout.label ? new Uint8Array(n) : undefined;
    let k = 0;
    this.forEachChunk((c, len) => {
      const chunk = this.chunks[c]!;
      const m = chunk[this.mjjIndex]!;
      for (let i = 0; i < len; i++) {
        if (!(m[i]! >= lo && m[i]! < hi)) continue;
        for (let f = 0; f < chunk.length; f++) columns[f]![k] = chunk[f]![i]!;
        if (weight) weight[k] = this.weights[c]![i]!;
        if (label) label[k] = this.labels[c]![i]!;
        k++;
      }
    });
    return { n, columns, mjj: columns[this.mjjIndex]!, weight, label };
  }

  /** Weighted (or unit) mjj histogram of every stored event over uniform bins [lo, hi). Hot: one pass. */
  mjjHistogram(lo: number, hi: number, bins: number): Float64Array {
    const out = new Float64Array(bins);
    const scale = bins / (hi - lo);
    this.forEachChunk((c, len) => {
      const m = this.chunks[c]![this.mjjIndex]!;
      const w = this.layout.weight ? this.weights[c]! : undefined;
      for (let i = 0; i < len; i++) {
        const x = m[i]!;
        if (!(x >= lo && x < hi)) continue;
        const b = Math.min(bins - 1, Math.floor((x - lo) * scale));
        out[b] = out[b]! + (w ? w[i]! : 1);
      }
    });
    return out;
  }

  private forEachChunk(fn: (chunk: number, length: number) => void): void {
    for (let c = 0; c < this.chunks.length; c++) {
      fn(c, c === this.chunks.length - 1 ? this.count - c * this.chunkSize : this.chunkSize);
    }
  }
}
