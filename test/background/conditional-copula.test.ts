import { describe, expect, it } from '@jest/globals';
import { fitConditionalCopula, sampleConditionalCopula } from '../../src/background/conditional-copula.js';
import { mulberry32 } from '../../src/classify/random.js';

/** Features whose mean and correlation change with mjj: x = m/1000 + N(0,1), y = ρ(m)·x' + √(1−ρ²)·N(0,1) + 3. */
function toy(n: number, seed: number) {
  const rand = mulberry32(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const m = new Float32Array(n),
    x = new Float32Array(n),
    y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    m[i] = 2000 + 3000 * rand();
    const rho = (m[i]! - 2000) / 3000; // 0 at 2 TeV, 1 at 5 TeV
    const a = g();
    x[i] = m[i]! / 1000 + a;
    y[i] = 3 + rho * a + Math.sqrt(1 - rho * rho) * g();
  }
  return { m, x, y };
}

function stats(x: Float32Array, y: Float32Array) {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n,
    my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return { mx, my, sx: Math.sqrt(sxx / n), corr: sxy / Math.sqrt(sxx * syy) };
}

describe('conditional Gaussian copula (down-up sampling model)', () => {
  const data = toy(40000, 3);
  const model = fitConditionalCopula([data.x, data.y], data.m, { bins: 12 });

  it('reproduces the mjj-dependent marginals and correlation at a given mass', () => {
    for (const mass of [2500, 3500, 4500]) {
      const at = new Float32Array(20000).fill(mass);
      const [x, y] = sampleConditionalCopula(model, at, 7);
      const s = stats(x!, y!);
      const rho = (mass - 2000) / 3000;
      expect(Math.abs(s.mx - mass / 1000)).toBeLessThan(0.08);
      expect(Math.abs(s.my - 3)).toBeLessThan(0.05);
      expect(Math.abs(s.sx - 1)).toBeLessThan(0.06);
      expect(Math.abs(s.corr - rho)).toBeLessThan(0.08);
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const at = Float32Array.of(2100, 3000, 4900);
    expect(sampleConditionalCopula(model, at, 5)).toEqual(sampleConditionalCopula(model, at, 5));
    expect(sampleConditionalCopula(model, at, 5)[0]).not.toEqual(sampleConditionalCopula(model, at, 6)[0]);
  });

  it('refuses too few events', () => {
    expect(() => fitConditionalCopula([Float32Array.of(1, 2)], Float32Array.of(1, 2))).toThrow(/at least 20/);
  });
});
