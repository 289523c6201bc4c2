import { describe, expect, it } from '@jest/globals';
import { mergedPearson, toyDevianceTest } from '../../src/fit/gof.js';
import { seededPoisson } from '../../src/stats/random.js';
import { xlogy } from '../../src/stats/special.js';

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

describe('deviance with its distribution from toys, for sidebands too sparse to merge', () => {
  // A one-parameter model (the normalisation of a known shape), refitted in closed form: μ̂ = shape · Σn / Σshape.
  const shape = Float64Array.from({ length: 30 }, (_, i) => 0.2 * Math.exp(-i / 10));
  const fitDeviance = (n: ArrayLike<number>): { deviance: number; mu: Float64Array } => {
    let sn = 0,
      ss = 0;
    for (let i = 0; i < shape.length; i++) {
      sn += n[i]!;
      ss += shape[i]!;
    }
    const mu = Float64Array.from(shape, (s) => (s * sn) / ss);
    let deviance = 0;
    for (let i = 0; i < mu.length; i++) deviance += 2 * (mu[i]! - n[i]! + xlogy(n[i]!, mu[i]!));
    return { deviance, mu };
  };

  it('gives uniform p-values for the true model where merging leaves nothing to test', () => {
    const draw = seededPoisson(11);
    const ps: number[] = [];
    for (let k = 0; k < 400; k++) {
      const n = Float64Array.from(shape, (m) => draw(m));
      const fit = fitDeviance(n);
      // ~2 events in all: at most one group expects 5, so the merged χ² has no degrees of freedom.
      expect(mergedPearson(n, fit.mu, undefined, 1).ndf).toBeLessThanOrEqual(0);
      ps.push(toyDevianceTest(fit.deviance, fit.mu, undefined, 99, (t) => fitDeviance(t).deviance));
    }
    const below = (x: number) => ps.filter((p) => p <= x).length / ps.length;
    // Discrete counts make the statistic lumpy, so p ≤ α happens at most about α of the time.
    expect(below(0.05)).toBeLessThan(0.08);
    expect(Math.abs(below(0.5) - 0.5)).toBeLessThan(0.1);
    expect(ps.every((p) => p > 0 && p <= 1)).toBe(true);
  });

  it('rejects a model that misses the data, and is the same p-value every time for the same fit', () => {
    // All the events in the tail where the shape expects almost nothing.
    const n = Float64Array.from(shape, (_, i) => (i >= 25 ? 3 : 0));
    const fit = fitDeviance(n);
    const refit = (t: Float64Array) => fitDeviance(t).deviance;
    const p = toyDevianceTest(fit.deviance, fit.mu, undefined, 199, refit);
    expect(p).toBeLessThan(0.01);
    expect(toyDevianceTest(fit.deviance, fit.mu, undefined, 199, refit)).toBe(p);
    // Only the fitted bins are drawn: a masked bin's prediction never reaches the toys.
    const use = Uint8Array.from(shape, (_, i) => (i === 0 ? 0 : 1));
    toyDevianceTest(fit.deviance, fit.mu, use, 5, (t) => {
      expect(t[0]).toBe(0);
      return 0;
    });
    // Fewer than half the toys refitted: no p-value rather than one from the toys that happened to fit.
    expect(toyDevianceTest(fit.deviance, fit.mu, undefined, 10, () => Number.NaN)).toBeNaN();
  });
});
