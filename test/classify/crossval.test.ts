import { describe, expect, it } from '@jest/globals';
import { assignFolds, cvSplits, efficiencyMap, rowsOfFolds } from '../../src/classify/crossval.js';

describe('cross-validation', () => {
  it('rotates seed 000’s 3 train / 1 validation / 1 test over five folds', () => {
    const s = cvSplits('atlas2024', 5);
    expect(s.length).toBe(5);
    for (const sp of s) {
      expect(sp.train.length).toBe(3);
      expect(new Set([...sp.train, sp.validation, sp.test]).size).toBe(5);
    }
    expect(s.map((x) => x.test)).toEqual([0, 1, 2, 3, 4]);
  });

  it('has seed 001’s k(k−1) (test, validation) pairs with k−2 training parts', () => {
    const s = cvSplits('atlas2020', 5);
    expect(s.length).toBe(20);
    for (const sp of s) expect(sp.train.length).toBe(3);
  });

  it('balances folds within each stratum and is reproducible per seed', () => {
    const strata = Uint8Array.from({ length: 1000 }, (_, i) => (i < 300 ? 0 : 1));
    const f = assignFolds(strata, 5, 11);
    expect(Array.from(assignFolds(strata, 5, 11))).toEqual(Array.from(f));
    for (let k = 0; k < 5; k++) {
      expect(
        rowsOfFolds(
          f,
          [k],
          Uint8Array.from(strata, (s) => (s === 0 ? 1 : 0)),
        ).length,
      ).toBe(60);
      expect(rowsOfFolds(f, [k]).length).toBe(200);
    }
  });

  it('maps scores to the fraction of reference scores at or above them', () => {
    const eff = efficiencyMap(
      Float64Array.of(0.95, 0.5, 0.05),
      Float64Array.from({ length: 10 }, (_, i) => i / 10),
    );
    expect(Array.from(eff)).toEqual([0, 0.5, 0.9]);
  });
});
