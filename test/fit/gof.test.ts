import { describe, expect, it } from '@jest/globals';
import { mergedPearson } from '../../src/fit/gof.js';
import { seededPoisson } from '../../src/stats/random.js';

describe('merged Pearson χ² for sparse sidebands', () => {
  it('merges neighbouring fitted bins to ≥ 5 expected events, never across a masked SR', () => {
    const expected = Float64Array.from({ length: 20 }, () => 1);
    const use = Uint8Array.from({ length: 20 }, (_, i) => (i >= 8 && i < 12 ? 0 : 1));
    const r = mergedPearson(expected, expected, use, 3);
    // Two runs of 8 bins: one group of 5 and a remainder of 3 joined to it, on each side.
    expect(r.groups).toBe(2);
    expect(r.chi2).toBe(0);
    expect(r.ndf).toBe(-1);
    expect(Number.isNaN(r.pvalue)).toBe(true);
  });

  it('is χ²-distributed where the plain statistics are not: the p-values of true models are uniform', () => {
    // 40 bins expecting 0.3 events each: plain Pearson's p-values pile up near 1, merged ones are uniform.
    const mu = Float64Array.from({ length: 40 }, () => 0.3);
    const draw = seededPoisson(5);
    const ps: number[] = [];
    for (let k = 0; k < 2000; k++) {
      const n = Float64Array.from(mu, (m) => draw(m));
      ps.push(mergedPearson(n, mu, undefined, 0).pvalue);
    }
    const below = (x: number) => ps.filter((p) => p < x).length / ps.length;
    expect(Math.abs(below(0.05) - 0.05)).toBeLessThan(0.03);
    expect(Math.abs(below(0.5) - 0.5)).toBeLessThan(0.08);
  });
});
