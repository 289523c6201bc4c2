import { describe, expect, it } from '@jest/globals';
import { binSignificance, perBinSignificance } from '../../src/stats/per-bin.js';
import { zFromP } from '../../src/stats/special.js';

function poissonPmf(k: number, l: number): number {
  let lp = -l + k * Math.log(l);
  for (let i = 2; i <= k; i++) lp -= Math.log(i);
  return Math.exp(lp);
}

describe('signed per-bin significance (Choudalakis & Casadei 2012)', () => {
  it('uses the Poisson tail beyond the observed count for an excess', () => {
    let p = 1;
    for (let k = 0; k < 10; k++) p -= poissonPmf(k, 3);
    expect(binSignificance(10, 3)).toBeCloseTo(zFromP(p), 8);
  });

  it('is negative for a significant deficit and uses P(N ≤ n)', () => {
    let p = 0;
    for (let k = 0; k <= 80; k++) p += poissonPmf(k, 120);
    expect(binSignificance(80, 120)).toBeCloseTo(-zFromP(p), 6);
  });

  it('is 0 where the deviation is not one-sided significant, e.g. an empty bin over a small background', () => {
    expect(binSignificance(0, 0.3)).toBe(0);
    expect(binSignificance(3, 3)).toBe(0);
    expect(Array.from(perBinSignificance([0, 100], [0, 100]))).toEqual([0, 0]);
  });
});
