import { describe, expect, it } from '@jest/globals';
import { auc, evaluate, maxSic, rocCurve } from '../../src/classify/metrics.js';

describe('ROC, AUC and max SIC', () => {
  it('gives AUC 1 for a perfect ranking and 0.5 for all-tied scores', () => {
    expect(auc(rocCurve([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]))).toBe(1);
    expect(auc(rocCurve([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]))).toBe(0.5);
  });

  it('matches the pair-counting AUC on a small example', () => {
    // pairs (s, b) with s > b: signal scores 0.9, 0.4 vs background 0.6, 0.3, 0.2 → (3 + 2) / 6
    expect(auc(rocCurve([0.9, 0.4, 0.6, 0.3, 0.2], [1, 1, 0, 0, 0]))).toBeCloseTo(5 / 6, 12);
  });

  it('guards max SIC by the number of background events passing', () => {
    // 100 signal above 100 background; 1 background event at the very top.
    const scores: number[] = [2];
    const labels: number[] = [0];
    for (let i = 0; i < 100; i++) {
      scores.push(1 + i / 1000);
      labels.push(1);
    }
    for (let i = 0; i < 99; i++) {
      scores.push(i / 1000);
      labels.push(0);
    }
    const roc = rocCurve(scores, labels);
    // Unguarded: all signal with 1/100 background → TPR 1 / √0.01 = 10.
    expect(maxSic(roc, 1)).toBeCloseTo(10, 10);
    // Needing 25 background events: TPR 1, FPR 0.25 → 2.
    expect(maxSic(roc, 25)).toBeCloseTo(2, 10);
    const ev = evaluate(scores, labels, { minBackground: 25 });
    expect(ev.maxSic).toBeCloseTo(2, 10);
    expect(ev.roc!.fpr[0]).toBe(0);
  });
});
