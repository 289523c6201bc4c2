import { describe, expect, it } from '@jest/globals';
import { fitBinned } from '../../src/fit/binned-fit.js';
import { decorrelate } from '../../src/fit/decorrelation.js';
import { fitFunction } from '../../src/fit/functions.js';
import { loadAtlas } from './helpers.js';

describe('seed 001 decorrelated dijet functions', () => {
  const a = loadAtlas();
  const spec = { lo: a.lo, hi: a.hi, counts: a.counts };

  for (const name of ['dijet3d', 'dijet4d', 'ua2d']) {
    it(`${name}: the ξ constants make the shape parameters uncorrelated, and a refit with them agrees`, () => {
      const fit0 = fitBinned(fitFunction(name), spec);
      const d = decorrelate(fit0);
      const m = fit0.fn.nParams;
      const corr = (i: number, j: number) =>
        d.covariance[i * m + j]! / Math.sqrt(d.covariance[i * m + i]! * d.covariance[j * m + j]!);
      expect(Math.abs(corr(1, 2))).toBeLessThan(1e-9);
      if (m === 4) {
        expect(Math.abs(corr(3, 1))).toBeLessThan(1e-9);
        expect(Math.abs(corr(3, 2))).toBeLessThan(1e-9);
      }
      const refit = fitBinned(fitFunction(name, d.xi), spec);
      for (let i = 0; i < m; i++) expect(refit.params[i]! / d.params[i]!).toBeCloseTo(1, 5);
      expect(
        Math.abs(refit.covariance[1 * m + 2]! / Math.sqrt(refit.covariance[1 * m + 1]! * refit.covariance[2 * m + 2]!)),
      ).toBeLessThan(1e-5);
    });
  }

  it('refuses functions that are not decorrelated variants', () => {
    expect(() => decorrelate(fitBinned(fitFunction('dijet4'), spec))).toThrow(/not a decorrelated function/);
  });
});
