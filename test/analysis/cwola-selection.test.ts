import { afterAll, describe, expect, it } from '@jest/globals';
import { selectWithClassifier, selectPerFold } from '../../src/analysis/cwola-selection.js';
import { runTrainJob } from '../../src/classify/train-job.js';
import { TrainingPool } from '../../src/training/pool.js';
import { syntheticSnapshot } from '../classify/synthetic.js';

const pool = new TrainingPool(2);
afterAll(() => pool.close());
/** Train on the calling thread (HGB needs no runtime). */
const inline = { train: (job: Parameters<typeof runTrainJob>[0]) => runTrainJob(job, {}) };

const edges = Float64Array.from({ length: 31 }, (_, i) => 2600 + 60 * i);

describe('CWoLa hunting on one window', () => {
  it('enhances an injected SR signal at a tight working point, in worker threads, with progress and evaluation', async () => {
    const snap = syntheticSnapshot({ nBackground: 20_000, nSignal: 400, seed: 5 });
    const progress: number[] = [];
    const res = await selectWithClassifier(
      snap,
      { ensemble: 3, folds: 5, workers: 2, workingPoints: [0.1, 0.02], hgb: { maxIter: 60 } },
      { edges },
      { train: pool.train, onProgress: (d) => progress.push(d) },
    );
    expect(res.map((r) => r.workingPoint)).toEqual([0.1, 0.02]);
    expect(progress[progress.length - 1]).toBe(15);
    const h = res[1]!.histogram;
    expect(h.edges.length).toBe(31);
    expect(h.spread!.length).toBe(30);
    // Signal sits around 3500 GeV (bins 13..17); the selected histogram there should beat the sidebands' level.
    const peak = h.counts.slice(13, 18).reduce((a, b) => a + b, 0) / 5;
    const side = h.counts.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
    expect(peak).toBeGreaterThan(side);
    expect(res[0]!.model.ensemble).toBe(3);
    expect(res[0]!.model.backend).toBe('js');
    expect(res[0]!.evaluation!.auc).toBeGreaterThan(0.8);
    // Each member evaluated on its own, for the SIC band: 3 curves on the common grid, plus the ensemble's.
    const m = res[0]!.evaluation!.members!;
    expect(m.sic).toHaveLength(3);
    expect(m.tpr).toHaveLength(50);
    for (const c of m.sic) expect(c).toHaveLength(50);
    for (const a of m.auc) expect(a).toBeGreaterThan(0.7);
    // at ε_S = 0.9 (where ≥ 25 background events pass) every member and the ensemble beat a random cut (SIC √0.9)
    const k = m.tpr.indexOf(0.9);
    for (const c of m.sic) expect(c[k]!).toBeGreaterThan(Math.sqrt(0.9));
    expect(m.ensemble![k]!).toBeGreaterThan(Math.sqrt(0.9));
  });

  it('runs seed 001’s k = 5, n = 2 scheme with efficiency mapping inline', async () => {
    const snap = syntheticSnapshot({ nBackground: 6000, nSignal: 300, seed: 6 });
    const res = await selectWithClassifier(
      snap,
      { ensemble: 1, cv: 'atlas2020', candidates: 2, workers: 0, workingPoints: [0.1], hgb: { maxIter: 20 } },
      { edges },
      inline,
    );
    // SR = bins 10..19 (3200–3800 GeV): exactly the top 10 % of each fold's SR events pass (rounding per fold).
    const srSelected = res[0]!.histogram.counts.slice(10, 20).reduce((a, b) => a + b, 0);
    expect(Math.abs(srSelected - 0.1 * snap.counts.sr)).toBeLessThanOrEqual(5);
    // The injected signal is learned, so the sidebands pass less than 10 %.
    const sbSelected = res[0]!.histogram.counts.reduce((a, b) => a + b, 0) - srSelected;
    expect(sbSelected).toBeLessThan(0.1 * (snap.counts.sbLow + snap.counts.sbHigh));
  });

  it('keeps the top ε of each fold’s SR events', () => {
    const score = Float64Array.from({ length: 400 }, (_, i) => (i * 37) % 400);
    const fold = Uint8Array.from({ length: 400 }, (_, i) => i % 4);
    const role = Uint8Array.from({ length: 400 }, (_, i) => (i % 8 < 4 ? 0 : 1));
    const mask = selectPerFold(score, fold, role, { thresholdFrom: 'sr' }, 0.1);
    for (let f = 0; f < 4; f++) {
      const sel = Array.from(mask).filter((m, i) => m && fold[i] === f && role[i] === 0).length;
      expect(sel).toBe(5); // 50 SR events per fold
    }
  });

  it('fails with the window id when a window has too few events', async () => {
    const snap = syntheticSnapshot({ nBackground: 60, nSignal: 0, seed: 1 });
    await expect(selectWithClassifier(snap, { workers: 0 }, { edges }, inline)).rejects.toThrow(
      /window sr-3200-3800.*too few/,
    );
  });
});

describe('scoring beyond the window (seed 001 applies the network to the whole spectrum)', () => {
  it('scores and selects events outside SR and SB without training on them', async () => {
    const { syntheticSnapshot: make } = await import('../classify/synthetic.js');
    const snap = make({ nBackground: 8000, nSignal: 200, seed: 8 });
    // Shrink the window so that events in [2600, 2900) and [4100, 4400) lie outside it.
    snap.window = {
      id: 'narrow',
      sr: [3200, 3800],
      sb: [
        [2900, 3200],
        [3800, 4100],
      ],
    };
    const res = await selectWithClassifier(
      snap,
      { ensemble: 1, workers: 0, workingPoints: [0.1], hgb: { maxIter: 20 }, ecdfFeatures: ['f0'] },
      { edges },
      inline,
    );
    const c = res[0]!.histogram.counts;
    const outside = c.slice(0, 5).reduce((a, b) => a + b, 0) + c.slice(25).reduce((a, b) => a + b, 0);
    expect(outside).toBeGreaterThan(0);
  });

  it('reweights the sidebands to the SR in a named feature before training, and names an unknown one', async () => {
    const snap = syntheticSnapshot({ nBackground: 6000, nSignal: 100, seed: 9 });
    const res = await selectWithClassifier(
      snap,
      { ensemble: 1, workers: 0, workingPoints: [0.1], hgb: { maxIter: 10 }, reweightSidebands: 'f1' },
      { edges },
      inline,
    );
    expect(res[0]!.histogram.counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    await expect(
      selectWithClassifier(snap, { ensemble: 1, workers: 0, reweightSidebands: 'nope' }, { edges }, inline),
    ).rejects.toThrow(/reweightSidebands names 'nope'/);
  });

  it('assigns regions by mjj edges for the ECDF mapping', async () => {
    const { regionsOf } = await import('../../src/analysis/cwola-selection.js');
    expect(
      Array.from(regionsOf(Float32Array.of(1800, 1900, 2279, 2280, 8169, 8170, NaN), [1900, 2280, 2740, 8170])),
    ).toEqual([0, 0, 0, 1, 2, 2, 255]);
  });
});
