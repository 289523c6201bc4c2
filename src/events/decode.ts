import type { Column, EventBatch, SourcePosition } from './batch.js';
import type { DeadLetter } from './observer.js';
import { toGeVFactor } from './units.js';

/** How one canonical column is read from the source: its source name and its unit (energies become GeV). */
export interface ColumnSpec {
  from?: string;
  unit?: string;
}

export interface DecodeSpec {
  /** Canonical name → source column and unit. */
  columns: Record<string, ColumnSpec>;
  /** Source column holding the truth label (1 = signal), if any. */
  label?: string;
  /** Source column holding per-event weights, if any. */
  weight?: string;
}

export interface Decoded {
  batch: EventBatch;
  deadLetters: DeadLetter[];
  /** Rejected events by reason (sums to the number of dead-lettered events). */
  rejected: Map<string, number>;
}

/** Human-readable where-from of a batch for error messages. */
export function describeOrigin(positions: SourcePosition[]): Partial<DeadLetter> {
  const p = positions[0];
  if (!p) return {};
  if (p.kind === 'file') return { file: p.file };
  if (p.kind === 'kafka') return { topic: p.topic, partition: p.partition, offset: p.firstOffset };
  return {};
}

/**
 * Decode and validate a raw batch: map source columns to canonical names, convert units to GeV, and reject
 * events with a missing column or a NaN/±inf/null value (the reader turns nulls into NaN). The output holds only
 * accepted events, as Float32Array columns; rejected events become dead letters that name file, field and row.
 *
 * Hot: a pass per column that only converts (or, for float32 already in GeV, only checks); the compaction
 * path runs only for batches that hold bad rows.
 */
export function decodeBatch(raw: EventBatch, spec: DecodeSpec): Decoded {
  const n = raw.length;
  const origin = describeOrigin(raw.positions);
  const rowBase = raw.rowOffset ?? 0;
  const deadLetters: DeadLetter[] = [];
  const rejected = new Map<string, number>();
  const missing = Object.entries(spec.columns)
    .map(([name, c]) => c.from ?? name)
    .concat(spec.label && !raw.label ? [spec.label] : [], spec.weight && !raw.weight ? [spec.weight] : [])
    .filter((src) => !raw.columns[src]);
  if (missing.length) {
    // The whole batch lacks a field: every event in it is rejected, with one dead letter for the batch.
    deadLetters.push({
      ...origin,
      reason: 'missing_column',
      field: missing.join(','),
      row: rowBase,
      events: n,
      message: `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (have: ${Object.keys(raw.columns).join(', ')})`,
    });
    rejected.set('missing_column', n);
    return { batch: { length: 0, columns: {}, positions: raw.positions, rowOffset: rowBase }, deadLetters, rejected };
  }

  let bad: Uint8Array | undefined; // 0 = good, else 1 + index of the first bad column for the message
  const names = Object.keys(spec.columns);
  const columns: Record<string, Column> = {};
  for (let c = 0; c < names.length; c++) {
    const name = names[c]!;
    const cs = spec.columns[name]!;
    const src = raw.columns[cs.from ?? name]!;
    const factor = cs.unit && cs.unit !== 'none' ? toGeVFactor(cs.unit) : 1;
    let out: Float32Array;
    if (src instanceof Float32Array && factor === 1) {
      out = src;
    } else {
      out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = src[i]! * factor;
    }
    // Checked on the stored float32 values, not the input: 1e39 (float64) or 1e36 TeV is finite on the way in
    // and +Infinity once stored, and would change the cut flow silently.
    if (!allFinite(out)) {
      bad ??= new Uint8Array(n);
      for (let i = 0; i < n; i++) if (bad[i] === 0 && out[i]! - out[i]! !== 0) bad[i] = c + 1;
    }
    columns[name] = out;
  }
  // Label and weight come as columns (Parquet, JSON rows) or already as batch fields (generator, Arrow batches).
  let label: Uint8Array | undefined;
  if (spec.label) {
    const src = raw.columns[spec.label];
    if (src) {
      label = new Uint8Array(n);
      for (let i = 0; i < n; i++) label[i] = src[i]! > 0.5 ? 1 : 0;
    } else {
      label = raw.label;
    }
  }
  let weight: Float32Array | undefined;
  if (spec.weight) {
    const src = raw.columns[spec.weight];
    weight = src ? (src instanceof Float32Array ? src : Float32Array.from(src)) : raw.weight;
    // A NaN or infinite weight would poison every histogram it enters: reject the event like a bad feature.
    if (weight && !allFinite(weight)) {
      bad ??= new Uint8Array(n);
      for (let i = 0; i < n; i++) if (bad[i] === 0 && weight[i]! - weight[i]! !== 0) bad[i] = names.length + 1;
    }
  }
  if (!bad) {
    return {
      batch: { length: n, columns, label, weight, positions: raw.positions, rowOffset: rowBase },
      deadLetters,
      rejected,
    };
  }

  // Rare path: drop the bad rows, name each of them.
  let good = 0;
  for (let i = 0; i < n; i++) {
    if (bad[i] === 0) {
      good++;
      continue;
    }
    const k = bad[i]! - 1;
    const name = k < names.length ? names[k]! : spec.weight!;
    const input = k < names.length ? raw.columns[spec.columns[name]!.from ?? name]![i]! : weight![i]!;
    const stored = k < names.length ? columns[name]![i]! : weight![i]!;
    const reason = Number.isNaN(stored) ? 'nan' : 'infinite';
    rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
    deadLetters.push({
      ...origin,
      reason,
      field: name,
      row: rowBase + i,
      events: 1,
      message:
        reason === 'nan'
          ? `NaN or null in ${name}`
          : Number.isFinite(input)
            ? `${input} in ${name} is ${stored} as float32 (in GeV)`
            : `${input} in ${name}`,
    });
  }
  const keep = new Uint32Array(good);
  for (let i = 0, k = 0; i < n; i++) if (bad[i] === 0) keep[k++] = i;
  const compacted: Record<string, Column> = {};
  for (const name of names) compacted[name] = gather(columns[name]!, keep);
  return {
    batch: {
      length: good,
      columns: compacted,
      label: label && gatherU8(label, keep),
      weight: weight && (gather(weight, keep) as Float32Array),
      positions: raw.positions,
      rowOffset: rowBase,
    },
    deadLetters,
    rejected,
  };
}

/**
 * True when every value is finite. x·0 is 0 for finite x and NaN for NaN or ±inf, so one branch-free sum per column
 * answers for the whole batch; the per-row search runs only for batches that hold a bad value. Hot.
 */
function allFinite(col: Column): boolean {
  let s = 0;
  for (let i = 0; i < col.length; i++) s += col[i]! * 0;
  return s === 0;
}

export function gather(col: Column, idx: Uint32Array): Float32Array {
  const out = new Float32Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = col[idx[i]!]!;
  return out;
}

function gatherU8(col: Uint8Array, idx: Uint32Array): Uint8Array {
  const out = new Uint8Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = col[idx[i]!]!;
  return out;
}
