/**
 * Synthetic WindowResults for the report tests: a smooth dijet background p0 (1 − x)^p1 x^−p2 (x = mjj/√s,
 * √s = 13 TeV) in 60 GeV bins, Poisson-fluctuated with a seeded generator, one window with a Gaussian bump, and
 * a ROC curve where truth exists. The "fit" is the generating function (exactly what a perfect fit would give),
 * so the figures are checkable by eye.
 */
import type { WindowResult } from '../../src/events/result.js';
import { mulberry32 } from '../../src/stats/random.js';

function poisson(mu: number, rnd: () => number): number {
  if (mu > 50) {
    // Normal approximation (Box-Muller) is plenty for a figure fixture at large means.
    const g = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    return Math.max(0, Math.round(mu + Math.sqrt(mu) * g));
  }
  const l = Math.exp(-mu);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rnd();
  } while (p > l);
  return k - 1;
}

function trapezoidAuc(fpr: number[], tpr: number[]): number {
  let a = 0;
  for (let i = 1; i < fpr.length; i++) a += 0.5 * (fpr[i]! - fpr[i - 1]!) * (tpr[i]! + tpr[i - 1]!);
  return a;
}

/**
 * Five members around the fixture's ROC ε_S = ε_B^γ: member m's SIC is the curve's times 1 + 0.05 (m − 2), null
 * below ε_S = 0.1 (as under the background guard), and the ensemble's is the curve's.
 */
function members(gamma: number) {
  const tpr = Array.from({ length: 50 }, (_, k) => Number(((k + 1) * 0.02).toFixed(2)));
  const curve = (t: number) => t / Math.sqrt(t ** (1 / gamma));
  return {
    tpr,
    sic: [0, 1, 2, 3, 4].map((m) => tpr.map((t) => (t < 0.1 ? null : curve(t) * (1 + 0.05 * (m - 2))))),
    auc: [0.8, 0.81, 0.82, 0.83, 0.84],
    maxSic: [0, 1, 2, 3, 4].map((m) => curve(0.1) * (1 + 0.05 * (m - 2))),
    ensemble: tpr.map((t) => (t < 0.1 ? null : curve(t))),
  };
}

export function syntheticResults(
  options: { seed?: number; workingPoints?: (number | null)[]; withRoc?: boolean } = {},
): WindowResult[] {
  const rnd = mulberry32(options.seed ?? 7);
  const wps = options.workingPoints ?? [0.1, 0.02];
  const out: WindowResult[] = [];
  const dijet = (m: number, norm: number) => {
    const x = m / 13000;
    return norm * (1 - x) ** 10 * x ** -4.5;
  };
  for (const srLo of [2600, 3200, 3800]) {
    const srHi = srLo + 600;
    const lo = srLo - 600;
    const edges = Array.from({ length: 31 }, (_, i) => lo + 60 * i);
    for (const wp of wps) {
      const norm = (wp ?? 1) * 40;
      const pred = edges.slice(0, -1).map((e) => dijet(e + 30, norm) * 60);
      const bump = srLo === 3200 && wp === 0.02;
      const counts = pred.map((b, i) => {
        const c = edges[i]! + 30;
        const sig = bump ? 150 * Math.exp(-0.5 * ((c - 3500) / 80) ** 2) : 0;
        return poisson(b + sig, rnd);
      });
      const predErr = pred.map((b) => 0.03 * b + 0.3);
      const inSr = (i: number) => edges[i]! >= srLo && edges[i + 1]! <= srHi;
      let obs = 0;
      let exp = 0;
      let err2 = 0;
      counts.forEach((n, i) => {
        if (inSr(i)) {
          obs += n;
          exp += pred[i]!;
          err2 += predErr[i]! ** 2;
        }
      });
      const z = (obs - exp) / Math.sqrt(exp + err2);
      const roc =
        options.withRoc === false
          ? undefined
          : (() => {
              const fpr: number[] = [];
              const tpr: number[] = [];
              for (let k = 0; k <= 100; k++) {
                const f = k / 100;
                fpr.push(f);
                tpr.push(f ** (0.15 + 0.00005 * srLo * (wp ?? 1) * 10));
              }
              return { fpr, tpr };
            })();
      out.push({
        runId: 'synthetic-0001',
        topology: 'quickstart',
        window: {
          id: `sr-${srLo}-${srHi}`,
          sr: [srLo, srHi],
          sb: [
            [lo, srLo],
            [srHi, srHi + 600],
          ],
        },
        workingPoint: wp,
        trigger: 'end',
        cutflow: [
          { cut: 'two jets', pass: 100000 },
          { cut: 'pT(j1) > 1.2 TeV', pass: 61000 },
          { cut: '|Δy| < 1.2', pass: 40200 },
          { cut: 'mjj > 2 TeV', pass: 38100 },
        ],
        counts: {
          sr: counts.filter((_, i) => inSr(i)).reduce((a, b) => a + b, 0),
          sbLow: 5000,
          sbHigh: 900,
          selected: obs,
        },
        histogram: { edges, counts, spread: pred.map((b) => 0.02 * b) },
        fit: {
          function: 'dijet3',
          status: 'ok',
          reason: 'accepted',
          params: [norm, 10, 4.5],
          covariance: [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
          chi2: 18.2,
          ndf: 17,
          pvalue: 0.38,
          sbRange: [lo, srHi + 600],
          prediction: pred,
          predictionErr: predErr,
          converged: true,
        },
        significance: { z, p: 0.5 * (1 + Math.tanh(-z)), observed: obs, expected: exp, expectedErr: Math.sqrt(err2) },
        model: {
          background: 'sb-reference',
          classifier: 'hgb',
          ensemble: 10,
          folds: 5,
          seeds: [1, 2, 3],
          trainSeconds: 12.5,
        },
        evaluation:
          wp === null || !roc
            ? undefined
            : {
                auc: trapezoidAuc(roc.fpr, roc.tpr),
                maxSic: Math.max(...roc.fpr.map((f, k) => (f > 0 ? roc.tpr[k]! / Math.sqrt(f) : 0))),
                roc,
                members: members(0.15 + 0.00005 * srLo * (wp ?? 1) * 10),
              },
        valid: true,
        createdAt: '2026-01-01T00:00:00.000Z',
      });
    }
  }
  return out;
}
