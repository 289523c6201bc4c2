import { describe, expect, it } from '@jest/globals';
import { applyNonclosure, evaluateLinear, fitNonclosure } from '../../src/stats/nonclosure.js';

describe('nonclosure correction (seed 000 §V.D.4)', () => {
  // Validation Z per window: mean rising linearly 0.1 + 0.0001·(mjj − 2900), ten samples each.
  const windows = [2900, 3200, 3500, 3800, 4100].map((mjj) => ({
    mjj,
    z: Array.from({ length: 10 }, (_, k) => 0.1 + 1e-4 * (mjj - 2900) + (k - 4.5) * 0.2),
  }));
  const model = fitNonclosure(windows);

  it('fits the mean and the spread of the validation significances linearly in mjj', () => {
    expect(model.mean.slope).toBeCloseTo(1e-4, 10);
    expect(evaluateLinear(model.mean, 2900)).toBeCloseTo(0.1, 10);
    expect(model.std.slope).toBeCloseTo(0, 10);
    expect(model.windows[0]!.std).toBeCloseTo(Math.sqrt((0.04 * 82.5) / 9), 10);
  });

  it('only decreases a positive significance, never below zero, and leaves deficits alone', () => {
    expect(applyNonclosure(2, 3500, model)).toBeCloseTo(2 - 0.16, 10);
    expect(applyNonclosure(0.05, 3500, model)).toBe(0);
    expect(applyNonclosure(-1.2, 3500, model)).toBe(-1.2);
    const negative = fitNonclosure([{ mjj: 3000, z: [-0.3, -0.5] }]);
    expect(applyNonclosure(1.5, 3000, negative)).toBe(1.5);
  });

  it('optionally divides by a fitted width above one', () => {
    const wide = fitNonclosure([{ mjj: 3000, z: [-2, 0, 2] }]);
    expect(applyNonclosure(3, 3000, wide, { correctWidth: true })).toBeCloseTo(1.5, 10);
    expect(applyNonclosure(3, 3000, wide)).toBe(3);
  });
});
