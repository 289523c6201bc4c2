import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { DuckDBInstance } from '@duckdb/node-api';
import { DdpTrainingSetGenerator } from '../../src/analysis/ddp-training-set.js';
import { DdpTrainingSetWriter, DDP_METADATA_KEY } from '../../src/sinks/ddp-training-set.js';
import { ParquetTableWriter, type TableColumn } from '../../src/sinks/parquet-table.js';
import { readDdpTrainingSet } from '../../src/sources/ddp-training-set.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sideband-ddp-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function duckdb<T>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjects() as T[];
  } finally {
    con.closeSync();
  }
}

async function writeSet(file: string, seed: number, n: number, rowGroup: number): Promise<void> {
  const gen = new DdpTrainingSetGenerator({ seed });
  const w = await DdpTrainingSetWriter.create(file, seed, gen.describe());
  for (let s = 0; s < n; s += rowGroup) await w.append(gen.batch(s, Math.min(rowGroup, n - s)));
  expect(await w.close()).toBe(n);
}

describe('DDP training-set Parquet file', () => {
  const n = 250;
  let file: string;
  beforeAll(async () => {
    file = path.join(dir, 'set.parquet');
    await writeSet(file, 5, n, 100);
  });

  it('reads back (hyparquet) to exactly what the generator made, in row groups of 100', async () => {
    const ref = new DdpTrainingSetGenerator({ seed: 5 }).batch(0, n);
    const f = await readDdpTrainingSet(file);
    expect(f.rows).toBe(n);
    expect(f.metadata.seed).toBe(5);
    expect(f.metadata.histograms).toBe(n);
    expect(f.metadata.widths).toEqual([1, 2, 3, 4]);
    const b = f.batch;
    expect(Array.from(b.offsets)).toEqual(Array.from(ref.offsets));
    expect(Buffer.from(b.counts.buffer).equals(Buffer.from(ref.counts.buffer))).toBe(true);
    expect(Buffer.from(b.background.buffer).equals(Buffer.from(ref.background.buffer))).toBe(true);
    expect(Buffer.from(b.zMixed.buffer).equals(Buffer.from(ref.zMixed.buffer))).toBe(true);
    ref.zByWidth.forEach((z, k) => expect(Buffer.from(b.zByWidth[k]!.buffer).equals(Buffer.from(z.buffer))).toBe(true));
    expect(b.family).toEqual(ref.family);
    expect(b.variant).toEqual(ref.variant);
    // NaN markers survive (cut_at of an uncut histogram).
    expect(Array.from(b.cutAt).map(String)).toEqual(Array.from(ref.cutAt).map(String));
    expect(Array.from(b.signalEvents)).toEqual(Array.from(ref.signalEvents));
    const meta = parquetMetadata((await readFile(file)).buffer.slice(0) as ArrayBuffer);
    expect(meta.row_groups.length).toBe(3);
    expect(meta.key_value_metadata?.some((k) => k.key === DDP_METADATA_KEY)).toBe(true);
  });

  it('is read by DuckDB with list columns of the right lengths and values', async () => {
    const ref = new DdpTrainingSetGenerator({ seed: 5 }).batch(0, n);
    type Row = { index: number; bins: number; n: bigint; c0: number; zm: number; z_max: number; family: string };
    const rows = await duckdb<Row>(
      'select index, bins, len(counts) as n, counts[1] as c0, list_max(z_mw) as zm, ' +
        `z_max, family from '${file}' order by index`,
    );
    expect(rows.length).toBe(n);
    rows.forEach((r, i) => {
      expect(r.index).toBe(i);
      expect(Number(r.n)).toBe(ref.bins[i]);
      expect(r.c0).toBe(ref.counts[ref.offsets[i]!]);
      expect(r.zm).toBeCloseTo(ref.zMax[i]!, 5);
      expect(r.family).toBe(ref.family[i]);
    });
    const [t] = await duckdb<{ k: bigint }>(`select sum(len(z_w3)) as k from '${file}'`);
    expect(Number(t!.k)).toBe(ref.counts.length);
  });

  it('the same seed gives identical bytes; another seed a different file', async () => {
    const again = path.join(dir, 'again.parquet'),
      other = path.join(dir, 'other.parquet');
    await writeSet(again, 5, n, 100);
    await writeSet(other, 6, n, 100);
    const [a, b, c] = await Promise.all([readFile(file), readFile(again), readFile(other)]);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });
});

describe('ParquetTableWriter', () => {
  it('writes strings, NaN, and empty and non-empty lists that hyparquet and DuckDB read back', async () => {
    const file = path.join(dir, 'table.parquet');
    const w = await ParquetTableWriter.create(file, { metadata: { note: 'x' } });
    await w.appendRowGroup([
      { name: 'id', kind: 'int32', values: Int32Array.from([1, 2, 3]) },
      { name: 'label', kind: 'string', values: ['a', 'βγ', ''] },
      { name: 'x', kind: 'double', values: Float64Array.from([0.5, NaN, -2]) },
      {
        name: 'v',
        kind: 'list',
        element: 'float',
        values: Float32Array.from([1, 2, 3]),
        offsets: Int32Array.from([0, 2, 2, 3]),
      },
    ]);
    await w.appendRowGroup([
      { name: 'id', kind: 'int32', values: Int32Array.from([4]) },
      { name: 'label', kind: 'string', values: ['d'] },
      { name: 'x', kind: 'double', values: Float64Array.from([7]) },
      { name: 'v', kind: 'list', element: 'float', values: Float32Array.from([]), offsets: Int32Array.from([0, 0]) },
    ]);
    expect(await w.close()).toBe(4);
    const buf = (await readFile(file)).buffer.slice(0) as ArrayBuffer;
    const objs = await parquetReadObjects({ file: buf });
    expect(objs.map((o) => o.id)).toEqual([1, 2, 3, 4]);
    expect(objs.map((o) => o.label)).toEqual(['a', 'βγ', '', 'd']);
    expect(objs.map((o) => o.v)).toEqual([[1, 2], [], [3], []]);
    expect(Number.isNaN(objs[1]!.x)).toBe(true);
    const rows = await duckdb<{ id: number; n: bigint; s: number | null; label: string }>(
      `select id, len(v) as n, list_sum(v) as s, label from '${file}' order by id`,
    );
    expect(rows.map((r) => Number(r.n))).toEqual([2, 0, 1, 0]);
    expect(rows[0]!.s).toBe(3);
    expect(rows[1]!.label).toBe('βγ');
  });

  it('refuses a row group whose columns differ from the first, naming the file', async () => {
    const file = path.join(dir, 'bad.parquet');
    const w = await ParquetTableWriter.create(file);
    await w.appendRowGroup([{ name: 'a', kind: 'int32', values: Int32Array.from([1]) }]);
    await expect(w.appendRowGroup([{ name: 'a', kind: 'double', values: Float64Array.from([1]) }])).rejects.toThrow(
      /bad\.parquet: columns \[a:double\] differ/,
    );
    await w.appendRowGroup([{ name: 'a', kind: 'int32', values: Int32Array.from([2]) }]);
    expect(await w.close()).toBe(2);
    const w2 = await ParquetTableWriter.create(path.join(dir, 'bad2.parquet'));
    const one = Int32Array.from([1]);
    const tooLong = { name: 'v', kind: 'list', element: 'int32', values: one, offsets: Int32Array.from([0, 2]) };
    await expect(w2.appendRowGroup([tooLong as TableColumn])).rejects.toThrow(/offsets must run from 0/);
    const wrongType = { name: 'v', kind: 'list', element: 'float', values: one, offsets: Int32Array.from([0, 1]) };
    await expect(w2.appendRowGroup([wrongType as unknown as TableColumn])).rejects.toThrow(/need a Float32Array/);
    await w2.close();
  });
});
