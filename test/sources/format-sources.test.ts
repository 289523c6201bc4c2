import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EventBatch } from '../../src/events/batch.js';
import type { InputError } from '../../src/events/errors.js';
import { Hdf5Source } from '../../src/sources/hdf5.js';
import { NumpySource } from '../../src/sources/numpy.js';
import { ParquetSource } from '../../src/sources/parquet.js';
import { RootSource } from '../../src/sources/root.js';
import type { Source } from '../../src/sources/source.js';
import { lhcoDir, repoRoot } from '../helpers/paths.js';

// Real files written by the reference tools (test/fixtures/formats/make_fixtures.sh): the first 3000 LHCO R&D
// signal-region events of sr_test.parquet as pandas/h5py HDF5 and NumPy files; Z → μμ from scikit-hep-testdata.
const F = path.join(repoRoot, 'test/fixtures/formats');
const LHCO = ['mjj', 'mj_min', 'delta_mj', 'tau21_lighter', 'tau21_heavier', 'label'];

async function collect(src: Source) {
  const cols: Record<string, number[]> = {};
  const batches: EventBatch[] = [];
  for await (const b of src.batches()) {
    batches.push(b);
    for (const [k, v] of Object.entries(b.columns)) {
      cols[k] ??= [];
      cols[k].push(...v);
    }
  }
  return { cols, batches, rows: batches.reduce((a, b) => a + b.length, 0) };
}

function deadLetters() {
  const errors: Array<{ error: InputError; rows: number }> = [];
  return { errors, onFileError: (error: InputError, rows: number) => errors.push({ error, rows }) };
}

let reference: Record<string, number[]>;
beforeAll(async () => {
  const all = await collect(new ParquetSource({ path: path.join(lhcoDir, 'sr_test.parquet'), columns: LHCO }));
  reference = Object.fromEntries(LHCO.map((c) => [c, all.cols[c]!.slice(0, 3000)]));
});

describe('HDF5 source on pandas and h5py files of the LHCO R&D events', () => {
  const cases: Array<[string, Partial<ConstructorParameters<typeof Hdf5Source>[0]>, boolean]> = [
    ["pandas 'fixed' (float64 block + int8 label block)", { path: 'lhco_pandas_fixed.h5' }, false],
    [
      "pandas 'table' (compound rows, names from the pickled kind attribute)",
      { path: 'lhco_pandas_table.h5', key: 'df' },
      false,
    ],
    ['h5py group of 1-D gzip datasets', { path: 'lhco_plain.h5', dataset: 'events' }, false],
    ['h5py 2-D float32 dataset with a columns attribute', { path: 'lhco_plain.h5', dataset: 'matrix' }, true],
  ];
  for (const [what, opts, float32] of cases) {
    it(`${what}: the 3000 events of sr_test.parquet, value for value`, async () => {
      const { cols, rows, batches } = await collect(
        new Hdf5Source({ ...opts, path: path.join(F, opts.path!), columns: LHCO, batchSize: 1024 }),
      );
      expect(rows).toBe(3000);
      expect(batches.map((b) => b.length)).toEqual([1024, 1024, 952]);
      expect(batches[2]!.positions[0]).toMatchObject({ kind: 'file', rowGroup: 2, rowStart: 2048, rowEnd: 3000 });
      for (const c of LHCO) expect(cols[c]).toEqual(float32 ? reference[c]!.map(Math.fround) : reference[c]);
    });
  }

  it('a missing column, a truncated and a non-HDF5 file are dead letters naming file and field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sideband-h5-'));
    const good = readFileSync(path.join(F, 'lhco_pandas_fixed.h5'));
    writeFileSync(path.join(dir, 'b-truncated.h5'), good.subarray(0, 4000));
    writeFileSync(path.join(dir, 'c-text.h5'), 'mjj,label\n1,0\n');
    writeFileSync(path.join(dir, 'a-good.h5'), good);
    const d = deadLetters();
    const { rows } = await collect(new Hdf5Source({ path: dir, columns: ['mjj', 'mj_min'], ...d }));
    expect(rows).toBe(3000);
    expect(d.errors.map((e) => e.error.message)).toEqual([
      expect.stringMatching(new RegExp(`^${dir}/b-truncated\\.h5: not an HDF5 file or truncated`)),
      expect.stringMatching(new RegExp(`^${dir}/c-text\\.h5: not an HDF5 file or truncated`)),
    ]);
    const m = deadLetters();
    await collect(new Hdf5Source({ path: path.join(F, 'lhco_pandas_fixed.h5'), columns: ['mjj', 'pt'], ...m }));
    expect(m.errors).toHaveLength(1);
    expect(m.errors[0]!.rows).toBe(3000);
    expect(m.errors[0]!.error.reason).toBe('missing_column');
    expect(m.errors[0]!.error.message).toContain("field pt: missing column (pandas 'fixed' has: mjj, mj_min");
  });
});

describe('NumPy source on numpy-written files', () => {
  it("CATHODE's innerdata layout: a 2-D float64 array with column names, C and Fortran order", async () => {
    for (const f of ['lhco_innerdata.npy', 'lhco_fortran.npy']) {
      const { cols, rows, batches } = await collect(
        new NumpySource({ path: path.join(F, f), names: LHCO, batchSize: 1000 }),
      );
      expect(rows).toBe(3000);
      expect(batches).toHaveLength(3);
      for (const c of LHCO) expect(cols[c]).toEqual(reference[c]);
    }
  });

  it('.npz from savez_compressed (deflated) and savez (stored, int32 and float64 columns)', async () => {
    const lhco = await collect(new NumpySource({ path: path.join(F, 'lhco_columns.npz'), columns: ['mjj', 'label'] }));
    expect(lhco.cols.mjj).toEqual(reference.mjj);
    expect(lhco.cols.label).toEqual(reference.label);
    const z = await collect(new NumpySource({ path: path.join(F, 'zmumu.npz'), columns: ['Run', 'M'] }));
    expect(z.rows).toBe(2304);
    expect(z.cols.Run![0]).toBe(148031);
  });

  it('a 2-D array without names, a wrong name count, a truncated file and a corrupt header are dead letters', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sideband-npy-'));
    const good = readFileSync(path.join(F, 'lhco_innerdata.npy'));
    writeFileSync(path.join(dir, 'a-truncated.npy'), good.subarray(0, good.length - 100));
    writeFileSync(path.join(dir, 'b-corrupt.npy'), Buffer.concat([good.subarray(0, 10), Buffer.from('{garbage')]));
    const d = deadLetters();
    const { rows } = await collect(new NumpySource({ path: dir, names: LHCO, ...d }));
    expect(rows).toBe(0);
    expect(d.errors[0]!.error.message).toBe(
      `${dir}/a-truncated.npy: truncated .npy data: 144028 bytes, shape [3000,6] needs 144128`,
    );
    expect(d.errors[1]!.error.message).toMatch(/b-corrupt\.npy: truncated \.npy header|unreadable \.npy header/);
    const n = deadLetters();
    await collect(new NumpySource({ path: path.join(F, 'lhco_innerdata.npy'), ...n }));
    expect(n.errors[0]!.error.message).toContain("a 2-D array of 6 columns needs the source option 'columns'");
    const w = deadLetters();
    await collect(new NumpySource({ path: path.join(F, 'lhco_innerdata.npy'), names: ['mjj'], ...w }));
    expect(w.errors[0]!.error.message).toContain("'columns' names 1 columns, the array has 6");
    const m = deadLetters();
    await collect(new NumpySource({ path: path.join(F, 'zmumu.npz'), columns: ['M', 'Type'], ...m }));
    expect(m.errors[0]).toMatchObject({ rows: 2304 });
    expect(m.errors[0]!.error.message).toContain('field Type: missing column');
  });
});

describe('ROOT source on scikit-hep-testdata files', () => {
  it('zlib, zstd and lz4 files give the same values as JSROOT read (through the NumPy fixture)', async () => {
    const ref = await collect(new NumpySource({ path: path.join(F, 'zmumu.npz') }));
    for (const f of ['uproot-Zmumu.root', 'uproot-Zmumu-zstd.root', 'uproot-Zmumu-lz4.root']) {
      const { cols, rows, batches } = await collect(new RootSource({ path: path.join(F, f), tree: 'events' }));
      expect(rows).toBe(2304);
      expect(batches[0]!.positions[0]).toMatchObject({ kind: 'file', rowStart: 0 });
      expect(Object.keys(cols).sort()).toEqual(Object.keys(ref.cols).sort()); // the string branch Type is left out
      for (const c of Object.keys(ref.cols)) expect(cols[c]).toEqual(ref.cols[c]);
    }
  });

  it('a string branch, a missing branch or tree, a truncated and a corrupt file are dead letters', async () => {
    const f = path.join(F, 'uproot-Zmumu.root');
    const t = deadLetters();
    await collect(new RootSource({ path: f, tree: 'events', columns: ['M', 'Type'], ...t }));
    expect(t.errors[0]).toMatchObject({ rows: 2304 });
    expect(t.errors[0]!.error.message).toBe(`${f}, field Type: wrong type: leaf type TLeafC is not a numeric scalar`);
    const m = deadLetters();
    await collect(new RootSource({ path: f, tree: 'events', columns: ['M', 'mjj'], ...m }));
    expect(m.errors[0]!.error.reason).toBe('missing_column');
    const n = deadLetters();
    await collect(new RootSource({ path: f, tree: 'nominal', ...n }));
    expect(n.errors[0]!.error.message).toBe(`${f}, field nominal: no object 'nominal' (have: events)`);
    const dir = mkdtempSync(path.join(tmpdir(), 'sideband-root-'));
    const good = readFileSync(f);
    writeFileSync(path.join(dir, 'a-truncated.root'), good.subarray(0, 100000));
    const flipped = Buffer.from(good);
    // Branch M's one basket (2304 entries) sits at bytes 155930–173005 of this file: damage its compressed data.
    for (let i = 156100; i < 172000; i += 7) flipped[i] = flipped[i]! ^ 0x5a;
    writeFileSync(path.join(dir, 'b-corrupt.root'), flipped);
    writeFileSync(path.join(dir, 'c-text.root'), 'not a root file at all, but long enough to have a header.........');
    const d = deadLetters();
    const { rows } = await collect(new RootSource({ path: dir, tree: 'events', columns: ['M'], ...d }));
    expect(rows).toBe(0);
    expect(d.errors).toHaveLength(3);
    expect(d.errors[0]!.error.message).toMatch(/a-truncated\.root: truncated ROOT file/);
    expect(d.errors[1]).toMatchObject({ rows: 2304 });
    expect(d.errors[1]!.error.message).toMatch(/b-corrupt\.root: corrupt basket 0 of branch M: ZL block/);
    expect(d.errors[2]!.error.message).toBe(`${dir}/c-text.root: not a ROOT file: no "root" magic`);
    await expect(collect(new RootSource({ path: path.join(dir, 'c-text.root'), tree: 'events' }))).rejects.toThrow(
      'no "root" magic',
    );
  });
});
