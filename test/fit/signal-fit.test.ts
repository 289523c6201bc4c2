/**
 * The signal + background fit with the double-crystal-ball shape: on Poisson toys of a dijet3 background it
 * recovers an injected DCB signal's yield, and without signal its Z follows the half-χ²(1) of Wilks' theorem.
 */
import { describe, expect, it } from '@jest/globals';
import { fitFunction } from '../../src/fit/functions.js';
import { fitSignalPlusBackground } from '../../src/fit/signal-fit.js';
import { dcbBinProbabilities, type DoubleCrystalBall } from '../../src/stats/crystal-ball.js';
import { seededPoisson } from '../../src/stats/random.js';
import { poissonToy, smoothBackground } from './helpers.js';

const EDGES = Float64Array.from({ length: 41 }, (_, i) => 1800 + 100 * i);
const SPEC = { lo: EDGES.subarray(0, -1), hi: EDGES.subarray(1) };
const SHAPE: DoubleCrystalBall = { mu: 3000, sigma: 150, alphaLow: 1.2, nLow: 3, alphaHigh: 1.8, nHigh: 5 };

describe('signal + background fit (double crystal ball on a dijet function)', () => {
  const bkg = smoothBackground(50000, EDGES);
  const sig = dcbBinProbabilities(EDGES, SHAPE);

  it('recovers an injected signal yield and finds it significant', () => {
    const fits: number[] = [];
    const zs: number[] = [];
    for (let k = 0; k < 20; k++) {
      const draw = seededPoisson(100 + k);
      const counts = poissonToy(
        Float64Array.from(bkg, (b, i) => b + 800 * sig[i]!),
        draw,
      );
      const f = fitSignalPlusBackground(fitFunction('dijet3'), { ...SPEC, counts }, SHAPE);
      expect(f.converged).toBe(true);
      fits.push(f.signal);
      zs.push(f.z);
      // The two deviances agree with q0.
      expect(f.signal > 0 ? f.devianceBackgroundOnly - f.deviance - f.q0 : 0).toBeCloseTo(0, 6);
    }
    fits.sort((a, b) => a - b);
    zs.sort((a, b) => a - b);
    // Median yield within 15 % of the injected 800; the expected Z of 800 events over ~√(2·0.1·50000·…) is several σ.
    expect(Math.abs(fits[10]! - 800) / 800).toBeLessThan(0.15);
    expect(zs[10]!).toBeGreaterThan(3);
  });

  it('without a signal, Z is half-χ²(1): about half the toys at 0 and few above 2', () => {
    let zero = 0,
      above2 = 0;
    const n = 60;
    for (let k = 0; k < n; k++) {
      const counts = poissonToy(bkg, seededPoisson(1000 + k));
      const f = fitSignalPlusBackground(fitFunction('dijet3'), { ...SPEC, counts }, SHAPE);
      expect(f.converged).toBe(true);
      if (f.z === 0) zero++;
      if (f.z > 2) above2++;
    }
    // Half-χ²(1): P(Z = 0) = 0.5, P(Z > 2) = 0.023 (binomial bounds for 60 toys, with dijet3 the true shape).
    expect(zero).toBeGreaterThan(18);
    expect(zero).toBeLessThan(42);
    expect(above2).toBeLessThan(7);
  });

  it('sets a 95 % CL upper limit that covers the true yield in about 95 % of the toys', () => {
    let covered = 0;
    const n = 40;
    for (let k = 0; k < n; k++) {
      const counts = poissonToy(
        Float64Array.from(bkg, (b, i) => b + 300 * sig[i]!),
        seededPoisson(5000 + k),
      );
      const f = fitSignalPlusBackground(fitFunction('dijet3'), { ...SPEC, counts }, SHAPE);
      expect(f.upperLimit).toBeGreaterThan(Math.max(0, f.signal));
      if (f.upperLimit >= 300) covered++;
    }
    // One-sided 95 %: 38 of 40 expected; binomial 2σ floor about 34.
    expect(covered).toBeGreaterThanOrEqual(34);
  });

  it('reports a shape outside the fitted bins instead of a Z', () => {
    const counts = poissonToy(bkg, seededPoisson(7));
    const f = fitSignalPlusBackground(fitFunction('dijet3'), { ...SPEC, counts }, { ...SHAPE, mu: 9000, sigma: 10 });
    expect(f.converged).toBe(false);
    expect(f.status).toMatch(/outside the fitted bins/);
    expect(Number.isNaN(f.z)).toBe(true);
  });
});
