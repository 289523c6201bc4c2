/**
 * Reading the LHCO R&D signal-region Parquet files into Float32 feature columns (bench helper), and the row
 * operations the benches build their samples with. Features and mjj stay in the files' TeV.
 */
import { asyncBufferFromFile, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { SourceError } from '../src/events/errors.js';

export const LHCO_FEATURES = ['mj_min', 'delta_mj', 'tau21_lighter', 'tau21_heavier'] as const;

export interface LhcoTable {
  columns: Float32Array[];
  mjj: Float32Array;
  label: Uint8Array;
  n: number;
}

export async function readLhco(file: string): Promise<LhcoTable> {
  const names = [...LHCO_FEATURES, 'mjj', 'label'];
  const rows = await new Promise<unknown[][]>((resolve, reject) => {
    asyncBufferFromFile(file)
      .then((buf) =>
        parquetRead({ file: buf, columns: names, compressors, onComplete: (r) => resolve(r as unknown[][]) }),
      )
      .catch((e: unknown) => reject(new SourceError(`LHCO R&D: ${file}: ${(e as Error).message}`, { cause: e })));
  });
  const n = rows.length;
  const columns = LHCO_FEATURES.map(() => new Float32Array(n));
  const mjj = new Float32Array(n);
  const label = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    for (let f = 0; f < LHCO_FEATURES.length; f++) columns[f]![i] = Number(r[f]);
    mjj[i] = Number(r[4]);
    label[i] = Number(r[5]);
  }
  return { columns, mjj, label, n };
}

/** Rows `rows` of a table. */
export function take(t: LhcoTable, rows: ArrayLike<number>): LhcoTable {
  const n = rows.length;
  const columns = t.columns.map(() => new Float32Array(n));
  const mjj = new Float32Array(n);
  const label = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = rows[k]!;
    for (let f = 0; f < columns.length; f++) columns[f]![k] = t.columns[f]![i]!;
    mjj[k] = t.mjj[i]!;
    label[k] = t.label[i]!;
  }
  return { columns, mjj, label, n };
}

export function concat(a: LhcoTable, b: LhcoTable): LhcoTable {
  const n = a.n + b.n;
  const columns = a.columns.map((c, f) => {
    const o = new Float32Array(n);
    o.set(c);
    o.set(b.columns[f]!, a.n);
    return o;
  });
  const mjj = new Float32Array(n);
  mjj.set(a.mjj);
  mjj.set(b.mjj, a.n);
  const label = new Uint8Array(n);
  label.set(a.label);
  label.set(b.label, a.n);
  return { columns, mjj, label, n };
}

/** Row indices (ascending) where the truth label is `label`. */
export function rowsWithLabel(t: LhcoTable, label: 0 | 1): Uint32Array {
  const out: number[] = [];
  for (let i = 0; i < t.n; i++) if (t.label[i] === label) out.push(i);
  return Uint32Array.from(out);
}
