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

describe('one-pass radix binning', () => {
  it('gives the same edges and bins as the sort-and-search path, negatives and NaN included', async () => {
    const { fitAndBinRowMajor, binRowMajor } = await import('../../src/classify/binning.js');
    const { mulberry32 } = await import('../../src/classify/random.js');
    const rand = mulberry32(9);
    const n = 5000;
    const a = Float32Array.from({ length: n }, () => (rand() - 0.5) * 1e3);
    const b = Float32Array.from({ length: n }, (_, i) => (i % 97 === 0 ? NaN : Math.round(rand() * 20) - 10));
    const rows = iota(n).filter((i) => i % 3 !== 0);
    const fast = fitAndBinRowMajor([a, b], rows, { maxBins: 64 });
    const ref = fitBinMapper([a, b], rows, { maxBins: 64 });
    expect(Array.from(fast.mapper.thresholds[0]!)).toEqual(Array.from(ref.thresholds[0]!));
    expect(Array.from(fast.mapper.thresholds[1]!)).toEqual(Array.from(ref.thresholds[1]!));
    expect(Array.from(fast.binned)).toEqual(Array.from(binRowMajor(ref, [a, b], rows)));
  });
});
