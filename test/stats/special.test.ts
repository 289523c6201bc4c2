import { describe, expect, it } from '@jest/globals';
import {
  chi2Sf,
  gammaP,
  gammaQ,
  normalCdf,
  pFromZ,
  poissonCdfAtMost,
  poissonSfAtLeast,
  zFromP,
} from '../../src/stats/special.js';

describe('special functions (@stdlib)', () => {
  it('converts between p-values and significances, far into the tail', () => {
    expect(zFromP(2.866515718791939e-7)).toBeCloseTo(5, 8);
    expect(pFromZ(5)).toBeCloseTo(2.866515718791939e-7, 18);
    expect(zFromP(0.5)).toBeCloseTo(0, 12);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
  });

  it('χ² upper tail: k = 2 is exp(−x/2)', () => {
    expect(chi2Sf(3.7, 2)).toBeCloseTo(Math.exp(-1.85), 12);
    expect(chi2Sf(128.19, 87)).toBeGreaterThan(0.002);
    expect(chi2Sf(128.19, 87)).toBeLessThan(0.004);
  });

  it('regularized incomplete gamma is right where @stdlib 0.3.1 is not (x > 1000, a ≈ x)', () => {
    // References: scipy.special.gammainc 1.10.1, and for a = 4e6 a direct sum of Poisson probabilities (where
    // scipy's own asymptotic expansion is off by 1e-3).
    expect(gammaP(1075, 1029.5606422900921) / 0.08140134372097715).toBeCloseTo(1, 9);
    expect(gammaQ(1075, 1029.5606422900921) / (1 - 0.08140134372097715)).toBeCloseTo(1, 9);
    expect(gammaP(2000, 2000 - 44.721359549995796) / 0.1586347636616113).toBeCloseTo(1, 9);
    expect(gammaP(4e6, 4e6 - 12000) / 9.516967786444477e-10).toBeCloseTo(1, 6);
    expect(gammaQ(5000, 5000 + 6 * Math.sqrt(5000)) / 2.5648316750766278e-9).toBeCloseTo(1, 7);
  });

  it('Poisson tails agree with the series and are complementary at integers', () => {
    const l = 4.2;
    let cdf = 0,
      term = Math.exp(-l);
    for (let k = 0; k <= 6; k++) {
      cdf += term;
      term *= l / (k + 1);
    }
    expect(poissonCdfAtMost(6, l)).toBeCloseTo(cdf, 12);
    expect(poissonSfAtLeast(7, l)).toBeCloseTo(1 - cdf, 12);
  });
});
