import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EventBatch } from '../../src/events/batch.js';
import { runTopology } from '../../src/run.js';
import { writeParquet } from '../../src/sinks/parquet.js';
import { parquetRowGroups } from '../../src/sources/parquet.js';
import { GeneratorSource } from '../../src/sources/generator.js';
import { parseTopology } from '../../src/topology/load.js';

const TOPOLOGY = `
name: ingest-workers
seed: 3
source: { kind: parquet, path: PLACEHOLDER }
columns:
  { jet1_pt: GeV, jet1_eta: none, jet1_phi: none, jet1_m: GeV, jet1_tau1: none, jet1_tau2: none, jet1_tau3: none,
    jet2_pt: GeV, jet2_eta: none, jet2_phi: none, jet2_m: GeV, jet2_tau1: none, jet2_tau2: none, jet2_tau3: none }
label: label
derive: { mjj: fourvector }
cuts: atlas2024
windows: { scheme: sliding }
features: [mj_min, delta_mj, tau21_lighter, tau21_heavier]
trigger: { minSrEvents: 1500 }
binning: { width: 60 }
classifier: { kind: none }
fit: { strategy: atlas2024, sqrtS: 13000 }
sinks: { report: false }
`;

/** Generated events in 8192-row row groups, two of them with a bad value (NaN, +inf), bad rows named below. */
async function writeEvents(file: string, events: number, seed: number, bad: Array<[number, string, number]>) {
  const gen = new GeneratorSource({ events, seed, mjjMin: 1800, batchSize: 8192, signals: [] });
  let at = 0;
  async function* batches(): AsyncIterable<EventBatch> {
    for await (const b of gen.batches()) {
      for (const [row, field, value] of bad) if (row >= at && row < at + b.length) b.columns[field]![row - at] = value;
      at += b.length;
      yield b;
    }
  }
  await writeParquet(file, batches(), { rowGroupSize: 8192 });
}

/** A result line without what differs between two runs of one seed: run id, timestamps. */
function comparable(line: string): unknown {
  const r = JSON.parse(line);
  delete r.runId;
  delete r.createdAt;
  delete r.batchArrivedAt;
  delete r.key;
  if (r.model) delete r.model.trainSeconds;
  return r;
}

describe('parallel Parquet ingest (source.threads)', () => {
  it('gives the results, dead letters, counts and store of the single-threaded ingest, whatever the thread count', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sideband-ingest-workers-'));
    await writeEvents(path.join(dir, 'a.parquet'), 40000, 11, [
      [20000, 'jet1_pt', NaN],
      [30001, 'jet2_eta', Infinity],
    ]);
    // A file without one of the columns in the middle: lost whole, in its place in the order.
    await writeParquet(path.join(dir, 'b.parquet'), { jet1_pt: Float32Array.from([600, 700]) });
    await writeEvents(path.join(dir, 'c.parquet'), 20000, 12, [[1, 'jet1_m', NaN]]);
    const groups: number[] = [];
    for await (const t of parquetRowGroups({ path: dir, onFileError: () => {} }))
      if (t.kind === 'rowGroup') groups.push(t.rows);
    // Several row groups per file: 5 + 1 + 3 (b.parquet's one row group has no jet columns but jet1_pt).
    expect(groups).toHaveLength(9);

    const run = async (threads: number) => {
      const out = mkdtempSync(path.join(tmpdir(), 'sideband-ingest-workers-out-'));
      const t = parseTopology(TOPOLOGY, 'ingest-workers.yaml', [`source.path=${dir}`, `source.threads=${threads}`]);
      const logs: string[] = [];
      const r = await runTopology(t, { file: 'ingest-workers.yaml', outDir: out, log: (m) => logs.push(m) });
      const read = (name: string) => readFileSync(path.join(out, name), 'utf8').trim().split('\n').filter(Boolean);
      const stored = r.run.buffers.store.gather(0, 1e9);
      return { ...r, logs, lines: read('results.jsonl'), dead: read('dead-letters.jsonl'), stored };
    };
    const one = await run(1);
    expect(one.logs.some((l) => /worker threads/.test(l))).toBe(false);
    // Read = accepted + rejected: 60,000 events, 3 bad rows, 2 rows in the file without the columns.
    expect(one.summary.events).toMatchObject({ read: 60002, accepted: 59997, rejected: 5 });
    expect(one.dead.map((l) => JSON.parse(l)).map((d) => [d.reason, d.field, d.row, d.events])).toEqual([
      ['nan', 'jet1_pt', 20000, 1],
      ['infinite', 'jet2_eta', 30001, 1],
      ['missing_column', 'jet1_eta', undefined, 2],
      ['nan', 'jet1_m', 1, 1],
    ]);
    expect(one.lines.length).toBeGreaterThan(3);
    expect(one.stored.n).toBeGreaterThan(5000);
    for (const threads of [2, 3]) {
      const many = await run(threads);
      expect(many.logs).toContain(`ingest: ${threads} worker threads`);
      expect(many.summary.events).toEqual(one.summary.events);
      expect(many.summary.cutflow).toEqual(one.summary.cutflow);
      expect(many.dead).toEqual(one.dead);
      expect(many.lines.map(comparable)).toEqual(one.lines.map(comparable));
      expect(many.stored.n).toBe(one.stored.n);
      expect(many.stored.mjj).toEqual(one.stored.mjj);
      expect(many.stored.columns).toEqual(one.stored.columns);
      expect(many.stored.label).toEqual(one.stored.label);
    }
  }, 120_000);
});
