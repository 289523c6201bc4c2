import { describe, expect, it } from '@jest/globals';
import { fitHgb, HIST_BLOCK, predictRaw } from '../../src/classify/hgb.js';
import { ThreadedHistograms } from '../../src/training/hgb-threads.js';

/** n rows of four features, label by a noisy linear rule (seeded LCG). */
function data(n: number, seed: number) {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const columns = [0, 1, 2, 3].map(() => new Float32Array(n));
  const y = new Uint8Array(n);
  const weight = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (const c of columns) c[i] = rand() * 4 - 2;
    y[i] = columns[0]![i]! + 0.5 * columns[1]![i]! * columns[2]![i]! + rand() > 0.7 ? 1 : 0;
    weight[i] = 0.5 + rand();
  }
  return { columns, y, weight };
}

describe('HGB histograms on two threads', () => {
  it('grows the same trees as one thread (nodes of many blocks, row and feature subsampling)', () => {
    const n = 9 * HIST_BLOCK + 123;
    const d = data(n, 7);
    const params = {
      maxIter: 15,
      maxLeafNodes: 16,
      minSamplesLeaf: 50,
      subsample: 0.8,
      colsampleByTree: 0.75,
      seed: 3,
    };
    const one = fitHgb(d, params);
    const threads = new ThreadedHistograms(2);
    try {
      const two = fitHgb(d, { ...params, threads: 2 }, { histograms: threads });
      // A second fit on the same helpers (new arrays attached) gives the same model again.
      const again = fitHgb(d, { ...params, threads: 2 }, { histograms: threads });
      expect(two.nIter).toBe(one.nIter);
      expect(one.trees.length).toBeGreaterThan(5);
      expect(one.trees[0]!.feature.length).toBeGreaterThan(15);
      for (let t = 0; t < one.trees.length; t++) {
        expect(two.trees[t]).toEqual(one.trees[t]);
        expect(again.trees[t]).toEqual(one.trees[t]);
      }
      expect(predictRaw(two, d.columns)).toEqual(predictRaw(one, d.columns));
      expect(two.validationLoss).toEqual(one.validationLoss);
    } finally {
      threads.close();
    }
  }, 60_000);

  it('refuses fewer than two threads and builds before a fit attached its arrays', () => {
    expect(() => new ThreadedHistograms(1)).toThrow('need at least 2 threads');
    const threads = new ThreadedHistograms(2);
    try {
      expect(() => threads.build(0, 10, true, new Float64Array(768))).toThrow('build before attach');
    } finally {
      threads.close();
    }
  });
});
