/**
 * Seed 003's comparison end to end from `sideband run` (topologies/cms2024-compare.yaml, tiny settings): the five
 * methods and the two baselines over one stream, each retrained at every injected amount, one result per method and
 * amount carrying its double-crystal-ball S+B fit; the comparison page and its JSON (Z against the injected signal,
 * the 3σ and 5σ crossings, the correlation of the selections). And the pure parts: the crossing interpolation and
 * the φ correlation of two selections.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { injectedAt, injectedLimit, selectionCorrelation } from '../../../src/analysis/cms/compare.js';
import { runTopology } from '../../../src/run.js';
import { loadTopology } from '../../../src/topology/load.js';
import { repoRoot } from '../../helpers/paths.js';

describe('comparison helpers', () => {
  it('interpolates the injected amount at a Z level, skipping invalid points', () => {
    const pts = [
      { amount: 0, z: 0.2 },
      { amount: 100, z: null },
      { amount: 200, z: 2 },
      { amount: 400, z: 4 },
    ];
    expect(injectedAt(pts, 3)).toBeCloseTo(300, 9);
    expect(injectedAt(pts, 5)).toBeNull();
    expect(injectedAt([{ amount: 50, z: 6 }], 5)).toBe(50);
  });

  it('puts the limit by injection where the kept signal reaches the upper limit', () => {
    const pts = [
      { amount: 0, keptSignal: 0, dataUpperLimit: 40 },
      { amount: 100, keptSignal: 30, dataUpperLimit: 50 },
      { amount: 200, keptSignal: 60, dataUpperLimit: 40 },
    ];
    // S − U: −40, −20, +20: zero at 150.
    expect(injectedLimit(pts)).toBeCloseTo(150, 9);
    expect(injectedLimit(pts.slice(0, 2))).toBeNull();
    expect(injectedLimit([{ amount: 0, keptSignal: 0, dataUpperLimit: null }])).toBeNull();
  });

  it('gives φ = 1 for equal selections, −1 for complementary ones, and the overlap', () => {
    const a = Uint8Array.from([1, 1, 0, 0, 1, 0]);
    const all = new Uint8Array(6).fill(1);
    expect(selectionCorrelation(a, a, all).phi).toBeCloseTo(1, 12);
    expect(
      selectionCorrelation(
        a,
        Uint8Array.from(a, (x) => 1 - x),
        all,
      ).phi,
    ).toBeCloseTo(-1, 12);
    const c = selectionCorrelation(a, Uint8Array.from([1, 0, 0, 0, 1, 1]), all);
    expect(c.overlap).toBeCloseTo(2 / 4, 12);
    expect(c.n).toBe(6);
    expect(Number.isNaN(selectionCorrelation(all, a, all).phi)).toBe(true);
  });
});

describe('sideband run topologies/cms2024-compare.yaml', () => {
  it('runs every method at every injected amount and writes the comparison page', async () => {
    const file = path.join(repoRoot, 'topologies', 'cms2024-compare.yaml');
    // Tiny: 150k events, two amounts, one epoch or a few for every network.
    const t = await loadTopology(file, [
      'source.events=150000',
      'compare.amounts=[0, 1500]',
      'compare.methods.3.background.training.epochs=1',
      'compare.methods.4.method.autoencoder.epochs=2',
      'compare.methods.4.method.quantileRegression.epochs=3',
      'compare.methods.5.method.autoencoder.epochs=2',
      'compare.methods.5.method.classifier.epochs=2',
      'compare.methods.6.method.flow.epochs=2',
      'compare.methods.6.method.simulation.events=20000',
      'compare.methods.6.method.simulation.signalEvents=3000',
    ]);
    const out = mkdtempSync(path.join(tmpdir(), 'sideband-cms-compare-'));
    const { results } = await runTopology(t, { file, outDir: out, log: () => {} });
    const names = ['inclusive', 'simple-cut', 'cwola', 'cathode', 'vae-qr', 'tnt', 'quak'];
    expect(results).toHaveLength(names.length * 2);
    expect(new Set(results.map((r) => r.key)).size).toBe(results.length);
    for (const r of results) {
      expect(r.window.id).toBe('B3');
      expect(names).toContain(r.comparison!.method);
      // The signal shape is the generated 3 TeV peak.
      expect(Math.abs(r.comparison!.shape.mu - 3000)).toBeLessThan(150);
    }
    const at = (m: string, a: number) =>
      results.find((r) => r.comparison!.method === m && r.comparison!.injected === a)!;
    // More injected events, more signal in the SR; none at 0.
    expect(at('inclusive', 0).comparison!.injectedInSr).toBe(0);
    expect(at('inclusive', 1500).comparison!.injectedInSr).toBeGreaterThan(500);
    // The same generated signal leaks into the control region the autoencoders train on: a small share of it.
    expect(at('vae-qr', 0).comparison!.injectedInControl).toBe(0);
    const leak = at('vae-qr', 1500).comparison!.injectedInControl!;
    expect(leak).toBeGreaterThan(0);
    expect(leak).toBeLessThan(at('vae-qr', 1500).comparison!.injectedInSr / 2);
    // The inclusive S+B fit finds the 1500 injected events (S/√B before selection ≈ 10 here).
    const inc = at('inclusive', 1500).comparison!.signalFit;
    expect(inc.valid).toBe(true);
    expect(inc.z!).toBeGreaterThan(3);
    expect(inc.signal!).toBeGreaterThan(0);
    // Selections keep about the working point's fraction (the cut baseline keeps what passes its cut).
    for (const m of ['cwola', 'vae-qr', 'tnt', 'quak']) {
      const r = at(m, 0);
      expect(r.error).toBeUndefined();
      const kept = r.counts.selected! / at('inclusive', 0).counts.selected!;
      expect(kept).toBeGreaterThan(0.005);
      expect(kept).toBeLessThan(0.1);
    }
    // Correlations at the largest amount, between every pair of methods that keeps a subset.
    const corr = at('cwola', 1500).comparison!.correlation!;
    expect(Object.keys(corr).sort()).toEqual(['cathode', 'quak', 'simple-cut', 'tnt', 'vae-qr']);
    for (const c of Object.values(corr)) if (c.phi !== null) expect(Math.abs(c.phi)).toBeLessThanOrEqual(1);
    const page = JSON.parse(readFileSync(path.join(out, 'compare.json'), 'utf8'));
    expect(page.kind).toBe('sideband-comparison');
    expect(page.windows[0].methods.map((m: { method: string }) => m.method)).toEqual(names);
    expect(page.windows[0].methods[0].injectedFor3Sigma).toBeGreaterThan(0);
    // The limit by injection: the data-only upper limit exists wherever the fit is valid, and the inclusive
    // selection keeps every injected event in range.
    const lim = at('inclusive', 1500).comparison!.limit!;
    expect(lim.keptSignal).toBeGreaterThan(500);
    expect(lim.dataUpperLimit).toBeGreaterThan(0);
    expect(page.windows[0].methods[0].injectedLimit95).toBeGreaterThan(0);
    expect(page.windows[0].methods[0].injectedLimit95).toBeLessThan(1500);
    const html = readFileSync(path.join(out, 'compare.html'), 'utf8');
    expect(html).toContain('Injected at 3σ');
    expect(html).toContain('Correlation of the selections');
    expect(html).toContain('<svg');
  }, 240000);

  it('names a bad comparison method in the topology error', async () => {
    const file = path.join(repoRoot, 'topologies', 'cms2024-compare.yaml');
    await expect(loadTopology(file, ['compare.methods.2.features=[jet1_nope]'])).rejects.toThrow(
      /compare\.methods\[2\]\.features\[0\]/,
    );
    await expect(loadTopology(file, ['compare.methods.1.name=inclusive'])).rejects.toThrow(/used by an earlier method/);
  });
});
