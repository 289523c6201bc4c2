import { describe, expect, it } from '@jest/globals';
import { zGaussianConstraint, zLogNormalConstraint, zPoissonAux } from '../../src/stats/discovery.js';
import { normalSf } from '../../src/stats/special.js';

/** On/off likelihood ratio computed directly from its two maximisations (independent of the closed form). */
function onOffZ(n: number, b: number, sigma: number): number {
  const tau = b / (sigma * sigma),
    m = tau * b;
  const lnL = (s: number, bb: number) => n * Math.log(s + bb) - (s + bb) + m * Math.log(tau * bb) - tau * bb;
  const q = 2 * (lnL(n - b, b) - lnL(0, (n + m) / (1 + tau)));
  return Math.sign(n - b) * Math.sqrt(q);
}

/** Gaussian-constrained profile likelihood by brute-force golden-section over the background. */
function gaussZ(n: number, b0: number, sigma: number): number {
  const nll = (bb: number) => -(n * Math.log(bb) - bb) + (bb - b0) ** 2 / (2 * sigma * sigma);
  let a = 1e-9,
    c = b0 + n + 20 * sigma;
  for (let i = 0; i < 300; i++) {
    const x1 = c - 0.618 * (c - a),
      x2 = a + 0.618 * (c - a);
    if (nll(x1) < nll(x2)) c = x2;
    else a = x1;
  }
  const bb = 0.5 * (a + c);
  const q = 2 * (nll(bb) - -(n * Math.log(n) - n));
  return Math.sign(n - b0) * Math.sqrt(Math.max(q, 0));
}

describe('discovery significance, Poisson auxiliary measurement (Cowan, Cranmer, Gross, Vitells 2011)', () => {
  it('reproduces the published example: s = 50 over b = 100 ± 7 gives 3.72σ', () => {
    expect(zPoissonAux(150, 100, 7).z).toBeCloseTo(3.72, 2);
  });

  it('equals the on/off likelihood ratio over a range of inputs', () => {
    for (const [n, b, s] of [
      [12, 5, 1],
      [150, 100, 7],
      [1000, 900, 40],
      [3, 1.2, 0.5],
      [80, 100, 10],
    ] as const) {
      expect(zPoissonAux(n, b, s).z).toBeCloseTo(onOffZ(n, b, s), 8);
    }
  });

  it('tends to the pure Poisson form without background uncertainty', () => {
    const n = 30,
      b = 18;
    const exact = Math.sqrt(2 * (n * Math.log(n / b) - n + b));
    expect(zPoissonAux(n, b, 0).z).toBeCloseTo(exact, 12);
    expect(zPoissonAux(n, b, 1e-4).z).toBeCloseTo(exact, 5);
  });

  it('gives p = 1 − Φ(Z), a negative Z for a deficit, and handles n = 0', () => {
    const r = zPoissonAux(150, 100, 7);
    expect(r.p).toBeCloseTo(normalSf(r.z), 14);
    expect(zPoissonAux(80, 100, 7).z).toBeLessThan(0);
    expect(zPoissonAux(0, 4, 1).z).toBeCloseTo(onOffZ(1e-12, 4, 1), 4);
  });
});

describe('discovery significance, Gaussian-constrained background (seed 000 §V.D.3)', () => {
  it('equals a brute-force profile of the Gaussian-constrained likelihood', () => {
    for (const [n, b, s] of [
      [150, 100, 7],
      [12, 5, 1],
      [1000, 900, 40],
      [25, 20, 10],
      [80, 100, 10],
    ] as const) {
      expect(zGaussianConstraint(n, b, s).z).toBeCloseTo(gaussZ(n, b, s), 5);
    }
  });

  it('without uncertainty equals the Poisson form, and uncertainty always lowers |Z|', () => {
    const n = 140,
      b = 100;
    expect(zGaussianConstraint(n, b, 0).z).toBeCloseTo(zPoissonAux(n, b, 0).z, 12);
    expect(zGaussianConstraint(n, b, 10).z).toBeLessThan(zGaussianConstraint(n, b, 0).z);
    // Large counts: Z → (n − b)/√(b + σ²).
    expect(zGaussianConstraint(1e6 + 3000, 1e6, 1000).z).toBeCloseTo(3000 / Math.sqrt(1e6 + 1e6), 2);
  });

  it('rejects a non-positive background with a message', () => {
    expect(() => zGaussianConstraint(3, 0, 1)).toThrow(/background b must be > 0/);
  });
});

describe('discovery significance, log-normal-constrained background (a log-linear fit’s relative uncertainty)', () => {
  /** The profile by brute force: q0 = min over a fine grid of ln b of the constrained deviance. */
  function gridZ(n: number, b0: number, sigma: number): number {
    const r = sigma / b0;
    let q = Infinity;
    for (let t = Math.log(b0) - 12 * r; t <= Math.log(b0) + 12 * r; t += r / 2000) {
      const b = Math.exp(t);
      const dev = 2 * (b - n + (n > 0 ? n * Math.log(n / b) : 0)) + ((t - Math.log(b0)) / r) ** 2;
      if (dev < q) q = dev;
    }
    return Math.sqrt(q) * (n >= b0 ? 1 : -1);
  }

  it('matches the profile computed by brute force', () => {
    for (const [n, b, s] of [
      [150, 100, 7],
      [7.7, 0.55, 0.62],
      [3, 10, 4],
      [0, 2, 0.5],
    ] as const)
      expect(zLogNormalConstraint(n, b, s).z).toBeCloseTo(gridZ(n, b, s), 4);
  });

  it('agrees with the Gaussian constraint when the uncertainty is small against the background', () => {
    const a = zLogNormalConstraint(1150, 1000, 10).z,
      b = zGaussianConstraint(1150, 1000, 10).z;
    expect(Math.abs(a / b - 1)).toBeLessThan(0.01);
    expect(zLogNormalConstraint(150, 100, 0).z).toBeCloseTo(zGaussianConstraint(150, 100, 0).z, 12);
  });

  it('lets a background fitted low move up in proportion: far less extreme than the Gaussian constraint', () => {
    // A sparse sideband fitted 0.55 ± 0.62 under 7.7 observed events whose count the selection fixes to 2 %
    // (the test runs on counts scaled by 1/0.0192): the Gaussian constraint says Z = 10, the log-normal 2.3.
    const c = 52;
    expect(zGaussianConstraint(7.68 * c, 0.549 * c, 0.619 * c).z).toBeGreaterThan(9.9);
    const z = zLogNormalConstraint(7.68 * c, 0.549 * c, 0.619 * c).z;
    expect(z).toBeGreaterThan(2);
    expect(z).toBeLessThan(2.5);
  });
});
