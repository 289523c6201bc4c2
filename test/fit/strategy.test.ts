import { describe, expect, it } from '@jest/globals';
import { runFitStrategy } from '../../src/fit/strategy.js';
import { seededPoisson } from '../../src/stats/random.js';
import { loadAtlas, poissonToy, smoothBackground, WINDOW_EDGES, WINDOW_SR } from './helpers.js';

const lo = WINDOW_EDGES.subarray(0, 30),
  hi = WINDOW_EDGES.subarray(1);

describe('ATLAS 2024 fit strategy (seed 000 §V.D.1)', () => {
  it('masks the SR and accepts the first function whose SB χ² p-value exceeds 0.05', () => {
    const counts = poissonToy(smoothBackground(20000), seededPoisson(2024));
    const r = runFitStrategy({ lo, hi, counts }, { sr: WINDOW_SR });
    expect(r.accepted).toBe(true);
    expect(Array.from(r.srMask).reduce((a, b) => a + b, 0)).toBe(10);
    for (let i = 0; i < 30; i++) expect(r.fitMask[i]! & r.srMask[i]!).toBe(0);
    expect(r.fit!.fn.name).toBe('dijet3');
    expect(r.fit!.pvalue).toBeGreaterThan(0.05);
    expect(r.sbRange).toEqual([2000, 3800]);
  });

  it('on the real ATLAS spectrum cycles the functions and drops the outer SB bins down to the six-bin floor', () => {
    // The first 30 ATLAS bins hold millions of events each; no function describes the wide sideband. MINUIT
    // running the same loop (bench/fit_minuit.py) needed the same 22 attempts and accepted dijet3 on 6 SB bins.
    const a = loadAtlas();
    const spec = { lo: a.lo.subarray(0, 30), hi: a.hi.subarray(0, 30), counts: a.counts.subarray(0, 30) };
    const r = runFitStrategy(spec, { sr: [a.lo[10]!, a.hi[19]!] });
    expect(r.accepted).toBe(true);
    expect(r.attempts.map((t) => t.function).slice(0, 3)).toEqual(['dijet3', 'dijet4', 'ua2']);
    expect(r.attempts.length).toBe(22);
    const last = r.attempts[r.attempts.length - 1]!;
    expect(last.sidebandBins).toBe(6);
    expect(r.fit!.fn.name).toBe('dijet3');
    // Each shrink removes one bin per side.
    expect(r.attempts[3]!.sidebandBins).toBe(r.attempts[0]!.sidebandBins - 2);
  });

  it('fails (not throws) when the sideband has fewer than six bins, keeping the best attempt', () => {
    const counts = poissonToy(smoothBackground(20000), seededPoisson(1));
    const r = runFitStrategy({ lo, hi, counts }, { sr: [2200, 3700] });
    expect(r.accepted).toBe(false);
    expect(r.reason).toMatch(/fewer than 6/);
    expect(r.attempts.length).toBe(0);
  });

  it('reports a failure with the best attempt when no function ever passes', () => {
    // A sideband with a sharp step no smooth function describes.
    const counts = poissonToy(smoothBackground(200000), seededPoisson(4));
    for (let i = 0; i < 30; i += 2) counts[i] = counts[i]! * 1.3;
    const r = runFitStrategy({ lo, hi, counts }, { sr: WINDOW_SR });
    expect(r.accepted).toBe(false);
    expect(r.fit).not.toBeNull();
    expect(r.reason).toMatch(/no function reached/);
    // 20 SB bins, then 18, 16, … 6: eight rounds of three functions.
    expect(r.attempts.length).toBe(3 * 8);
    expect(r.attempts[r.attempts.length - 1]!.sidebandBins).toBe(6);
  });

  it('judges a sideband too sparse for the merged χ² by the deviance against toys', () => {
    // A dozen events in all: fewer groups expecting 5 events than any function has parameters.
    const counts = poissonToy(smoothBackground(12), seededPoisson(5));
    const r = runFitStrategy({ lo, hi, counts }, { sr: WINDOW_SR });
    const first = r.attempts[0]!;
    expect(first.gof).toBe('toys');
    expect(first.pvalue).toBeGreaterThan(0);
    expect(first.pvalue).toBeLessThanOrEqual(1);
    // Drawn from the first function's shape, it is accepted at the first try.
    expect(r.accepted).toBe(true);
    expect(r.attempts.length).toBe(1);
    expect(r.fit!.gof).toBe('toys');
  });

  it('says a sideband that even toys cannot test is untestable, not p = NaN', () => {
    // Two events: no fit of three parameters converges to a finite minimum, so no toys are drawn.
    const counts = new Float64Array(lo.length);
    counts[0] = 1;
    counts[lo.length - 1] = 1;
    const r = runFitStrategy({ lo, hi, counts }, { sr: WINDOW_SR });
    expect(r.accepted).toBe(false);
    expect(r.reason).toMatch(/untestable: \d+ group\(s\) of bins expecting ≥ 5 events for \d+ parameters/);
    expect(r.reason).not.toMatch(/NaN/);
  });
});

describe('ATLAS 2020 fit strategy (seed 001)', () => {
  it('fits the complement of the fit SR and shrinks both outer boundaries by 400 GeV', () => {
    const edges = Float64Array.from({ length: 65 }, (_, i) => 1800 + 100 * i);
    const exp = smoothBackground(400000, edges);
    const counts = poissonToy(exp, seededPoisson(9));
    // A low-mass turn-on that no smooth function follows over the full range.
    for (let i = 0; i < 4; i++) counts[i] = counts[i]! * (1 + 0.1 * (4 - i));
    const r = runFitStrategy(
      { lo: edges.subarray(0, 64), hi: edges.subarray(1), counts },
      { strategy: 'atlas2020', sr: [2280, 3280] },
    );
    expect(r.attempts.map((t) => t.function)).toEqual(['dijet3d', 'dijet4d', 'ua2d', 'dijet3d']);
    expect(r.attempts[0]!.sbRange).toEqual([1800, 8200]);
    expect(r.attempts[0]!.sidebandBins).toBe(64 - 11);
    // Outer boundaries 1800 → 2200 and 8200 → 7800: the low side (1800–2280 minus the masked bin) is gone.
    expect(r.attempts[3]!.sbRange).toEqual([3300, 7800]);
    expect(r.reason).toMatch(/shrinking the sideband 1 time/);
    expect(r.accepted).toBe(true);
  });
});
