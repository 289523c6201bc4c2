import { describe, expect, it, beforeAll } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { ParquetSource, parquetRowCount } from '../../src/sources/parquet.js';
import type { InputError } from '../../src/events/errors.js';
import { lhcoDir } from '../helpers/paths.js';

async function readAll(src: ParquetSource) {
  let rows = 0;
  const batches = [];
  for await (const b of src.batches()) {
    rows += b.length;
    batches.push(b);
  }
  return { rows, batches };
}

describe('ParquetSource on the real LHCO R&D files', () => {
  it('reads sr_train.parquet: 60,000 rows, 395 signal, zstd-compressed optional DOUBLE columns', async () => {
    const { rows, batches } = await readAll(
      new ParquetSource({ path: path.join(lhcoDir, 'sr_train.parquet'), columns: ['mjj', 'label'] }),
    );
    expect(rows).toBe(60000);
    let signal = 0,
      lo = Infinity,
      hi = -Infinity;
    for (const b of batches) {
      expect(Object.keys(b.columns).sort()).toEqual(['label', 'mjj']);
      const l = b.columns.label!,
        m = b.columns.mjj!;
      for (let i = 0; i < b.length; i++) {
        signal += l[i]!;
        lo = Math.min(lo, m[i]!);
        hi = Math.max(hi, m[i]!);
      }
      expect(b.positions[0]).toMatchObject({ kind: 'file', rowGroup: 0 });
    }
    expect(signal).toBe(395);
    expect(lo).toBeGreaterThanOrEqual(3.3);
    expect(hi).toBeLessThanOrEqual(3.7);
  });

  it('expands a glob in sorted order and counts rows from the footer', async () => {
    const { rows } = await readAll(new ParquetSource({ path: path.join(lhcoDir, 'sr_*.parquet'), columns: ['mjj'] }));
    const counts = await Promise.all(
      ['sr_extrasig_train', 'sr_test', 'sr_train', 'sr_val'].map((f) =>
        parquetRowCount(path.join(lhcoDir, `${f}.parquet`)),
      ),
    );
    expect(counts).toEqual([27263, 60000, 60000, 60000]);
    expect(rows).toBe(207263);
  });
});

describe('ParquetSource on malformed files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sideband-pq-'));
  });

  it('names file and field for a missing column and reports the rows lost', async () => {
    const f = path.join(dir, 'nocol.parquet');
    writeFileSync(
      f,
      Buffer.from(
        parquetWriteBuffer({ columnData: [{ name: 'mjj', data: new Float32Array([1, 2, 3]), type: 'FLOAT' }] }),
      ),
    );
    const errors: Array<[InputError, number | undefined]> = [];
    const { rows } = await readAll(
      new ParquetSource({ path: f, columns: ['mjj', 'mj_min'], onFileError: (e, n) => errors.push([e, n]) }),
    );
    expect(rows).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toBe(3);
    expect(errors[0]![0].message).toContain(f);
    expect(errors[0]![0].message).toContain('field mj_min');
    expect(errors[0]![0].message).toContain('missing column');
  });

  it('rejects a string column as the wrong type', async () => {
    const f = path.join(dir, 'strings.parquet');
    writeFileSync(
      f,
      Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'mjj', data: ['a', 'b'], type: 'STRING' }] })),
    );
    const errors: InputError[] = [];
    await readAll(new ParquetSource({ path: f, columns: ['mjj'], onFileError: (e) => errors.push(e) }));
    expect(errors[0]!.message).toMatch(/field mjj: wrong type: BYTE_ARRAY is not numeric/);
  });

  it('rejects a truncated file with a clear error and without throwing when a handler is given', async () => {
    const good = readFileSync(path.join(lhcoDir, 'sr_val.parquet'));
    const f = path.join(dir, 'truncated.parquet');
    writeFileSync(f, good.subarray(0, Math.floor(good.length / 2)));
    const errors: InputError[] = [];
    const { rows } = await readAll(new ParquetSource({ path: f, onFileError: (e) => errors.push(e) }));
    expect(rows).toBe(0);
    expect(errors[0]!.message).toBe(`${f}: not a Parquet file or truncated: no PAR1 magic at the end`);
    await expect(readAll(new ParquetSource({ path: f }))).rejects.toThrow('no PAR1 magic');
  });

  it('reads float32 PLAIN columns with nulls as NaN so validation can reject those rows', async () => {
    const f = path.join(dir, 'nulls.parquet');
    writeFileSync(
      f,
      Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'x', data: [1.5, null, 3.5], type: 'DOUBLE' }] })),
    );
    const { batches } = await readAll(new ParquetSource({ path: f }));
    expect(Array.from(batches[0]!.columns.x!)).toEqual([1.5, NaN, 3.5]);
  });
});
