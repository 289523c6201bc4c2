import { describe, expect, it } from '@jest/globals';
import { analyseSnapshot, inclusiveHistogram, type AnalysisPlan } from '../../src/analysis/analyse-window.js';
import { globalSignificance } from '../../src/analysis/global-significance.js';
import { analyseWindowHistogram } from '../../src/analysis/window-analysis.js';
import type { WindowResult } from '../../src/events/result.js';
import type { WindowSnapshot } from '../../src/events/snapshot.js';
import { seededPoisson } from '../../src/stats/random.js';

const edges = Float64Array.from({ length: 31 }, (_, i) => 2000 + 60 * i);
const plan: AnalysisPlan = {
  runId: 'r',
  topology: 't',
  features: [],
  binning: { width: 60 },
  workingPoints: [],
  fit: { strategy: 'atlas2024', sqrtS: 13000 },
  concurrency: 1,
  queue: 1,
  model: 'inclusive',
};

/** Final results of `windows` windows on Poisson spectra, one of them with `bump` extra events in its SR. */
async function results(windows: number, bump: number, seed: number): Promise<WindowResult[]> {
  const draw = seededPoisson(seed);
  const out: WindowResult[] = [];
  for (let w = 0; w < windows; w++) {
    const masses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const m = 2000 + 60 * (i + 0.5);
      const k = draw(3000 * (m / 2000) ** -8 + (w === 0 && i >= 12 && i < 16 ? bump / 4 : 0));
      for (let j = 0; j < k; j++) masses.push(m - 30 + (60 * (j + 0.5)) / k);
    }
    const snap: WindowSnapshot = {
      window: {
        id: `w${w}`,
        sr: [2600, 3200],
        sb: [
          [2000, 2600],
          [3200, 3800],
        ],
      },
      trigger: 'end',
      features: [],
      columns: [],
      mjj: Float32Array.from(masses),
      n: masses.length,
      counts: { sr: 0, sbLow: 0, sbHigh: 0 },
      cutflow: [],
    };
    out.push(...(await analyseSnapshot(snap, plan, edges, [], inclusiveHistogram, analyseWindowHistogram)));
  }
  return out;
}

const options = { pseudoExperiments: 200, seed: 9, stats: analyseWindowHistogram, fit: plan.fit };

describe('look-elsewhere: global significance', () => {
  it('is far below the local one for the largest of many signal-free tests, and agrees with Šidák', async () => {
    const g = globalSignificance(await results(8, 0, 1), options)!;
    expect(g.tests).toBe(8);
    expect(g.exceeded).toBeGreaterThan(0);
    expect(g.zGlobal).toBeLessThan(g.maxLocalZ);
    // With independent tests both estimates agree within the pseudo-experiments' precision.
    expect(Math.abs(g.pGlobal - g.asymptotic.pGlobal)).toBeLessThan(0.15);
  });

  it('bounds the global p-value when no pseudo-experiment reaches a strong local excess', async () => {
    const g = globalSignificance(await results(4, 1200, 2), options)!;
    expect(g.window).toBe('w0');
    expect(g.maxLocalZ).toBeGreaterThan(5);
    expect(g.pGlobalIsUpperBound).toBe(true);
    expect(g.pGlobal).toBeCloseTo(1 / 201, 12);
    expect(g.asymptotic.zGlobal).toBeGreaterThan(4);
  });

  it("maps a calibrated test's pseudo-experiments to unit width as its local Z was, not by the calibration's width", async () => {
    // The calibration says the retrained null was half as wide as the fit's fluctuations alone; the local Z already
    // has unit width. Divided by 0.5, redrawn histograms would give pseudo-experiments twice too wide.
    const rs = (await results(8, 0, 1)).map((r) =>
      r.significance?.z === undefined
        ? r
        : {
            ...r,
            significance: {
              ...r.significance,
              calibration: { mean: 0, std: 0.5, samples: 20, source: 'generator', mode: 'standardize' as const },
            },
          },
    );
    const plain = globalSignificance(await results(8, 0, 1), options)!;
    const g = globalSignificance(rs, options)!;
    expect(g.maxLocalZ).toBe(plain.maxLocalZ);
    expect(Math.abs(g.pGlobal - g.asymptotic.pGlobal)).toBeLessThan(0.15);
    expect(Math.abs(g.pGlobal - plain.pGlobal)).toBeLessThan(0.15);
  });

  it('is deterministic for a seed', async () => {
    const r = await results(3, 0, 3);
    expect(globalSignificance(r, options)!.exceeded).toBe(globalSignificance(r, options)!.exceeded);
  });
});
