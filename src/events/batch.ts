/**
 * EventBatch: the unit that flows through every stream. Columnar: one typed array per feature, thousands of
 * events per batch, never an object per event (an RxJS emission costs ~100 ns, a typed-array loop a few ns).
 */
export type Column = Float32Array | Float64Array;

/** Where a batch came from, precise enough to commit progress once its events are in durable state. */
export type SourcePosition =
  | { kind: 'file'; file: string; rowGroup: number; rowStart: number; rowEnd: number }
  | { kind: 'kafka'; topic: string; partition: number; firstOffset: string; lastOffset: string }
  | { kind: 'generator'; seed: number; rowStart: number; rowEnd: number };

export interface EventBatch {
  /** Number of events (rows) in every column. */
  length: number;
  /** Feature columns by name. After decoding, names are canonical and energies/masses are in GeV. */
  columns: Record<string, Column>;
  /**
   * Indices (ascending) of the events that pass the selection so far; absent means every event passes.
   * Filters narrow this list instead of copying rows (as arquero's BitSet does).
   */
  selection?: Uint32Array;
  /** Per-event weight; absent means unit weights. */
  weight?: Float32Array;
  /** Truth label where the input has one (1 = signal, 0 = background); never used for training. */
  label?: Uint8Array;
  /** Source positions covered by this batch (one entry per file row group or Kafka partition range). */
  positions: SourcePosition[];
  /** Row number of this batch's first event in its source file or stream, for error messages. */
  rowOffset?: number;
}

/** The selection as an explicit index list (allocates only when the batch has no selection yet). */
export function selectedIndices(batch: EventBatch): Uint32Array {
  if (batch.selection) return batch.selection;
  const all = new Uint32Array(batch.length);
  for (let i = 0; i < all.length; i++) all[i] = i;
  return all;
}
