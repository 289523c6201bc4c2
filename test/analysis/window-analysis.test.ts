import { describe, expect, it } from '@jest/globals';
import { zLogNormalConstraint } from '../../src/stats/discovery.js';
import { seededPoisson } from '../../src/stats/random.js';
import { analyseWindowHistogram } from '../../src/analysis/window-analysis.js';
import {
  gaussianBump,
  meanStd,
  poissonToy,
  smoothBackground,
  WINDOW_EDGES as edges,
  WINDOW_SR as sr,
} from '../fit/helpers.js';

const bkg = smoothBackground(20000);
const inSr = (i: number) => edges[i]! >= sr[0] && edges[i + 1]! <= sr[1];
const B = Array.from(bkg).reduce((a, b, i) => a + (inSr(i) ? b : 0), 0);

describe('analyseWindowHistogram: signal injection (seed 000 §V.D)', () => {
  // The expected Z of a bump is the Asimov significance with the background uncertainty the analysis itself
  // derives from the sideband fit (the fit uncertainty dominates: the SR is a third of the window).
  const asimov = analyseWindowHistogram({ edges, counts: bkg, sr });
  const sigmaB = asimov.significance.expectedErr;

  it('fits the Asimov background exactly', () => {
    expect(asimov.fit.converged).toBe(true);
    expect(asimov.significance.expected / B).toBeCloseTo(1, 3);
    expect(Math.abs(asimov.significance.z!)).toBeLessThan(0.01);
  });

  for (const target of [3, 5]) {
    it(`recovers a Gaussian bump injected at S/√B = ${target} with the expected Z (±0.3) over 200 pseudo-experiments`, () => {
      const bump = gaussianBump(target * Math.sqrt(B), 2900, 100);
      const sInSr = Array.from(bump).reduce((a, s, i) => a + (inSr(i) ? s : 0), 0);
      const zExpected = zLogNormalConstraint(B + sInSr, B, sigmaB).z;
      const draw = seededPoisson(1000 + target);
      const zs: number[] = [];
      for (let k = 0; k < 200; k++) {
        const counts = poissonToy(
          Float64Array.from(bkg, (b, i) => b + bump[i]!),
          draw,
        );
        const z = analyseWindowHistogram({ edges, counts, sr }).significance.z;
        if (z !== undefined) zs.push(z);
      }
      expect(zs.length).toBeGreaterThanOrEqual(190);
      expect(Math.abs(meanStd(zs).mean - zExpected)).toBeLessThan(0.3);
    });
  }

  it('without signal gives a Z distribution of mean ≈ 0 and width ≈ 1', () => {
    const draw = seededPoisson(77);
    const zs: number[] = [];
    let converged = 0;
    for (let k = 0; k < 200; k++) {
      const r = analyseWindowHistogram({ edges, counts: poissonToy(bkg, draw), sr });
      if (r.fit.converged) converged++;
      if (r.significance.z !== undefined) zs.push(r.significance.z);
    }
    const { mean, std } = meanStd(zs);
    expect(Math.abs(mean)).toBeLessThan(0.2);
    expect(std).toBeGreaterThan(0.85);
    expect(std).toBeLessThan(1.15);
    expect(converged).toBeGreaterThanOrEqual(195);
  });
});

describe('analyseWindowHistogram: results and poor inputs', () => {
  it('returns a JSON-serializable FitResult and SignificanceResult with per-bin values', () => {
    const counts = poissonToy(bkg, seededPoisson(1));
    const r = analyseWindowHistogram({ edges, counts, sr });
    expect(r.fit.converged).toBe(true);
    expect(r.fit.prediction.length).toBe(30);
    expect(r.fit.covariance.length).toBe(r.fit.params.length);
    expect(r.significance.perBin!.length).toBe(30);
    expect(r.significance.observed).toBe(Array.from(counts).reduce((a, c, i) => a + (inSr(i) ? c : 0), 0));
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('tests an SR count fixed by the selection on counts scaled to its own variance', () => {
    const counts = poissonToy(bkg, seededPoisson(2));
    const a = analyseWindowHistogram({ edges, counts, sr });
    const n = a.significance.observed,
      exp = a.significance.expected,
      err = a.significance.expectedErr;
    expect(a.significance.observedVariance).toBe(n);
    expect(a.significance.z).toBeCloseTo(zLogNormalConstraint(n, exp, err).z, 10);
    // A working point that keeps exactly 10 % of 10n SR events: the SR count's variance is n²/(10n) = n/10.
    const c = analyseWindowHistogram({ edges, counts, sr, srCountVariance: n / 10 });
    expect(c.significance.observedVariance).toBeCloseTo(n / 10, 9);
    expect(c.significance.z).toBeCloseTo(zLogNormalConstraint(10 * n, 10 * exp, 10 * err).z, 10);
  });

  it('handles low-statistics histograms with many empty bins', () => {
    const counts = poissonToy(smoothBackground(40), seededPoisson(6));
    const r = analyseWindowHistogram({ edges, counts, sr });
    expect(r.fit.converged).toBe(true);
    expect(Number.isFinite(r.significance.z)).toBe(true);
  });

  it('never throws: empty, mismatched, negative and tiny inputs give a failed fit, no Z and a reason', () => {
    const cases = [
      { edges, counts: new Float64Array(30), sr },
      { edges, counts: new Float64Array(29), sr },
      { edges, counts: Float64Array.from({ length: 30 }, (_, i) => (i === 3 ? -1 : 5)), sr },
      { edges, counts: Float64Array.from({ length: 30 }, (_, i) => (i === 3 ? 1 : 0)), sr },
      { edges, counts: bkg, sr: [2000, 3800] as [number, number] },
      { edges: new Float64Array(0), counts: new Float64Array(0), sr },
      { edges, counts: bkg, sr, functions: ['nonsense'] },
      { edges, counts: bkg, sr: [3000, 2000] as [number, number] },
      { edges, counts: bkg, sr, srCountVariance: Number.NaN },
    ];
    for (const c of cases) {
      const r = analyseWindowHistogram(c);
      expect(r.fit.converged).toBe(false);
      expect(r.fit.status).toBe('failed');
      expect(r.significance.z).toBeUndefined();
      expect(r.invalid.map((v) => v.reason)).toContain('fit_failed');
      expect(r.significance.reason ?? r.fit.reason).toMatch(/\w/);
      expect(() => JSON.stringify(r)).not.toThrow();
    }
    expect(analyseWindowHistogram(cases[0]!).fit.reason).toMatch(/no events/);
    expect(analyseWindowHistogram(cases[6]!).fit.reason).toMatch(/unknown 'nonsense'/);
  });

  it('supports the ATLAS 2020 and single strategies', () => {
    const counts = poissonToy(bkg, seededPoisson(3));
    expect(analyseWindowHistogram({ edges, counts, sr, strategy: 'atlas2020' }).fit.function).toBe('dijet3d');
    const single = analyseWindowHistogram({ edges, counts, sr, strategy: 'single', functions: ['dijet4'] });
    expect(single.fit.function).toBe('dijet4');
    expect(single.fit.attempts.length).toBe(1);
  });
});
