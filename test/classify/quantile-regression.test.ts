/**
 * The quantile regression behind VAE-QR keeps its promise: "score above the (1 − ε)-quantile at this mjj" keeps a
 * fraction ε of the background at every mass, so the selected spectrum is not sculpted. A falling spectrum
 * (∝ m⁻⁵ from 1.5 to 6 TeV) with a score whose distribution drifts slowly with mjj; the regression trains on 60k
 * events, and its kept fraction is counted per mjj bin on 1M fresh events.
 */
import { describe, expect, it } from '@jest/globals';
import { fitQuantileRegression, predictQuantiles } from '../../src/classify/quantile-regression.js';
import { mulberry32 } from '../../src/classify/random.js';

function sample(n: number, seed: number) {
  const r = mulberry32(seed);
  const mjj = new Float32Array(n),
    score = new Float32Array(n);
  const a = 1500 ** -4,
    b = 6000 ** -4;
  for (let i = 0; i < n; i++) {
    mjj[i] = (a + r() * (b - a)) ** -0.25;
    score[i] = Math.max(r(), r()) * (1 + 0.05 * Math.log(mjj[i]! / 1500));
  }
  return { mjj, score };
}

describe('quantile regression of a score against mjj', () => {
  it('keeps ε of the background in every mjj bin, including the sparse high-mass tail', () => {
    const eps = 0.03;
    const train = sample(60000, 3);
    const test = sample(1000000, 103);
    const qr = fitQuantileRegression(train.mjj, train.score, [1 - eps], { seed: 3 });
    expect(qr.epochs).toBe(60);
    const q = predictQuantiles(qr, test.mjj);
    const edges = [1500, 1800, 2100, 2500, 3000, 3500, 4000, 6000];
    const kept = new Float64Array(edges.length - 1),
      total = new Float64Array(edges.length - 1);
    for (let i = 0; i < test.mjj.length; i++) {
      let k = 0;
      while (test.mjj[i]! >= edges[k + 1]!) k++;
      total[k]!++;
      if (test.score[i]! > q[i]!) kept[k]!++;
    }
    const fractions = Array.from(kept, (s, k) => s / total[k]!);
    // The training statistics above 3.5 TeV (~2 % of 60k events) bound the tail's precision to ~20 %; the early-
    // stopped regression this replaced kept 1.1–5.2 % per bin.
    for (const f of fractions) expect(Math.abs(f - eps) / eps).toBeLessThan(0.35);
    const all = kept.reduce((s, v) => s + v, 0) / test.mjj.length;
    expect(Math.abs(all - eps) / eps).toBeLessThan(0.1);
  });

  it('is deterministic for a seed', () => {
    const train = sample(5000, 9);
    const a = predictQuantiles(fitQuantileRegression(train.mjj, train.score, [0.9], { seed: 4, epochs: 5 }), train.mjj);
    const b = predictQuantiles(fitQuantileRegression(train.mjj, train.score, [0.9], { seed: 4, epochs: 5 }), train.mjj);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});
