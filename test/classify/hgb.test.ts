import { describe, expect, it } from '@jest/globals';
import { fitHgb, predictProba, predictRaw, stratifiedSplit } from '../../src/classify/hgb.js';
import { mulberry32 } from '../../src/classify/random.js';

function steps(n: number, seed: number) {
  const rand = mulberry32(seed);
  const x0 = new Float32Array(n);
  const x1 = new Float32Array(n);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x0[i] = rand();
    x1[i] = rand();
    y[i] = x0[i]! > 0.5 ? 1 : 0;
  }
  return { x0, x1, y };
}

describe('histogram gradient boosting', () => {
  it('learns a step in one feature and ignores the other', () => {
    const { x0, x1, y } = steps(5000, 1);
    const model = fitHgb({ columns: [x0, x1], y }, { maxIter: 30, earlyStopping: false });
    expect(model.trees[0]!.feature[0]).toBe(0);
    expect(model.trees[0]!.threshold[0]).toBeCloseTo(0.5, 2);
    const p = predictProba(model, [Float32Array.of(0.2, 0.8), Float32Array.of(0.5, 0.5)]);
    expect(p[0]).toBeLessThan(0.05);
    expect(p[1]).toBeGreaterThan(0.95);
  });

  it('one stump has the closed-form Newton leaf values −lr·G/(H+λ) from the log-odds baseline', () => {
    // 3 of 4 positives left of 0.5, 1 of 4 right: baseline log-odds 0, p = 1/2, g = p − y, h = 1/4.
    const x = Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9);
    const y = Uint8Array.of(1, 1, 1, 0, 0, 0, 0, 1);
    const lr = 0.5;
    const l2 = 0.3;
    const model = fitHgb(
      { columns: [x], y },
      { maxIter: 1, maxLeafNodes: 2, minSamplesLeaf: 4, learningRate: lr, l2, earlyStopping: false },
    );
    expect(model.baseline).toBeCloseTo(0, 12);
    const t = model.trees[0]!;
    expect(t.feature[0]).toBe(0);
    const gl = 3 * -0.5 + 0.5; // three positives (g = −1/2) and one negative (g = +1/2)
    const hl = 4 * 0.25;
    expect(t.value[t.left[0]!]).toBeCloseTo((-lr * gl) / (hl + l2), 10);
    expect(t.value[t.right[0]!]).toBeCloseTo((-lr * -gl) / (hl + l2), 10);
    const raw = predictRaw(model, [Float32Array.of(0.15, 0.85)]);
    expect(raw[0]).toBeCloseTo((-lr * gl) / (hl + l2), 10);
  });

  it('a sample weight of 2 acts like a duplicated row (minSamplesLeaf 1)', () => {
    const x = Float32Array.of(0.1, 0.2, 0.3, 0.7, 0.8, 0.9);
    const y = Uint8Array.of(1, 0, 1, 0, 1, 0);
    const w = Float32Array.of(2, 1, 1, 1, 1, 1);
    const xd = Float32Array.of(0.1, 0.1, 0.2, 0.3, 0.7, 0.8, 0.9);
    const yd = Uint8Array.of(1, 1, 0, 1, 0, 1, 0);
    const p = { maxIter: 3, minSamplesLeaf: 1, maxLeafNodes: 2, earlyStopping: false as const };
    const a = predictRaw(fitHgb({ columns: [x], y, weight: w }, p), [x]);
    const b = predictRaw(fitHgb({ columns: [xd], y: yd }, p), [x]);
    for (let i = 0; i < x.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 10);
  });

  it('stops early on a validation split when the loss stops improving, and is deterministic per seed', () => {
    const rand = mulberry32(7);
    const n = 20_000;
    const x = Float32Array.from({ length: n }, () => rand());
    const y = Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0)); // pure noise: nothing to learn
    const m1 = fitHgb({ columns: [x], y }, { maxIter: 200, seed: 3 });
    const m2 = fitHgb({ columns: [x], y }, { maxIter: 200, seed: 3 });
    expect(m1.nIter).toBeLessThan(200);
    expect(m1.validationLoss.length).toBe(m1.nIter + 1);
    expect(m2.nIter).toBe(m1.nIter);
    expect(Array.from(predictRaw(m2, [x.subarray(0, 50)]))).toEqual(Array.from(predictRaw(m1, [x.subarray(0, 50)])));
  });

  it('respects maxLeafNodes and minSamplesLeaf', () => {
    const { x0, x1, y } = steps(3000, 2);
    const model = fitHgb(
      { columns: [x0, x1], y },
      { maxIter: 5, maxLeafNodes: 7, minSamplesLeaf: 100, earlyStopping: false },
    );
    for (const t of model.trees) {
      const leaves = Array.from(t.feature).filter((f) => f < 0).length;
      expect(leaves).toBeLessThanOrEqual(7);
    }
  });

  it('splits stratified validation rows with the requested fraction', () => {
    const rows = Uint32Array.from({ length: 1000 }, (_, i) => i);
    const y = Uint8Array.from({ length: 1000 }, (_, i) => (i < 200 ? 1 : 0));
    const { train, validation } = stratifiedSplit(rows, y, 0.1, 1);
    expect(validation.length).toBe(100);
    expect(train.length).toBe(900);
    expect(Array.from(validation).filter((r) => y[r] === 1).length).toBe(20);
  });

  it('rejects a single-class training set with a clear message', () => {
    expect(() =>
      fitHgb({ columns: [Float32Array.of(1, 2, 3)], y: Uint8Array.of(1, 1, 1) }, { earlyStopping: false }),
    ).toThrow(/both classes/);
  });
});
