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
  /**
   * Memory budget in bytes (default 2 GiB). Appending past it throws StoreBudgetError: the run stops with a clear
   * error instead of being killed for memory. (Spilling to disk beyond the budget is issue 17.)
   */
  maxBytes?: number;
}

/** The event store reached its memory budget. */
export class StoreBudgetError extends SidebandError {}

/** Default memory budget of the event store: 2 GiB (about 45M events of ten float32 features and a weight). */
export const DEFAULT_STORE_BYTES = 2 ** 31;

/** Events [from, to) of the store, as one array per feature (plus weights and labels when stored). */
export interface StoredEvents {
  n: number;
  columns: Float32Array[];
  weight?: Float32Array;
  label?: Uint8Array;
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
    return this.chunks.length * this.chunkSize * this.bytesPerEvent();
  }

  private bytesPerEvent(): number {
    return 4 * this.features.length + (this.layout.weight ? 4 : 0) + (this.layout.label ? 1 : 0);
  }

  /** Copy out events [from, to) in arrival order (a checkpoint writes them). */
  events(from: number, to: number): StoredEvents {
    const n = Math.max(0, Math.min(to, this.count) - from);
    const columns = this.features.map(() => new Float32Array(n));
    const weight = this.layout.weight ? new Float32Array(n) : undefined;
    const label = this.layout.label ? new Uint8Array(n) : undefined;
    for (let k = 0; k < n; ) {
      const at = from + k;
      const c = Math.floor(at / this.chunkSize);
      const i = at - c * this.chunkSize;
      const take = Math.min(n - k, this.chunkSize - i);
      const chunk = this.chunks[c]!;
      for (let f = 0; f < columns.length; f++) columns[f]!.set(chunk[f]!.subarray(i, i + take), k);
      weight?.set(this.weights[c]!.subarray(i, i + take), k);
      label?.set(this.labels[c]!.subarray(i, i + take), k);
      k += take;
    }
    return { n, columns, weight, label };
  }

  /** Append events given as one array per feature (a checkpoint's events, restored in their order). */
  appendEvents(e: StoredEvents): void {
    const all = new Uint32Array(e.n);
    for (let i = 0; i < e.n; i++) all[i] = i;
    this.append(e.columns, all, e.n, e.weight, e.label);
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
    const budget = this.layout.maxBytes ?? DEFAULT_STORE_BYTES;
    if ((this.chunks.length + 1) * this.chunkSize * this.bytesPerEvent() > budget)
      throw new StoreBudgetError(
        `event store: ${this.count} events take ${this.bytes()} bytes; one more chunk would pass the ${budget}-byte ` +
          'budget (memory.storeBytes in the topology): raise it, narrow the windows or the stored features, or ' +
          'split the input',
      );
    this.chunks.push(this.features.map(() => new Float32Array(this.chunkSize)));
    if (this.layout.weight) this.weights.push(new Float32Array(this.chunkSize));
    if (this.layout.label) this.labels.push(new Uint8Array(this.chunkSize));
  }

  /**
   * Copy out every stored event with lo <= mjj < hi (a window's view), in arrival order; with `limit`, among the
   * first `limit` events only (the store as it was when an analysis was asked for).
   */
  gather(lo: number, hi: number, limit = this.count): Gathered {
    let n = 0;
    this.forEachChunk(limit, (c, len) => {
      const m = this.chunks[c]![this.mjjIndex]!;
      for (let i = 0; i < len; i++) if (m[i]! >= lo && m[i]! < hi) n++;
    });
    const columns = this.features.map(() => new Float32Array(n));
    const weight = this.layout.weight ? new Float32Array(n) : undefined;
    const label = this.layout.label ? new Uint8Array(n) : undefined;
    let k = 0;
    this.forEachChunk(limit, (c, len) => {
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

  /** Weighted (or unit) mjj histogram of the first `limit` stored events over uniform bins [lo, hi). Hot: one pass. */
  mjjHistogram(lo: number, hi: number, bins: number, limit = this.count): Float64Array {
    const out = new Float64Array(bins);
    const scale = bins / (hi - lo);
    this.forEachChunk(limit, (c, len) => {
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

  private forEachChunk(limit: number, fn: (chunk: number, length: number) => void): void {
    const end = Math.min(limit, this.count);
    for (let c = 0; c * this.chunkSize < end; c++) fn(c, Math.min(this.chunkSize, end - c * this.chunkSize));
  }
}
