import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTopology } from '../../src/run.js';
import { parseTopology } from '../../src/topology/load.js';
import { repoRoot } from '../helpers/paths.js';

// The same 2304 Z → μμ events (uproot-Zmumu.root, read by JSROOT into CSV, written by NumPy, h5py and DuckDB; see
// test/fixtures/formats/make_fixtures.sh) through one topology from each source kind.
const F = path.join(repoRoot, 'test/fixtures/formats');
const BRANCHES = readFileSync(path.join(F, 'zmumu_columns.txt'), 'utf8').trim().split(' ');

const SOURCES: Record<string, string> = {
  parquet: `{ kind: parquet, path: ${F}/zmumu.parquet }`,
  root: `{ kind: root, path: ${F}/uproot-Zmumu.root, tree: events }`,
  'root-zstd': `{ kind: root, path: ${F}/uproot-Zmumu-zstd.root, tree: events }`,
  'root-lz4': `{ kind: root, path: ${F}/uproot-Zmumu-lz4.root, tree: events }`,
  numpy: `{ kind: numpy, path: ${F}/zmumu.npy, columns: [${BRANCHES.join(', ')}] }`,
  npz: `{ kind: numpy, path: ${F}/zmumu.npz }`,
  hdf5: `{ kind: hdf5, path: ${F}/zmumu.h5 }`,
  'hdf5-pandas': `{ kind: hdf5, path: ${F}/zmumu_pandas.h5, key: events }`,
};

async function run(kind: string) {
  const t = parseTopology(
    `
name: zmumu-formats
source: ${SOURCES[kind]}
columns: { mjj: { from: M, unit: GeV }, pt1: GeV, pt2: GeV, eta1: none, eta2: none, Q1: none }
cuts: [{ name: opposite-charge-proxy, features: [Q1], min: -2, max: 2 }]
windows: { scheme: single, sr: [80, 100], sb: [[60, 80], [100, 120]] }
features: [pt1, pt2, eta1, eta2]
trigger: { minSrEvents: 100000 }
binning: { width: 2, range: [60, 120] }
fit: { strategy: single, functions: [dijet3], sqrtS: 13000 }
sinks: { report: false, workspaces: true, histograms: true, parquet: true }
`,
    `${kind}.yaml`,
  );
  const out = mkdtempSync(path.join(tmpdir(), `sideband-fmt-${kind}-`));
  const { summary } = await runTopology(t, { file: `${kind}.yaml`, outDir: out, runId: 'formats' });
  const lines = readFileSync(path.join(out, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l);
      delete r.createdAt; // the fields that depend on the clock
      delete r.batchArrivedAt;
      return JSON.stringify(r);
    });
  return { summary, lines, out };
}

describe('HDF5, NumPy, ROOT and Parquet give identical results.jsonl', () => {
  it('eight files of the same events, one topology', async () => {
    const ref = await run('parquet');
    expect(ref.summary.events.read).toBe(2304);
    expect(ref.summary.deadLetters).toBe(0);
    expect(ref.lines.length).toBeGreaterThan(0);
    const first = JSON.parse(ref.lines[0]!);
    expect(first.counts.sr).toBeGreaterThan(1000);
    for (const kind of Object.keys(SOURCES).filter((k) => k !== 'parquet')) {
      const r = await run(kind);
      expect({ kind, events: r.summary.events }).toEqual({ kind, events: ref.summary.events });
      expect({ kind, lines: r.lines }).toEqual({ kind, lines: ref.lines });
      expect(readFileSync(path.join(r.out, 'histograms.json'), 'utf8')).toBe(
        readFileSync(path.join(ref.out, 'histograms.json'), 'utf8'),
      );
    }
  });
});
