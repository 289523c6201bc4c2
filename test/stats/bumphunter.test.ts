import { describe, expect, it } from '@jest/globals';
import { bumpHunt } from '../../src/stats/bumphunter.js';
import { seededPoisson } from '../../src/stats/random.js';

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

  it('reports no interval when nothing exceeds the background', () => {
    const r = bumpHunt(new Float64Array(10).fill(1), new Float64Array(10).fill(5), { pseudoExperiments: 10 });
    expect(r.interval).toBeNull();
    expect(r.localZ).toBe(0);
  });
});
