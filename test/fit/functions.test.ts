import { describe, expect, it } from '@jest/globals';
import { betaToParams, density, fitFunction, FIT_FUNCTION_NAMES, paramsToBeta } from '../../src/fit/functions.js';

describe('dijet fit functions', () => {
  const x = 0.23;
  it('evaluate the published formulas', () => {
    const l = Math.log(x);
    expect(density(fitFunction('dijet3'), x, [2, 10, 5])).toBeCloseTo(2 * (1 - x) ** 10 * x ** -5, 6);
    expect(density(fitFunction('dijet4'), x, [2, 10, 5, 0.3])).toBeCloseTo(2 * (1 - x) ** 10 * x ** (-5 + 0.3 * l), 6);
    expect(density(fitFunction('dijet5'), x, [2, 10, 5, 0.3, 0.05])).toBeCloseTo(
      2 * (1 - x) ** 10 * x ** (-5 + 0.3 * l + 0.05 * l * l),
      6,
    );
    expect(density(fitFunction('ua2'), x, [2, 5, 10, 3])).toBeCloseTo(2 * x ** -5 * Math.exp(-10 * x - 3 * x * x), 6);
  });

  it('evaluate the ATLAS 2020 decorrelated variants with their ξ constants', () => {
    const xi = { xi1: 0.4, xi2: 0.2, xi3: -0.1 };
    const [p1, p2, p3, p4] = [2, 10, 5, 0.3];
    const l = Math.log(x);
    expect(density(fitFunction('dijet3d', xi), x, [p1, p2, p3])).toBeCloseTo(
      p1 * (1 - x) ** (p2 - 0.4 * p3) * x ** -p3,
      6,
    );
    expect(density(fitFunction('dijet4d', xi), x, [p1, p2, p3, p4])).toBeCloseTo(
      p1 * (1 - x) ** (p2 - 0.4 * p3) * x ** (-p3 + (p4 - 0.2 * p3 + 0.1 * p2) * l),
      6,
    );
    expect(density(fitFunction('ua2d', xi), x, [p1, p2, p3, p4])).toBeCloseTo(
      p1 * x ** (p2 - 0.4 * p3) * Math.exp(-p3 * x + (p4 - 0.2 * p3 + 0.1 * p2) * x * x),
      6,
    );
  });

  it('map parameters to feature coefficients and back exactly', () => {
    for (const name of FIT_FUNCTION_NAMES) {
      const fn = fitFunction(name, { xi1: 0.3, xi2: -0.2, xi3: 0.1 });
      const p = [123.4, 9.5, 4.25, -0.07, 0.01].slice(0, fn.nParams);
      const back = betaToParams(fn, paramsToBeta(fn, p));
      p.forEach((v, i) => {
        expect(back[i]).toBeCloseTo(v, 10);
      });
    }
  });

  it('rejects unknown names with the list of known ones', () => {
    expect(() => fitFunction('dijet7')).toThrow(/unknown 'dijet7'.*dijet3/);
  });
});
