import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runTopology } from '../../src/run.js';
import { workspaceCls } from '../../src/cli/stats-workspace.js';
import { parseArgs } from '../../src/cli/args.js';
import { clsAsymptotic, clsUpperLimits } from '../../src/stats/cls.js';
import { pyhfDigest } from '../../src/formats/pyhf-window.js';
import { parseTopology } from '../../src/topology/load.js';

// A generated spectrum with the quickstart's 3.5 TeV resonance, one window, the inclusive histogram: fast, and the
// fit converges, so the result has limits and a workspace.
const topology = parseTopology(
  `
name: formats-sinks
seed: 7
source: { kind: generator, events: 300000, mjjMin: 1800, signals: ["mA=3500,mB=500,mC=100,n=400"] }
columns: { jet1_pt: GeV, jet1_eta: none, jet1_phi: none, jet1_m: GeV, jet2_pt: GeV, jet2_eta: none, jet2_phi: none, jet2_m: GeV }
derive: { mjj: fourvector, features: [] }
windows: { scheme: single, sr: [3200, 3800], sb: [[2600, 3200], [3800, 4400]] }
features: [mj_min]
trigger: { minSrEvents: 1000000 }
binning: { width: 60, range: [2600, 4400] }
fit: { strategy: single, functions: [dijet4], sqrtS: 13000 }
sinks: { report: false, workspaces: true, histograms: true, parquet: true }
`,
  'formats-sinks.yaml',
);

describe('format sinks of sideband run', () => {
  it("writes a pyhf workspace whose CLs and limits are the result's, UHI histograms and results.parquet", async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'sideband-sinks-'));
    const { results } = await runTopology(topology, { file: 'formats-sinks.yaml', outDir: out, runId: 'sinks' });
    const r = results[results.length - 1]!;
    expect(r.fit?.converged).toBe(true);
    expect(readdirSync(path.join(out, 'workspaces')).sort()).toEqual([
      'sr-3200-3800-inclusive.json',
      'sr-3200-3800-inclusive.patchset.json',
    ]);
    const file = path.join(out, 'workspaces/sr-3200-3800-inclusive.json');
    const ws = JSON.parse(readFileSync(file, 'utf8'));
    const sig = r.significance!;
    expect(ws.observations).toEqual([{ name: 'SR', data: [sig.observed] }]);
    expect(ws.channels[0].samples[1]).toEqual({
      name: 'background',
      data: [sig.expected],
      modifiers: [{ name: 'background_fit', type: 'shapesys', data: [sig.expectedErr] }],
    });
    // The workspace through the HistFactory engine = the counting form through the closed-form engine = the result.
    const viaWs = await workspaceCls(parseArgs(['--workspace', file, '--mu', '50', '--limit'], ['limit']));
    const counting = clsAsymptotic(
      { signal: [1], background: [sig.expected], backgroundUncertainty: [sig.expectedErr] },
      [sig.observed],
      50,
    );
    expect(Math.abs((viaWs.cls_obs as number) - counting.clsObs)).toBeLessThan(1e-9);
    (viaWs.cls_exp as number[]).forEach((v, i) => expect(Math.abs(v - counting.clsExp[i]!)).toBeLessThan(1e-9));
    const ul = clsUpperLimits({ signal: [1], background: [sig.expected], backgroundUncertainty: [sig.expectedErr] }, [
      sig.observed,
    ]);
    expect(Math.abs((viaWs.mu_limit_obs as number) - ul.observed) / ul.observed).toBeLessThan(1e-5);
    expect(
      Math.abs((viaWs.mu_limit_obs as number) - (r.limits!.signalEventsObserved as number)) / ul.observed,
    ).toBeLessThan(1e-5);
    // Patchset: Gaussian hypotheses at the window centre, the digest pyhf computes for the workspace.
    const ps = JSON.parse(readFileSync(path.join(out, 'workspaces/sr-3200-3800-inclusive.patchset.json'), 'utf8'));
    expect(ps.metadata.digests.sha256).toBe(pyhfDigest(ws));
    expect(ps.patches.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([
      'gauss_m3500_w5',
      'gauss_m3500_w10',
      'gauss_m3500_w15',
    ]);
    // σ = 5 % of 3.5 TeV = 175 GeV; the SR is ±300 GeV = ±1.714σ: 91.4 % inside.
    expect(ps.patches[0].patch[0].value[0]).toBeCloseTo(0.91355, 4);
    const patched = await workspaceCls(
      parseArgs(
        [
          '--workspace',
          file,
          '--patchset',
          path.join(out, 'workspaces/sr-3200-3800-inclusive.patchset.json'),
          '--patch',
          'gauss_m3500_w10',
          '--mu',
          '50',
        ],
        [],
      ),
    );
    expect(patched.cls_obs as number).toBeGreaterThan(viaWs.cls_obs as number); // less signal in the SR: weaker exclusion

    // UHI JSON, schema version 1: variable axis of the result's edges, weighted storage.
    const uhi = JSON.parse(readFileSync(path.join(out, 'histograms.json'), 'utf8'));
    expect(Object.keys(uhi)).toEqual(['sr-3200-3800-inclusive-observed', 'sr-3200-3800-inclusive-background']);
    const h = uhi['sr-3200-3800-inclusive-observed'];
    expect(h.uhi_schema).toBe(1);
    expect(h.axes).toEqual([
      {
        type: 'variable',
        edges: r.histogram!.edges,
        underflow: false,
        overflow: false,
        circular: false,
        metadata: { name: 'mjj', label: 'm_jj [GeV]', unit: 'GeV' },
      },
    ]);
    expect(h.storage).toEqual({ type: 'weighted', values: r.histogram!.counts, variances: r.histogram!.counts });
    expect(uhi['sr-3200-3800-inclusive-background'].storage.values).toEqual(r.fit!.prediction);

    // results.parquet, read by DuckDB: one row per result line.
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const rows = (
      await con.runAndReadAll(`SELECT window_id, working_point, trigger, observed, expected, z, limit_signal_obs, fit_converged, histogram_counts
      FROM read_parquet('${path.join(out, 'results.parquet')}')`)
    ).getRowObjectsJson();
    con.closeSync();
    expect(rows).toHaveLength(results.length);
    expect(rows[rows.length - 1]).toMatchObject({
      window_id: 'sr-3200-3800',
      working_point: null,
      trigger: 'end',
      observed: sig.observed,
      expected: sig.expected,
      z: sig.z,
      fit_converged: true,
    });
    expect(JSON.parse(rows[rows.length - 1]!.histogram_counts as string)).toEqual(r.histogram!.counts);
  });
});
