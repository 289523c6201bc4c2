/**
 * The repartition protocol between `sideband router` and `sideband worker`: selected events of every window go to
 * the repartition topic keyed by window id, as Arrow IPC batch messages of the stored columns. A window lives in
 * partition (index of the window in the topology's window list) mod (partition count), so every record of a
 * window is in one partition, in router order, and one worker owns it at a time.
 *
 * Headers of a record: the router's cumulative cut flow after its input batch (results name the cut flow), and the
 * input positions it came from ("topic:partition" → last offset), so a worker can drop records that a restarted
 * router published again. At the end of a bounded input an end-of-stream record (key END_KEY) goes to every
 * partition, so the workers run the final analysis of their windows.
 */
import type { EventBatch, SourcePosition } from '../events/batch.js';

export const REPARTITION_HEADERS = {
  cutflow: 'sideband-cutflow',
  input: 'sideband-input',
  end: 'sideband-end',
} as const;
export const END_KEY = '__end__';

/** The partition of the repartition topic that holds a window. */
export function windowPartition(index: number, partitions: number): number {
  return index % partitions;
}

/** Gather events `idx` of the stored columns into a compact batch (hot: one typed-array loop per column). */
export function gather(batch: EventBatch, stored: string[], idx: Uint32Array, n: number): EventBatch {
  const columns: EventBatch['columns'] = {};
  for (const f of stored) {
    const src = batch.columns[f]!;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[idx[i]!]!;
    columns[f] = out;
  }
  const out: EventBatch = { length: n, columns, positions: [] };
  if (batch.label) {
    const l = new Uint8Array(n);
    for (let i = 0; i < n; i++) l[i] = batch.label[idx[i]!]!;
    out.label = l;
  }
  if (batch.weight) {
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = batch.weight[idx[i]!]!;
    out.weight = w;
  }
  return out;
}

/** Input offsets of a batch: "topic:partition" → last offset. */
export function inputOffsets(positions: SourcePosition[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of positions) if (p.kind === 'kafka') out[`${p.topic}:${p.partition}`] = p.lastOffset;
  return out;
}
