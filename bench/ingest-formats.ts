/**
 * Read speed of the file sources side by side (events/s of the source alone, every column materialised as typed
 * arrays), called by bench/ingest.ts:
 *   - `generated`: the bench's 1M-event generated Parquet file, its 14 jet columns rewritten here as a 2-D float32
 *     .npy (C order) and an HDF5 file of 1-D float32 datasets (written with h5wasm): Parquet vs NumPy vs HDF5;
 *   - `zmumu`: the committed Z → μμ fixtures (2304 events, 19 branches, written by ROOT, DuckDB, NumPy and h5py),
 *     read `passes` times: ROOT (zlib, zstd, lz4) vs Parquet vs NumPy vs HDF5 on identical events.
 * Best of `repeat` passes per source, sources interleaved in each repeat.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { File as H5File, ready } from 'h5wasm/node';
import { ParquetSource } from '../src/sources/parquet.js';
import { NumpySource } from '../src/sources/numpy.js';
import { Hdf5Source } from '../src/sources/hdf5.js';
import { RootSource } from '../src/sources/root.js';
import type { Source } from '../src/sources/source.js';

async function drain(src: Source): Promise<number> {
  let n = 0;
  for await (const b of src.batches()) n += b.length;
  return n;
}

async function best(
  make: () => Source,
  passes: number,
  repeat: number,
): Promise<{ events: number; seconds: number; events_per_s: number }> {
  let bestS = Infinity,
    events = 0;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    events = 0;
    for (let p = 0; p < passes; p++) events += await drain(make());
    bestS = Math.min(bestS, (performance.now() - t0) / 1000);
  }
  return { events, seconds: bestS, events_per_s: events / bestS };
}

/** Write the generated file's columns as .npy (2-D float32) and HDF5 (1-D float32 datasets). */
async function convert(parquet: string, columns: string[], dir: string): Promise<{ npy: string; h5: string }> {
  const cols: Record<string, Float32Array[]> = {};
  for await (const b of new ParquetSource({ path: parquet, columns }).batches())
    for (const c of columns) {
      cols[c] ??= [];
      cols[c].push(Float32Array.from(b.columns[c]!));
    }
  const n = cols[columns[0]!]!.reduce((a, x) => a + x.length, 0);
  const flat = Object.fromEntries(
    columns.map((c) => {
      const out = new Float32Array(n);
      let at = 0;
      for (const part of cols[c]!) {
        out.set(part, at);
        at += part.length;
      }
      return [c, out];
    }),
  );
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${columns.length}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const head = Buffer.from(
    `\x93NUMPY\x01\x00${String.fromCharCode((header.length + pad + 1) & 0xff, (header.length + pad + 1) >> 8)}${header}${' '.repeat(pad)}\n`,
    'latin1',
  );
  const matrix = new Float32Array(n * columns.length);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < columns.length; j++) matrix[i * columns.length + j] = flat[columns[j]!]![i]!;
  const npy = path.join(dir, `sideband-bench-ingest-${n}.npy`);
  writeFileSync(npy, Buffer.concat([head, Buffer.from(matrix.buffer)]));
  await ready;
  const h5 = path.join(dir, `sideband-bench-ingest-${n}.h5`);
  const f = new H5File(h5, 'w');
  for (const c of columns) f.create_dataset({ name: c, data: flat[c]!, chunks: [65536] });
  f.close();
  return { npy, h5 };
}

export async function formatReadSpeeds(
  parquet: string,
  columns: string[],
  dir: string,
  fixtures: string,
  repeat: number,
) {
  const { npy, h5 } = await convert(parquet, columns, dir);
  const generated: Record<string, unknown> = {};
  const gen: Record<string, () => Source> = {
    parquet: () => new ParquetSource({ path: parquet, columns }),
    numpy: () => new NumpySource({ path: npy, names: columns }),
    hdf5: () => new Hdf5Source({ path: h5, columns }),
  };
  for (let r = 0; r < 1; r++) for (const [k, make] of Object.entries(gen)) generated[k] = await best(make, 1, repeat);
  const z = (f: string) => path.join(fixtures, f);
  const names = [
    'Run',
    'Event',
    'E1',
    'px1',
    'py1',
    'pz1',
    'pt1',
    'eta1',
    'phi1',
    'Q1',
    'E2',
    'px2',
    'py2',
    'pz2',
    'pt2',
    'eta2',
    'phi2',
    'Q2',
    'M',
  ];
  const zm: Record<string, () => Source> = {
    parquet: () => new ParquetSource({ path: z('zmumu.parquet'), columns: names }),
    root_zlib: () => new RootSource({ path: z('uproot-Zmumu.root'), tree: 'events', columns: names }),
    root_zstd: () => new RootSource({ path: z('uproot-Zmumu-zstd.root'), tree: 'events', columns: names }),
    root_lz4: () => new RootSource({ path: z('uproot-Zmumu-lz4.root'), tree: 'events', columns: names }),
    numpy: () => new NumpySource({ path: z('zmumu.npy'), names, columns: names }),
    hdf5: () => new Hdf5Source({ path: z('zmumu.h5'), columns: names }),
  };
  const zmumu: Record<string, unknown> = {};
  for (const [k, make] of Object.entries(zm)) zmumu[k] = await best(make, 100, repeat);
  return {
    generated: {
      file_events: (generated.parquet as { events: number }).events,
      columns: columns.length,
      npy,
      h5,
      ...generated,
    },
    zmumu: { passes: 100, columns: names.length, ...zmumu },
  };
}
