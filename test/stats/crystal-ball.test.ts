/**
 * The double crystal ball against scipy.stats.crystalball (test/fixtures/scipy/crystal_ball.py, scipy 1.10.1):
 * with its high tail pushed far out it is scipy's one-tailed shape, mirrored it is the high-tail-only one; both
 * tails together integrate to 1, the CDF is the integral of the density, and shapes fitted to samples find them.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  dcbBinProbabilities,
  dcbCdf,
  dcbFromSample,
  dcbPdf,
  type DoubleCrystalBall,
} from '../../src/stats/crystal-ball.js';
import { mulberry32 } from '../../src/stats/random.js';
import { repoRoot } from '../helpers/paths.js';

interface Case {
  beta: number;
  m: number;
  loc: number;
  scale: number;
  x: number[];
  pdf: number[];
  cdf: number[];
}
const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/scipy/crystal_ball.json'), 'utf8')) as {
  cases: Case[];
};

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('double crystal ball', () => {
  it('with one tail is scipy.stats.crystalball (pdf and cdf), and mirrored the high-tail shape', () => {
    expect(fixture.cases.length).toBe(3);
    for (const c of fixture.cases) {
      const low: DoubleCrystalBall = {
        mu: c.loc,
        sigma: c.scale,
        alphaLow: c.beta,
        nLow: c.m,
        alphaHigh: 40,
        nHigh: 2,
      };
      const high: DoubleCrystalBall = {
        mu: c.loc,
        sigma: c.scale,
        alphaLow: 40,
        nLow: 2,
        alphaHigh: c.beta,
        nHigh: c.m,
      };
      c.x.forEach((x, i) => {
        expect(rel(dcbPdf(x, low), c.pdf[i]!)).toBeLessThan(1e-10);
        expect(rel(dcbCdf(x, low), c.cdf[i]!)).toBeLessThan(1e-9);
        expect(rel(dcbPdf(2 * c.loc - x, high), c.pdf[i]!)).toBeLessThan(1e-10);
        expect(Math.abs(1 - dcbCdf(2 * c.loc - x, high) - c.cdf[i]!)).toBeLessThan(1e-12);
      });
    }
  });

  it('is normalised with both tails, continuous at the joins, and its CDF integrates the density', () => {
    const s: DoubleCrystalBall = { mu: 3000, sigma: 120, alphaLow: 0.9, nLow: 2.5, alphaHigh: 1.6, nHigh: 4 };
    // Trapezoid of the density over ±2000 σ (the tails' mass beyond, from the CDF, is added back).
    const lo = s.mu - 2000 * s.sigma,
      hi = s.mu + 2000 * s.sigma,
      steps = 2_000_000;
    let area = 0;
    for (let k = 0; k <= steps; k++) {
      const x = lo + ((hi - lo) * k) / steps;
      area += (k === 0 || k === steps ? 0.5 : 1) * dcbPdf(x, s);
    }
    area *= (hi - lo) / steps;
    expect(Math.abs(area + dcbCdf(lo, s) + (1 - dcbCdf(hi, s)) - 1)).toBeLessThan(1e-5);
    expect(dcbCdf(-Infinity, s)).toBe(0);
    expect(dcbCdf(Infinity, s)).toBe(1);
    for (const t of [-s.alphaLow, s.alphaHigh]) {
      const x = s.mu + t * s.sigma;
      expect(rel(dcbPdf(x - 1e-7, s), dcbPdf(x + 1e-7, s))).toBeLessThan(1e-8);
      expect(rel(dcbCdf(x - 1e-7, s), dcbCdf(x + 1e-7, s))).toBeLessThan(1e-8);
    }
    // dCDF/dx = pdf at points in all three pieces.
    for (const x of [2500, 2950, 3100, 3400]) {
      const h = 1e-3;
      expect(rel((dcbCdf(x + h, s) - dcbCdf(x - h, s)) / (2 * h), dcbPdf(x, s))).toBeLessThan(1e-6);
    }
    const edges = Array.from({ length: 61 }, (_, i) => 1000 + 100 * i);
    const p = dcbBinProbabilities(edges, s);
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - (dcbCdf(7000, s) - dcbCdf(1000, s)))).toBeLessThan(1e-12);
  });

  it('rejects shapes without a finite normalisation', () => {
    const s: DoubleCrystalBall = { mu: 0, sigma: 1, alphaLow: 1, nLow: 1, alphaHigh: 1, nHigh: 2 };
    expect(() => dcbPdf(0, s)).toThrow(/nLow must be > 1/);
    expect(() => dcbCdf(0, { ...s, nLow: 2, sigma: 0 })).toThrow(/sigma must be > 0/);
  });

  it('takes its peak and width from a labelled sample', () => {
    // A Gaussian sample (Box–Muller, fixed seed) with a 10 % low tail.
    const u = mulberry32(12345);
    const x: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const g = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
      x.push(i % 10 === 0 ? 3000 - 600 * u() : 3000 + 100 * g);
    }
    const s = dcbFromSample(x);
    // The median sits a little below the peak (the tail holds 10 % of the events): 0.13 σ here.
    expect(Math.abs(s.mu - 3000)).toBeLessThan(20);
    expect(Math.abs(s.sigma - 100) / 100).toBeLessThan(0.25);
    expect(s.alphaLow).toBeLessThan(s.alphaHigh);
    expect(() => dcbFromSample([1, 2, 3])).toThrow(/needs ≥ 10 events/);
  });
});
