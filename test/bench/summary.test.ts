import { describe, expect, it } from '@jest/globals';
import { quantile, seedList, summarize } from '../../bench/summary.js';

describe('bench seed summaries', () => {
  it('quantiles interpolate between order statistics as numpy.quantile does', () => {
    // numpy.quantile([1, 2, 3, 4, 5], [0.16, 0.5, 0.84]) = [1.64, 3.0, 4.36]
    expect(quantile([1, 2, 3, 4, 5], 0.16)).toBeCloseTo(1.64, 12);
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5], 0.84)).toBeCloseTo(4.36, 12);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('leaves seeds without a value out of the statistics and keeps them as null, never as zero', () => {
    const s = summarize([4, undefined, 2, Number.NaN, 3]);
    expect(s.n).toBe(3);
    expect(s.median).toBe(3);
    expect(s.values).toEqual([4, null, 2, null, 3]);
  });

  it('takes a seed list, or a count from the first seed', () => {
    expect(seedList('7, 9', undefined, 1, 5)).toEqual([7, 9]);
    expect(seedList(undefined, '3', 11, 5)).toEqual([11, 12, 13]);
    expect(seedList(undefined, undefined, 2024, 5)).toEqual([2024, 2025, 2026, 2027, 2028]);
  });
});
