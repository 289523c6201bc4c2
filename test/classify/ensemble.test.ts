import { describe, expect, it } from '@jest/globals';
import { averageScores, fillHistogram, medianHistogram } from '../../src/classify/ensemble.js';
import { thresholdForEfficiency } from '../../src/classify/workingpoints.js';

describe('ensembles and working points', () => {
  it('takes the bin-wise median and its standard error √(π/2)·σ/√N', () => {
    const { counts, spread } = medianHistogram([
      Float64Array.of(1, 10),
      Float64Array.of(3, 10),
      Float64Array.of(8, 10),
    ]);
    expect(Array.from(counts)).toEqual([3, 10]);
    const sd = Math.sqrt(((1 - 4) ** 2 + (3 - 4) ** 2 + (8 - 4) ** 2) / 2);
    expect(spread[0]).toBeCloseTo((Math.sqrt(Math.PI / 2) * sd) / Math.sqrt(3), 12);
    expect(spread[1]).toBe(0);
  });

  it('fills [lo, hi) bins and honours the mask', () => {
    const h = fillHistogram(
      Float32Array.of(0, 0.5, 1, 1.5, 2, 3),
      Float64Array.of(0, 1, 2),
      Uint8Array.of(1, 1, 1, 0, 1, 1),
    );
    expect(Array.from(h)).toEqual([2, 1]);
  });

  it('averages member scores', () => {
    expect(Array.from(averageScores([Float64Array.of(1, 2), Float64Array.of(3, 4)]))).toEqual([2, 3]);
  });

  it('puts the threshold so that a fraction ε of the reference passes', () => {
    const ref = Float64Array.from({ length: 1000 }, (_, i) => i);
    const t = thresholdForEfficiency(ref, 0.02);
    expect(Array.from(ref).filter((s) => s >= t).length).toBe(20);
  });
});

describe('tie breaking at the working-point threshold', () => {
  it('passes exactly ε of a constant-score SR and about ε of the tied SB events', async () => {
    const { selectPerFold } = await import('../../src/analysis/cwola-selection.js');
    const n = 4000;
    const score = new Float64Array(n).fill(0.3);
    const fold = new Uint8Array(n);
    const role = Uint8Array.from({ length: n }, (_, i) => (i < 1000 ? 0 : 1));
    const mask = selectPerFold(score, fold, role, { thresholdFrom: 'sr' }, 0.1, 5);
    expect(Array.from(mask.subarray(0, 1000)).filter(Boolean).length).toBe(100);
    const sb = Array.from(mask.subarray(1000)).filter(Boolean).length;
    expect(sb).toBeGreaterThan(240);
    expect(sb).toBeLessThan(360);
  });
});
