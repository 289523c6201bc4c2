import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTopology } from '../../src/run.js';
import { parseTopology } from '../../src/topology/load.js';

const TOPOLOGY = `
name: spill
seed: 5
source: { kind: generator, events: 200000, mjjMin: 1800, signals: ["mA=3500,mB=500,mC=100,n=300"] }
columns:
  { jet1_pt: GeV, jet1_eta: none, jet1_phi: none, jet1_m: GeV, jet1_tau1: none, jet1_tau2: none, jet1_tau3: none,
    jet2_pt: GeV, jet2_eta: none, jet2_phi: none, jet2_m: GeV, jet2_tau1: none, jet2_tau2: none, jet2_tau3: none }
label: label
derive: { mjj: fourvector }
cuts: atlas2024
windows: { scheme: sliding }
features: [mj_min, delta_mj, tau21_lighter, tau21_heavier]
trigger: { minSrEvents: 1000000000 }
binning: { width: 60 }
classifier: { kind: hgb, ensemble: 2, folds: 5, workers: 0, hgb: { maxIter: 20 } }
fit: { strategy: atlas2024, sqrtS: 13000 }
sinks: { report: false }
`;

/** A result line without what differs between two runs of one seed: run id, timestamps, training times. */
function comparable(line: string): unknown {
  const r = JSON.parse(line);
  delete r.runId;
  delete r.createdAt;
  delete r.batchArrivedAt;
  delete r.key;
  if (r.model) delete r.model.trainSeconds;
  return r;
}

describe('sideband run with store.memoryBudget', () => {
  it('spills the window store to disk and gives the results of the in-memory run of the same seed', async () => {
    const spillDir = mkdtempSync(path.join(tmpdir(), 'sideband-spill-run-'));
    const run = async (sets: string[]) => {
      const out = mkdtempSync(path.join(tmpdir(), 'sideband-spill-out-'));
      const t = parseTopology(TOPOLOGY, 'spill.yaml', sets);
      const r = await runTopology(t, { file: 'spill.yaml', outDir: out });
      return { ...r, lines: readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n') };
    };
    const memory = await run([]);
    // 100 kB: fewer than one chunk's worth of events (8192 × 21 bytes), so all but the last chunk spill.
    const spilled = await run(['store.memoryBudget=100000', `store.spillDir=${spillDir}`]);
    expect(memory.run.buffers.store.spilledBytes()).toBe(0);
    expect(spilled.summary.events.stored).toBeGreaterThan(2 * 8192);
    expect(spilled.run.buffers.store.spilledBytes()).toBeGreaterThan(0);
    expect(spilled.run.buffers.store.residentBytes()).toBeLessThanOrEqual(8192 * 21);
    expect(spilled.run.buffers.store.spillStats.bytesRead).toBeGreaterThan(0);
    expect(spilled.summary.events).toEqual(memory.summary.events);
    expect(spilled.lines.length).toBeGreaterThan(5);
    expect(spilled.lines.map(comparable)).toEqual(memory.lines.map(comparable));
    // The spill file is gone with the run.
    expect(readdirSync(spillDir)).toEqual([]);
  }, 120_000);

  it('rejects a budget that is not a positive number of bytes, naming the field', () => {
    expect(() => parseTopology(TOPOLOGY, 'spill.yaml', ['store.memoryBudget=-5'])).toThrow(/store\.memoryBudget/);
  });
});
