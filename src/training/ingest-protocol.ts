/**
 * Messages between the run's thread and the ingest workers (src/training/ingest-workers.ts, ingest-worker.ts), and
 * how a worker packs a row group's selected events into shared memory.
 */
import type { Column, EventBatch, SourcePosition } from '../events/batch.js';
import type { InputLocation } from '../events/errors.js';
import type { IngestPlan, IngestTally } from '../events/ingest.js';

export interface IngestWorkerData {
  plan: IngestPlan;
  /** Source columns to project (the Parquet source's `columns`). */
  columns?: string[];
  maxRowGroupBytes?: number;
}

export interface IngestTask {
  seq: number;
  file: string;
  rowGroup: number;
}

/**
 * The selected events of one row group, compacted: `length` events, every stored column (and weight, label) a
 * view into one SharedArrayBuffer. The selection is applied in the worker, so the run's thread reads only what it
 * stores, and the buffer crosses threads without a copy.
 */
export interface PackedBatch {
  length: number;
  buffer: SharedArrayBuffer;
  /** Column name → offset (in float32 elements) into `buffer`. */
  columns: Array<[string, number]>;
  weightAt?: number;
  labelAt?: number;
  positions: SourcePosition[];
  rowOffset?: number;
}

export type IngestReply =
  | { seq: number; batch: PackedBatch; tally: IngestTally }
  | { seq: number; lost: { message: string; location: InputLocation; reason: string } };

/** Hot: one gather per stored column over the selection, straight into the shared buffer. */
export function packSelected(b: EventBatch, stored: readonly string[]): PackedBatch {
  const sel = b.selection;
  const k = sel ? sel.length : b.length;
  const names = stored.filter((f) => b.columns[f]);
  const floats = k * (names.length + (b.weight ? 1 : 0));
  const buffer = new SharedArrayBuffer(4 * floats + (b.label ? k : 0));
  const columns: Array<[string, number]> = [];
  const gather = (src: ArrayLike<number>, dst: Float32Array | Uint8Array) => {
    if (!sel) dst.set(src);
    else for (let j = 0; j < k; j++) dst[j] = src[sel[j]!]!;
  };
  let at = 0;
  for (const f of names) {
    gather(b.columns[f]!, new Float32Array(buffer, 4 * at, k));
    columns.push([f, at]);
    at += k;
  }
  let weightAt: number | undefined;
  if (b.weight) {
    gather(b.weight, new Float32Array(buffer, 4 * at, k));
    weightAt = at;
    at += k;
  }
  let labelAt: number | undefined;
  if (b.label) {
    labelAt = 4 * at;
    gather(b.label, new Uint8Array(buffer, labelAt, k));
  }
  return { length: k, buffer, columns, weightAt, labelAt, positions: b.positions, rowOffset: b.rowOffset };
}

/** The batch a packed reply stands for: views into the shared buffer, every event selected. */
export function unpackBatch(p: PackedBatch): EventBatch {
  const columns: Record<string, Column> = {};
  for (const [f, at] of p.columns) columns[f] = new Float32Array(p.buffer, 4 * at, p.length);
  return {
    length: p.length,
    columns,
    ...(p.weightAt !== undefined ? { weight: new Float32Array(p.buffer, 4 * p.weightAt, p.length) } : {}),
    ...(p.labelAt !== undefined ? { label: new Uint8Array(p.buffer, p.labelAt, p.length) } : {}),
    positions: p.positions,
    rowOffset: p.rowOffset,
  };
}
