import { describe, expect, it } from '@jest/globals';
import { zGaussianConstraint, zPoissonAux } from '../../src/stats/discovery.js';
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
