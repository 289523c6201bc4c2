import { describe, expect, it } from '@jest/globals';
import { binColumn, fitBinMapper, MISSING_BIN } from '../../src/classify/binning.js';
import { iota } from '../../src/classify/random.js';

describe('quantile binning', () => {
  it('uses midpoints between distinct values when there are few of them', () => {
    const x = Float64Array.of(3, 1, 2, 2, 1, 3);
    const m = fitBinMapper([x], iota(6));
    expect(Array.from(m.thresholds[0]!)).toEqual([1.5, 2.5]);
    expect(Array.from(binColumn(x, m.thresholds[0]!))).toEqual([2, 0, 1, 1, 0, 2]);
  });

  it('caps the bins at maxBins with roughly equal populations, NaN to the missing bin', () => {
    const n = 10_000;
    const x = Float32Array.from({ length: n }, (_, i) => (i * 7919) % n);
    const m = fitBinMapper([x], iota(n), { maxBins: 10 });
    expect(m.nBins[0]).toBe(10);
    const b = binColumn(x, m.thresholds[0]!);
    const counts = new Array(10).fill(0);
    for (const v of b) counts[v]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThanOrEqual(2);
    expect(binColumn(Float32Array.of(NaN), m.thresholds[0]!)[0]).toBe(MISSING_BIN);
  });
});
