import { describe, expect, it } from '@jest/globals';
import { chi2Sf, normalCdf, pFromZ, poissonCdfAtMost, poissonSfAtLeast, zFromP } from '../../src/stats/special.js';

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

  it('Poisson tails agree with the series and are complementary at integers', () => {
    const l = 4.2;
    let cdf = 0, term = Math.exp(-l);
    for (let k = 0; k <= 6; k++) { cdf += term; term *= l / (k + 1); }
    expect(poissonCdfAtMost(6, l)).toBeCloseTo(cdf, 12);
    expect(poissonSfAtLeast(7, l)).toBeCloseTo(1 - cdf, 12);
  });
});
