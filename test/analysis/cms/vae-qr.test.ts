/**
 * Seed 003's VAE-QR end to end from `sideband run` (topologies/cms2024-vaeqr.yaml on a small generated stream):
 * the control region is collected beside the signal region, the method trains once and selects every CMS A/B
 * window with the table's efficiency, and the selected spectra are fitted.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTopology } from '../../../src/run.js';
import { loadTopology } from '../../../src/topology/load.js';
import { repoRoot } from '../../helpers/paths.js';
import { trainVaeQr, vaeQrPass } from '../../../src/analysis/cms/vae-qr.js';
import { PercentileRank, eventScore } from '../../../src/analysis/cms/jets.js';
import { EventGenerator } from '../../../src/sources/generator.js';
import { deriveFeatures } from '../../../src/events/derive.js';
import { applyCuts, CUT_PRESETS } from '../../../src/events/cuts.js';

const STEMS = ['pt', 'msd', 'tau21', 'tau32', 'tau43', 'npf', 'lsf3'];
const FEATURES = [...STEMS.map((s) => `jet1_${s}`), ...STEMS.map((s) => `jet2_${s}`)];

function sample(preset: string, events: number, seed: number) {
  const g = new EventGenerator({ events, seed, mjjMin: 1200, substructure: 'cms2024' });
  const b = g.next(events);
  const sh = { ...b, columns: { ...b.columns } };
  deriveFeatures(sh, ['delta_eta', 'cms_unbalanced', 'mjj', ...FEATURES], 'column');
  applyCuts(sh, [...CUT_PRESETS[preset]!, { name: 'mjj', features: ['mjj'], min: 1400, max: 8000 }]);
  const sel = sh.selection!;
  return {
    features: FEATURES,
    columns: FEATURES.map((f) => Float32Array.from(sel, (i) => sh.columns[f]![i]!)),
    mjj: Float32Array.from(sel, (i) => sh.columns.mjj![i]!),
    n: sel.length,
    sh,
  };
}

describe('VAE-QR pieces', () => {
  it('event score is the larger of the two percentile ranks', () => {
    const r = new PercentileRank(Float32Array.from([1, 2, 3, 4]));
    expect(r.rank(0)).toBe(0);
    expect(r.rank(2.5)).toBe(0.5);
    expect(r.rank(9)).toBe(1);
    const s = eventScore(Float32Array.from([1.5, 3.5]), Float32Array.from([3.5, 0]), r, r);
    expect(Array.from(s)).toEqual([0.75, 0.75]);
  });

  it('the control-region preset keeps 2.0 <= |deta| < 2.5 and unbalanced events only; the SR preset |deta| < 1.3', () => {
    const cr = sample('cms2024-control', 40000, 3);
    const srs = sample('cms2024', 40000, 3);
    for (const i of cr.sh.selection!) {
      expect(cr.sh.columns.delta_eta![i]!).toBeGreaterThanOrEqual(2);
      expect(cr.sh.columns.delta_eta![i]!).toBeLessThan(2.5);
      expect(cr.sh.columns.cms_unbalanced![i]!).toBe(1);
    }
    for (const i of srs.sh.selection!) expect(srs.sh.columns.delta_eta![i]!).toBeLessThan(1.3);
    expect(cr.n).toBeGreaterThan(200);
    expect(srs.n).toBeGreaterThan(2000);
  });

  it('on signal-free events the quantile regression keeps about the requested fraction, the same bits for the same seed', () => {
    const sr = sample('cms2024', 120000, 5);
    const cr = sample('cms2024-control', 120000, 6);
    const cfg = {
      kind: 'vae-qr' as const,
      jetFeatures: STEMS,
      logFeatures: ['pt', 'msd', 'npf'],
      autoencoder: { epochs: 8 },
      quantileRegression: { epochs: 15 },
    };
    const a = trainVaeQr(cfg, sr, cr, [0.9], 11);
    const pass = vaeQrPass(a, sr, 0.1);
    const kept = pass.reduce((x, y) => x + y, 0) / sr.n;
    expect(kept).toBeGreaterThan(0.06);
    expect(kept).toBeLessThan(0.14);
    const b = trainVaeQr(cfg, sr, cr, [0.9], 11);
    expect(Array.from(vaeQrPass(b, sr, 0.1))).toEqual(Array.from(pass));
  });
});

describe('sideband run topologies/cms2024-vaeqr.yaml', () => {
  it('collects the control region, trains once and fits every CMS window on the selected spectrum', async () => {
    const file = path.join(repoRoot, 'topologies', 'cms2024-vaeqr.yaml');
    const t = await loadTopology(file, [
      'source.events=200000',
      'sinks.report=false',
      'method.autoencoder.epochs=6',
      'method.quantileRegression.epochs=10',
    ]);
    const out = mkdtempSync(path.join(tmpdir(), 'sideband-cms-vaeqr-'));
    const logs: string[] = [];
    const { summary, results } = await runTopology(t, { file, outDir: out, log: (m) => logs.push(m) });
    expect(summary.status).not.toBe('no-input');
    // Twelve windows (A1–A6, B1–B6), each at its table efficiency.
    expect(results).toHaveLength(12);
    const byId = new Map(results.map((r) => [r.window.id, r]));
    expect(byId.get('A1')!.workingPoint).toBe(0.01);
    expect(byId.get('A4')!.workingPoint).toBe(0.03);
    expect(byId.get('B6')!.workingPoint).toBe(0.05);
    // One training for all windows (the log names it once), on the control region collected beside the stream.
    const trainings = logs.filter((m) => m.startsWith('vae-qr: autoencoder on'));
    expect(trainings).toHaveLength(1);
    for (const r of results) {
      expect(r.error).toBeUndefined();
      expect(r.model?.background).toBe('quantile-regression');
      expect(r.fit ?? r.invalid).toBeDefined();
      // Only SR events are histogrammed: the selection is a fraction of the SR store.
      const sel = r.histogram!.counts.reduce((a, b) => a + b, 0);
      expect(sel).toBeGreaterThan(0);
      expect(sel).toBeLessThan(0.2 * summary.events.stored);
    }
    // Windows with the same efficiency select the same events (one model, one selection per working point).
    expect(byId.get('A1')!.histogram!.counts).toEqual(byId.get('B1')!.histogram!.counts);
    const lines = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(12);
  }, 240000);
});
