import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { DuckDBInstance } from '@duckdb/node-api';
import type { EventBatch } from '../../src/events/batch.js';
import { ParquetFileWriter, writeParquet } from '../../src/sinks/parquet.js';
import { GENERATOR_COLUMNS, GeneratorSource } from '../../src/sources/generator.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sideband-parquet-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function arrayBuffer(file: string): Promise<ArrayBuffer> {
  const b = await readFile(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

async function duckdb<T>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjects() as T[];
  } finally {
    con.closeSync();
  }
}

describe('writeParquet', () => {
  const events = 150000;
  const opts = { events, seed: 17, batchSize: 40000, signals: [{ mA: 3500, mB: 500, mC: 100, n: 700 }] };
  let file: string;
  const reference: EventBatch[] = [];

  beforeAll(async () => {
    file = path.join(dir, 'events.parquet');
    for await (const b of new GeneratorSource(opts).batches()) reference.push(b);
    const rows = await writeParquet(file, new GeneratorSource(opts).batches(), {
      rowGroupSize: 65536,
      metadata: { seed: '17' },
    });
    expect(rows).toBe(events);
  });

  it('writes FLOAT columns PLAIN, UNCOMPRESSED, without dictionary, label as INT32, in row groups of 65536', async () => {
    const md = parquetMetadata(await arrayBuffer(file));
    expect(Number(md.num_rows)).toBe(events);
    expect(md.row_groups.map((g) => Number(g.num_rows))).toEqual([65536, 65536, 150000 - 131072]);
    const leaves = md.schema.slice(1);
    expect(leaves.map((s) => s.name)).toEqual([...GENERATOR_COLUMNS, 'label']);
    for (const s of leaves) {
      expect(s.type).toBe(s.name === 'label' ? 'INT32' : 'FLOAT');
      expect(s.repetition_type).toBe('REQUIRED');
    }
    for (const g of md.row_groups) {
      for (const c of g.columns) {
        expect(c.meta_data!.codec).toBe('UNCOMPRESSED');
        expect(c.meta_data!.encodings).toEqual(['PLAIN']);
        expect(c.meta_data!.dictionary_page_offset).toBeUndefined();
      }
    }
    expect(md.key_value_metadata).toEqual([{ key: 'seed', value: '17' }]);
  });

  it('reads back identically with hyparquet', async () => {
    const rows = (await parquetReadObjects({
      file: await arrayBuffer(file),
      rowStart: 60000,
      rowEnd: 70000,
    })) as Record<string, number>[];
    expect(rows).toHaveLength(10000);
    // rows 60000..69999 live in reference batch 1 (40000..79999)
    const b = reference[1]!;
    rows.forEach((r, k) => {
      const i = 60000 - 40000 + k;
      for (const c of GENERATOR_COLUMNS)
        if (r[c] !== b.columns[c]![i]) throw new Error(`row ${60000 + k} column ${c}: ${r[c]} != ${b.columns[c]![i]}`);
      if (r.label !== b.label![i]) throw new Error(`row ${60000 + k}: label ${r.label} != ${b.label![i]}`);
    });
  });

  it('reads back with DuckDB as an independent reader: counts, sums and the label', async () => {
    const [agg] = await duckdb<{ n: bigint; sig: bigint; s: number; m: number }>(
      `select count(*) n, sum(label) sig, sum(jet1_pt::double) s, max(mjj) m from read_parquet('${file}')`,
    );
    let s = 0,
      m = -Infinity;
    for (const b of reference)
      for (let i = 0; i < b.length; i++) {
        s += b.columns.jet1_pt![i]!;
        m = Math.max(m, b.columns.mjj![i]!);
      }
    expect(Number(agg!.n)).toBe(events);
    expect(Number(agg!.sig)).toBe(700);
    expect(agg!.s).toBeCloseTo(s, 0);
    expect(agg!.m).toBe(m);
    const types = await duckdb<{ column_name: string; column_type: string }>(
      `describe select * from read_parquet('${file}')`,
    );
    expect(types.find((t) => t.column_name === 'mjj')!.column_type).toBe('FLOAT');
    expect(types.find((t) => t.column_name === 'label')!.column_type).toBe('INTEGER');
    const [row] = await duckdb<Record<string, number>>(`select * from read_parquet('${file}') limit 1 offset 123456`);
    const b = reference[3]!; // 120000..149999
    for (const c of GENERATOR_COLUMNS) expect(row![c]).toBe(b.columns[c]![123456 - 120000]);
  });

  it('writes only the selected events of a batch, and column sets of float64 / int32', async () => {
    const f = path.join(dir, 'sel.parquet');
    const w = await ParquetFileWriter.create(f, { rowGroupSize: 3 });
    await w.appendBatch({
      length: 5,
      columns: { x: Float64Array.from([1, 2, 3, 4, 5]) },
      label: Uint8Array.from([0, 1, 0, 1, 1]),
      selection: Uint32Array.from([1, 3, 4]),
      positions: [],
    });
    await w.appendColumns({ x: Float64Array.from([6.5]), label: Int32Array.from([0]) });
    expect(await w.close()).toBe(4);
    const rows = await parquetReadObjects({ file: await arrayBuffer(f) });
    expect(rows).toEqual([
      { x: 2, label: 1 },
      { x: 4, label: 1 },
      { x: 5, label: 1 },
      { x: 6.5, label: 0 },
    ]);
    const [agg] = await duckdb<{ s: number }>(`select sum(x) s from read_parquet('${f}')`);
    expect(agg!.s).toBe(17.5);
  });

  it('rejects batches whose columns change, naming the file and column', async () => {
    const f = path.join(dir, 'bad.parquet');
    const w = await ParquetFileWriter.create(f);
    await w.appendColumns({ a: new Float32Array(2), b: new Float32Array(2) });
    await expect(w.appendColumns({ a: new Float32Array(2) })).rejects.toThrow(/bad\.parquet: columns \[a\] differ/);
    await expect(w.appendColumns({ a: new Float32Array(2), b: new Float64Array(2) })).rejects.toThrow(
      /column 'b' changed type from FLOAT to DOUBLE/,
    );
    await expect(w.appendColumns({ a: new Float32Array(2), b: new Float32Array(3) })).rejects.toThrow(
      /column 'b' has 3 rows, 'a' has 2/,
    );
    await w.close();
    await expect(writeParquet(path.join(dir, 'no-such-dir', 'x.parquet'), { a: new Float32Array(1) })).rejects.toThrow(
      /no-such-dir.*cannot open for writing/,
    );
  });
});
