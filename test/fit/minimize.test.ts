import { describe, expect, it } from '@jest/globals';
import { minimizeNewton, type Objective } from '../../src/fit/minimize.js';

describe('damped Newton minimizer', () => {
  it('finds the Rosenbrock minimum from the classic start, through its indefinite region', () => {
    const rosen: Objective = (x, g, h) => {
      const a = x[0]!,
        b = x[1]!;
      if (g) {
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
      }
      if (h) {
        h[0] = 2 - 400 * (b - 3 * a * a);
        h[1] = -400 * a;
        h[2] = -400 * a;
        h[3] = 200;
      }
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const r = minimizeNewton(rosen, [-1.2, 1], { edmTolerance: 1e-14 });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
    expect(r.edm).toBeLessThan(1e-12);
  });

  it('reports a start where the objective is undefined instead of throwing', () => {
    const r = minimizeNewton(() => Number.NaN, [0, 0]);
    expect(r.converged).toBe(false);
    expect(r.status).toMatch(/not finite/);
  });
});
