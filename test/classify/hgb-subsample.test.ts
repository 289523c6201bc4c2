import { describe, expect, it } from '@jest/globals';
import { fitHgb, predictRaw, type HgbModel } from '../../src/classify/hgb.js';
import { mulberry32 } from '../../src/classify/random.js';

/** Two informative features (a step in each) and one noise feature. */
function data(n: number, seed: number) {
  const rand = mulberry32(seed);
  const cols = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (const c of cols) c[i] = rand();
    const p = 0.1 + 0.4 * (cols[0]![i]! > 0.5 ? 1 : 0) + 0.4 * (cols[1]![i]! > 0.3 ? 1 : 0);
    y[i] = rand() < p ? 1 : 0;
  }
  return { cols, y };
}

const splitFeatures = (m: HgbModel) => m.trees.map((t) => new Set(Array.from(t.feature).filter((f) => f >= 0)));

describe('stochastic boosting: row and feature subsampling per tree', () => {
  const { cols, y } = data(6000, 11);
  const base = { maxIter: 25, maxLeafNodes: 8, minSamplesLeaf: 20, earlyStopping: false as const };

  it('at subsample = colsampleByTree = 1 the model is exactly the deterministic one, whatever the seed', () => {
    const a = fitHgb({ columns: cols, y }, { ...base, seed: 1 });
    const b = fitHgb({ columns: cols, y }, { ...base, seed: 2, subsample: 1, colsampleByTree: 1 });
    expect(Array.from(predictRaw(b, cols))).toEqual(Array.from(predictRaw(a, cols)));
  });

  it('with subsampling, the same seed gives the same model and another seed a different one', () => {
    const p = { ...base, subsample: 0.5, colsampleByTree: 2 / 3 };
    const a = fitHgb({ columns: cols, y }, { ...p, seed: 1 });
    const a2 = fitHgb({ columns: cols, y }, { ...p, seed: 1 });
    const b = fitHgb({ columns: cols, y }, { ...p, seed: 2 });
    const ra = predictRaw(a, cols);
    expect(Array.from(predictRaw(a2, cols))).toEqual(Array.from(ra));
    const rb = predictRaw(b, cols);
    let differ = 0;
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) differ++;
    expect(differ).toBeGreaterThan(ra.length / 2);
  });

  it('still learns both steps: the mean score orders the four quadrants as the truth does', () => {
    const m = fitHgb({ columns: cols, y }, { ...base, maxIter: 60, subsample: 0.5, colsampleByTree: 2 / 3, seed: 3 });
    const at = (x0: number, x1: number) =>
      predictRaw(m, [Float32Array.of(x0), Float32Array.of(x1), Float32Array.of(0.5)])[0]!;
    expect(at(0.9, 0.9)).toBeGreaterThan(at(0.1, 0.9));
    expect(at(0.1, 0.9)).toBeGreaterThan(at(0.1, 0.1));
    expect(at(0.9, 0.1)).toBeGreaterThan(at(0.1, 0.1));
  });

  it('colsampleByTree = 1/3 of three features: every tree splits on one feature only, and trees use several', () => {
    const m = fitHgb({ columns: cols, y }, { ...base, colsampleByTree: 1 / 3, seed: 4 });
    const sets = splitFeatures(m);
    for (const s of sets) expect(s.size).toBeLessThanOrEqual(1);
    expect(new Set(sets.flatMap((s) => [...s])).size).toBeGreaterThanOrEqual(2);
  });

  it('rejects fractions outside (0, 1]', () => {
    expect(() => fitHgb({ columns: cols, y }, { ...base, subsample: 0 })).toThrow(/subsample must be in \(0, 1\]/);
    expect(() => fitHgb({ columns: cols, y }, { ...base, colsampleByTree: 1.5 })).toThrow(/colsampleByTree/);
  });
});
