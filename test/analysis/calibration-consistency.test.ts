import { describe, expect, it } from '@jest/globals';
import { CALIBRATION_TARGET, calibrationConsistency, zMoments } from '../../src/analysis/calibration.js';
import { mulberry32 } from '../../src/stats/random.js';

/** Standard normal draws (Box–Muller) from a seeded uniform stream. */
function normals(rand: () => number, n: number): number[] {
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
}

describe('calibration consistency: a calibrated Z judged against its sampling error', () => {
  it('gives the rate at which a perfect 20-sample calibration, checked on 20 fresh samples, meets the target', () => {
    const rand = mulberry32(17);
    const trials = 4000;
    let inTarget = 0;
    let consistent = 0;
    for (let k = 0; k < trials; k++) {
      // Raw Z of some width and offset; the calibration standardises on one set, the check runs on another.
      const cal = zMoments(normals(rand, 20).map((z) => 0.3 + 0.6 * z));
      const fresh = normals(rand, 20).map((z) => (0.3 + 0.6 * z - cal.mean) / cal.std);
      const m = zMoments(fresh);
      if (Math.abs(m.mean) <= CALIBRATION_TARGET.mean && m.std >= 0.85 && m.std <= 1.15) inTarget++;
      if (calibrationConsistency(m.mean, m.std, 20, 20).consistent) consistent++;
    }
    const p = calibrationConsistency(0, 1, 20, 20).pInTarget;
    expect(p).toBeGreaterThan(0.18);
    expect(p).toBeLessThan(0.3);
    // The closed form against the simulated rate, within the simulation's binomial error (≈ 0.007) and the
    // normal approximation of the width's distribution.
    expect(Math.abs(inTarget / trials - p)).toBeLessThan(0.04);
    // Pulls within 2 hold for about 95 % × 95 % of perfect calibrations.
    expect(consistent / trials).toBeGreaterThan(0.85);
  });

  it('flags a width far from one and grows the chance of meeting the target with the samples', () => {
    const wide = calibrationConsistency(0.05, 1.76, 20, 20);
    expect(wide.widthPull).toBeGreaterThan(2);
    expect(wide.consistent).toBe(false);
    expect(calibrationConsistency(0, 1, 200, 200).pInTarget).toBeGreaterThan(0.9);
  });
});
