import { describe, expect, it } from '@jest/globals';
import { bumpHunt } from '../../src/stats/bumphunter.js';
import { seededPoisson } from '../../src/stats/random.js';
import { poissonSfAtLeast } from '../../src/stats/special.js';

/** Exhaustive scan with no pruning: the smallest Poisson tail probability over all intervals. */
function exhaustiveMinP(n: ArrayLike<number>, b: ArrayLike<number>, maxW: number): number {
  let best = 1;
  for (let w = 1; w <= maxW; w++)
    for (let i = 0; i + w <= n.length; i++) {
      let ni = 0,
        bi = 0;
      for (let k = i; k < i + w; k++) {
        ni += n[k]!;
        bi += b[k]!;
      }
      if (ni > bi) best = Math.min(best, poissonSfAtLeast(ni, bi));
    }
  return best;
}

describe('BumpHunter scan', () => {
  const bkg = new Float64Array(40).fill(100);

  it('finds an injected bump in the right interval, with global p above local p', () => {
    const draw = seededPoisson(12);
    const obs = Float64Array.from(bkg, (b, i) => draw(b + (i >= 20 && i < 23 ? 45 : 0)));
    const r = bumpHunt(obs, bkg, { pseudoExperiments: 300, seed: 3, maxWidth: 8 });
    expect(r.interval![0]).toBeGreaterThanOrEqual(19);
    expect(r.interval![1]).toBeLessThanOrEqual(23);
    expect(r.localZ).toBeGreaterThan(4);
    expect(r.globalP).toBeGreaterThanOrEqual(r.localP);
    expect(r.globalZ).toBeLessThan(r.localZ);
    // So strong that no background-only pseudo-experiment reaches it: p is bounded by 1/N.
    expect(r.globalPIsUpperBound).toBe(true);
    expect(r.globalP).toBeCloseTo(1 / 300, 12);
  });

  it('is reproducible for a seed and gives an unremarkable global p on background alone', () => {
    const draw = seededPoisson(99);
    const obs = Float64Array.from(bkg, (b) => draw(b));
    const a = bumpHunt(obs, bkg, { pseudoExperiments: 200, seed: 5 });
    const b = bumpHunt(obs, bkg, { pseudoExperiments: 200, seed: 5 });
    expect(a).toEqual(b);
    expect(a.globalP).toBeGreaterThan(0.01);
  });

  it('finds the same most significant interval as an exhaustive scan', () => {
    const draw = seededPoisson(31);
    const falling = Float64Array.from({ length: 30 }, (_, i) => 400 * Math.exp(-i / 6) + 0.5);
    for (let k = 0; k < 20; k++) {
      const obs = Float64Array.from(falling, (b) => draw(b));
      const r = bumpHunt(obs, falling, { pseudoExperiments: 0, maxWidth: 15 });
      const ref = exhaustiveMinP(obs, falling, 15);
      if (ref < 1) expect(r.localP).toBeCloseTo(ref, 12);
      else expect(r.interval).toBeNull();
    }
  });

  it('reports no interval when nothing exceeds the background', () => {
    const r = bumpHunt(new Float64Array(10).fill(1), new Float64Array(10).fill(5), { pseudoExperiments: 10 });
    expect(r.interval).toBeNull();
    expect(r.localZ).toBe(0);
  });
});
