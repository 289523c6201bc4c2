import { describe, expect, it } from '@jest/globals';
import { auc, evaluate, evaluateMembers, maxSic, rocCurve, SIC_GRID, sicAt } from '../../src/classify/metrics.js';

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

describe('SIC at fixed signal efficiencies (per-member bands)', () => {
  it('interpolates ε_B between ROC points and nulls points under the background guard', () => {
    // 10 signal events above 100 background events, scores descending: signal 1.10..1.01, background 0.99..0.
    const scores: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 10; i++) {
      scores.push(1.1 - i / 100);
      labels.push(1);
    }
    for (let i = 0; i < 100; i++) {
      scores.push(0.99 - i / 100);
      labels.push(0);
    }
    const roc = rocCurve(scores, labels);
    // Every signal event passes before any background: ε_B = 0 up to ε_S = 1, so SIC is undefined there; at
    // ε_S = 1 the first ROC point with ε_S = 1 has ε_B = 0 → null too.
    expect(sicAt(roc, [0.5, 1], 1)).toEqual([null, null]);
    // Reverse the ranking: background first. At ε_S = 0.5 all 100 background and 5 signal pass: SIC = 0.5 / 1.
    const rev = rocCurve(
      scores.map((s) => -s),
      labels,
    );
    expect(sicAt(rev, [0.5], 25)[0]).toBeCloseTo(0.5, 12);
  });

  it('gives each member its own curve, AUC and max SIC on the common grid', () => {
    const labels = [1, 1, 1, 0, 0, 0, 0, 0];
    const perfect = [9, 8, 7, 3, 2, 1, 0, -1];
    const random = [1, 0, 1, 0, 1, 0, 1, 0];
    const m = evaluateMembers([perfect, random], labels, { minBackground: 1 });
    expect(m.tpr).toEqual([...SIC_GRID]);
    expect(m.tpr[0]).toBe(0.02);
    expect(m.tpr[m.tpr.length - 1]).toBe(1);
    expect(m.sic).toHaveLength(2);
    expect(m.auc[0]).toBe(1);
    expect(m.auc[1]).toBeCloseTo(auc(rocCurve(random, labels)), 12);
    expect(m.maxSic[0]).toBeCloseTo(maxSic(rocCurve(perfect, labels), 1), 12);
    // At ε_S = 1 the perfect member has passed 0 background at the ROC point reaching ε_S = 1: null.
    expect(m.sic[0]![49]).toBeNull();
  });
});
