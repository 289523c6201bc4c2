import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import {
  FUNCTION_FAMILIES,
  compileShape,
  familyCounts,
  familyFunction,
  shapeCounts,
  shapeLogDensity,
  shapeWindow,
} from '../../src/analysis/ddp-families.js';
import { FITTED_SHAPES } from '../../src/analysis/ddp-shapes.js';
import { atlasShapes } from '../../bench/ddp-shapes.js';
import { atlasSpectrumCsv } from '../helpers/paths.js';

// Corners and middle of the training ranges: 30–100 bins, 10–1e5 entries per bin.
const BINS = [2, 30, 57, 100];
const ENDS: [number, number][] = [
  [1e5, 10],
  [1e5, 9e4],
  [11, 10],
  [3000, 40],
  [1e5, 1e4 * 1.0001],
];

describe('function families of seed 002 eq. (32)', () => {
  it('run through both end points, fall monotonically and stay positive and finite', () => {
    for (const family of FUNCTION_FAMILIES) {
      for (const nb of BINS) {
        for (const [y1, y2] of ENDS) {
          for (const power of family === 'inverse-power' ? [0.5, 2.7, 6] : [undefined]) {
            const out = new Float64Array(nb);
            familyCounts(family, y1, y2, out, { power });
            expect(out[0]).toBeCloseTo(y1, 6);
            expect(Math.abs(out[nb - 1]! - y2) / y2).toBeLessThan(1e-9);
            const ok = out.every(
              (v, i) => Number.isFinite(v) && v >= y2 * (1 - 1e-9) && (i === 0 || v <= out[i - 1]! * (1 + 1e-12)),
            );
            expect([family, nb, y1, y2, ok]).toEqual([family, nb, y1, y2, true]);
          }
        }
      }
    }
  });

  it('have the shapes their formulas say', () => {
    const f = (family: (typeof FUNCTION_FAMILIES)[number], x: number) =>
      familyFunction({ family, x1: 1, x2: 11, y1: 1000, y2: 10 })(x);
    // b e^{−a x}: log-linear, halfway in x is the geometric mean.
    expect(f('exponential', 6)).toBeCloseTo(100, 9);
    expect(f('linear', 6)).toBeCloseTo(505, 9);
    // 1/(a x) + b: through (1, 1000), (11, 10) → value at 2: 10 + 990 (1/2 − 1/11)/(1 − 1/11).
    expect(f('inverse1', 2)).toBeCloseTo(10 + (990 * (0.5 - 1 / 11)) / (1 - 1 / 11), 9);
    expect(f('parabola', 6)).toBeCloseTo(10 + 990 / 4, 9);
    expect(f('logarithm', Math.sqrt(11))).toBeCloseTo(505, 9);
    expect(f('cosine', 6)).toBeCloseTo(990 * Math.cos(Math.PI / 4) + 10, 9);
    expect(f('cosh', 11)).toBeCloseTo(10, 9);
  });

  it('cut and stretch keeps the values inside [y2, y1] and reproduces the cut part of the curve', () => {
    const nb = 50,
      y1 = 5e4,
      y2 = 20;
    for (const family of FUNCTION_FAMILIES) {
      const full = familyFunction({ family, x1: 1, x2: nb, y1, y2, power: 3 });
      for (const keep of ['low', 'high'] as const) {
        const out = new Float64Array(nb);
        familyCounts(family, y1, y2, out, { power: 3, cut: { at: 0.3, keep } });
        const xc = 1 + 0.3 * (nb - 1);
        const from = keep === 'low' ? 1 : xc,
          to = keep === 'low' ? xc : nb;
        expect(out[0]).toBeCloseTo(full(from), 6);
        expect(out[nb - 1]).toBeCloseTo(full(to), 6);
        expect(out[17]).toBeCloseTo(full(from + (17 * (to - from)) / (nb - 1)), 6);
        for (let i = 0; i < nb; i++) {
          expect(out[i]!).toBeLessThanOrEqual(y1 * (1 + 1e-12));
          expect(out[i]!).toBeGreaterThanOrEqual(y2 * (1 - 1e-9));
        }
      }
    }
  });

  it('rejects end points that do not fall, with the family named', () => {
    expect(() => familyFunction({ family: 'cosh', x1: 1, x2: 10, y1: 5, y2: 10 })).toThrow(/ddp family cosh/);
    expect(() => familyCounts('linear', 10, 5, new Float64Array(1))).toThrow(/at least 2 bins/);
    const cut = { at: 1, keep: 'low' } as const;
    expect(() => familyCounts('linear', 10, 5, new Float64Array(5), { cut })).toThrow(/cut must lie/);
  });
});

describe('shapes fitted to real and generated spectra (ddp-shapes.ts)', () => {
  it('the ATLAS shapes are what the committed script derives from the real spectrum', () => {
    const fresh = atlasShapes(readFileSync(atlasSpectrumCsv, 'utf8'));
    const committed = FITTED_SHAPES.filter((s) => s.id.startsWith('atlas139/'));
    expect(fresh.map((s) => s.id)).toEqual(committed.map((s) => s.id));
    fresh.forEach((s, k) => {
      const c = committed[k]!;
      const worst = Math.max(...s.params.map((p, j) => Math.abs(p - c.params[j]!) / Math.max(1, Math.abs(p))));
      expect(worst).toBeLessThanOrEqual(1e-9);
      expect(s.chi2).toBeCloseTo(c.chi2, 2);
      expect(s.mjjRange).toEqual(c.mjjRange);
    });
    // dijet4 on the ATLAS spectrum: the χ² the fit CLI test pins (127-129 over 87 degrees of freedom).
    const d4 = committed.find((s) => s.id === 'atlas139/dijet4')!;
    expect(d4.ndf).toBe(87);
    expect(d4.chi2).toBeGreaterThan(127);
    expect(d4.chi2).toBeLessThan(129);
  });

  it('every shape falls monotonically, and is positive and finite, over its fitted range', () => {
    expect(FITTED_SHAPES.filter((s) => s.id.startsWith('generator/')).length).toBeGreaterThanOrEqual(10);
    for (const s of FITTED_SHAPES) {
      const c = compileShape(s);
      const [lo, hi] = s.mjjRange;
      let prev = Infinity,
        falls = true;
      for (let m = lo; m <= hi; m += (hi - lo) / 2000) {
        const g = shapeLogDensity(c, m);
        if (!Number.isFinite(g) || !(g < prev)) falls = false;
        prev = g;
      }
      expect([s.id, falls]).toEqual([s.id, true]);
    }
  });

  it('a window falls by the requested ratio, and its counts start at y1', () => {
    for (const s of FITTED_SHAPES) {
      const c = compileShape(s);
      for (const ratio of [1.01, 10, 1e4]) {
        for (const start of [0, 0.5, 1]) {
          const [a, b] = shapeWindow(c, ratio, start);
          expect(a).toBeGreaterThanOrEqual(s.mjjRange[0]);
          expect(b).toBeLessThanOrEqual(s.mjjRange[1]);
          expect(b).toBeGreaterThan(a);
          const fall = shapeLogDensity(c, a) - shapeLogDensity(c, b);
          // Full fall unless the window hit the end of the fitted range.
          if (b < s.mjjRange[1] - 1e-6) expect(fall).toBeCloseTo(Math.log(ratio), 6);
          else expect(fall).toBeLessThanOrEqual(Math.log(ratio) + 1e-9);
          const out = new Float64Array(40);
          shapeCounts(c, a, b, 5000, out);
          expect(out[0]).toBeCloseTo(5000, 6);
          expect(out.every((v, i) => v > 0 && (i === 0 || v < out[i - 1]!))).toBe(true);
        }
      }
    }
  });
});
