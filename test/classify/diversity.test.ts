import { describe, expect, it } from '@jest/globals';
import { meanRankCorrelation, pearson, ranks } from '../../src/classify/diversity.js';

describe('ensemble diversity', () => {
  it('ranks ties by the mean of their ranks', () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([1, 2.5, 2.5, 0]);
  });

  it("Spearman's rho matches the closed form 1 − 6 Σd² / (n(n² − 1)) without ties", () => {
    const a = [1, 2, 3, 4, 5, 6];
    const b = [2, 1, 4, 3, 6, 5]; // d = ±1 everywhere: Σd² = 6, rho = 1 − 36/210
    expect(meanRankCorrelation([a, b])).toBeCloseTo(1 - 36 / 210, 12);
  });

  it('is 1 for monotone transforms of one score, −1 for a reversed one, the mean over all pairs for more', () => {
    const s = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i * 1.7));
    const t = s.map((x) => Math.exp(3 * x));
    const r = s.map((x) => -x);
    expect(meanRankCorrelation([s, t])).toBeCloseTo(1, 12);
    expect(meanRankCorrelation([s, r])).toBeCloseTo(-1, 12);
    expect(meanRankCorrelation([s, t, r])).toBeCloseTo((1 - 1 - 1) / 3, 12);
  });

  it('restricts to the given rows and is NaN for one member or a constant score', () => {
    const a = [5, 1, 2, 3, 9];
    const b = [0, 1, 2, 3, 0];
    expect(meanRankCorrelation([a, b], [1, 2, 3])).toBeCloseTo(1, 12);
    expect(meanRankCorrelation([a])).toBeNaN();
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});
