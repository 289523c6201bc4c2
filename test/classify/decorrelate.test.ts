import { describe, expect, it } from '@jest/globals';
import { cwolaWeights, ecdfMapPerRegion, reweightToMatch } from '../../src/classify/decorrelate.js';

describe('decorrelation helpers', () => {
  it('maps pooled jet masses to a uniform ECDF within each mjj region', () => {
    const m1 = Float32Array.of(10, 20, 30, 100, 200);
    const m2 = Float32Array.of(40, 50, 60, 300, 400);
    const region = Uint8Array.of(0, 0, 0, 1, 1);
    const [a, b] = ecdfMapPerRegion([m1, m2], region);
    expect(Array.from(a!.subarray(0, 3))).toEqual(Array.from(Float32Array.of(0, 1 / 6, 2 / 6)));
    expect(Array.from(b!.subarray(0, 3))).toEqual(Array.from(Float32Array.of(3 / 6, 4 / 6, 5 / 6)));
    expect(Array.from(a!.subarray(3))).toEqual([0, 0.25]);
  });

  it('gives SR and SB equal totals and each sideband an equal share', () => {
    const role = Uint8Array.of(0, 0, 0, 0, 1, 2, 2, 2, 255);
    const w = cwolaWeights(role, true);
    const tot = (r: number) => Array.from(role).reduce((s, x, i) => s + (x === r ? w[i]! : 0), 0);
    expect(tot(0)).toBeCloseTo(tot(1) + tot(2), 6);
    expect(tot(1)).toBeCloseTo(tot(2), 6);
    expect(w[8]).toBe(0);
  });

  it('reweights SB events to the SR distribution of a variable', () => {
    const pt = Float32Array.of(1, 1, 1, 3, 1, 3, 3, 3);
    const from = Uint8Array.of(1, 1, 1, 1, 0, 0, 0, 0);
    const to = Uint8Array.of(0, 0, 0, 0, 1, 1, 1, 1);
    const w = reweightToMatch(pt, from, to, Float64Array.of(0, 2, 4));
    // SB: 3 low, 1 high; SR: 1 low, 3 high → low weight 1/3, high weight 3.
    expect(w[0]).toBeCloseTo(1 / 3, 6);
    expect(w[3]).toBeCloseTo(3, 6);
    expect(w[4]).toBe(1);
  });
});
