/**
 * Conditional flows as densities: they integrate to 1, their samples follow their density (Kolmogorov-Smirnov),
 * transform and inverse agree, and a MAF trained on a known 2-D conditional density reproduces it.
 */
import { ConditionalFlow, type FlowSpec } from '../../src/nn/flows/flow.js';
import { normalStream } from '../../src/nn/random.js';
import { mulberry32 } from '../../src/stats/random.js';

/** x1 ~ N(m, 0.6^2), x2 | x1 ~ N(0.4 x1^2 - 0.5 m, 0.4^2), m ~ U(-1, 1). */
function truth(n: number, seed: number) {
  const g = normalStream(seed);
  const u = mulberry32(seed + 1);
  const X = new Float32Array(2 * n);
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = 2 * u() - 1;
    m[i] = c;
    const x1 = c + 0.6 * g();
    X[2 * i] = x1;
    X[2 * i + 1] = 0.4 * x1 * x1 - 0.5 * c + 0.4 * g();
  }
  return { X, m };
}

function trueLogDensity(x1: number, x2: number, c: number): number {
  const ln = (x: number, mu: number, s: number) => -0.5 * ((x - mu) / s) ** 2 - Math.log(s * Math.sqrt(2 * Math.PI));
  return ln(x1, c, 0.6) + ln(x2, 0.4 * x1 * x1 - 0.5 * c, 0.4);
}

function trained(spec: FlowSpec, kind: 'logit' | 'standard', epochs: number) {
  const { X, m } = truth(12000, 3);
  const flow = new ConditionalFlow(spec, { seed: 2, capacity: 256 });
  flow.fit(X.subarray(0, 20000), m.subarray(0, 10000), X.subarray(20000), m.subarray(10000), {
    epochs,
    batchSize: 256,
    lr: 3e-3,
    seed: 5,
    preprocess: { kind, margin: 0.05 },
  });
  return flow;
}

/** Midpoint-rule grid over the logit box at context c: density values and cell area. */
function grid(flow: ConditionalFlow, c: number, n: number) {
  const pre = flow.preprocessor!;
  const [l1, l2] = pre.lo;
  const [h1, h2] = pre.hi;
  const d1 = (h1! - l1!) / n;
  const d2 = (h2! - l2!) / n;
  const X = new Float32Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      X[2 * (i * n + j)] = l1! + (i + 0.5) * d1;
      X[2 * (i * n + j) + 1] = l2! + (j + 0.5) * d2;
    }
  }
  const lp = flow.logProb(X, c);
  return { lp, d1, d2, l1: l1!, n };
}

describe('nn conditional flows', () => {
  const maf = trained({ type: 'maf', features: 2, context: 1, blocks: 5, hidden: 32, batchNorm: true }, 'logit', 12);
  const rqs = trained(
    { type: 'rqs', features: 2, context: 1, blocks: 3, hidden: 24, bins: 8, tailBound: 4 },
    'logit',
    6,
  );

  it.each([
    ['MAF', maf],
    ['RQ spline', rqs],
  ])('%s density integrates to 1 over the support at fixed mjj', (_name, flow) => {
    for (const c of [-0.5, 0.4]) {
      const { lp, d1, d2 } = grid(flow, c, 300);
      let s = 0;
      for (const v of lp) s += Math.exp(v) * d1 * d2;
      expect(Math.abs(s - 1)).toBeLessThan(0.01);
    }
  });

  it.each([
    ['MAF', maf],
    ['RQ spline', rqs],
  ])('%s samples follow its density (KS on the x1 marginal)', (_name, flow) => {
    const c = 0.4;
    const { lp, d1, d2, l1, n } = grid(flow, c, 300);
    const cdf = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) acc += Math.exp(lp[i * n + j]!) * d1 * d2;
      cdf[i] = acc;
    }
    for (let i = 0; i < n; i++) cdf[i] = cdf[i]! / acc;
    const ns = 4000;
    const s = flow.sample(ns, c, 17);
    const x1 = Float64Array.from({ length: ns }, (_, i) => s[2 * i]!).sort();
    let ks = 0;
    for (let k = 0; k < ns; k++) {
      // model CDF at the sample, linear within a grid cell
      const t = (x1[k]! - l1) / d1 - 0.5;
      const i = Math.min(n - 1, Math.max(0, Math.floor(t)));
      const f = Math.min(1, Math.max(0, t - i));
      const F = (i > 0 ? cdf[i - 1]! : 0) * (1 - f) + cdf[i]! * f;
      ks = Math.max(ks, Math.abs(F - k / ns), Math.abs(F - (k + 1) / ns));
    }
    // 1 % critical value of the one-sample KS statistic for n = 4000
    expect(ks).toBeLessThan(1.63 / Math.sqrt(ns));
  });

  it('reproduces a known 2-D conditional density (MAF, mean log-likelihood within 0.05 nats of the truth)', () => {
    const { X, m } = truth(4000, 99);
    const lp = maf.logProb(X, m);
    let model = 0;
    let exact = 0;
    for (let i = 0; i < m.length; i++) {
      model += lp[i]! / m.length;
      exact += trueLogDensity(X[2 * i]!, X[2 * i + 1]!, m[i]!) / m.length;
    }
    expect(Math.abs(model - exact)).toBeLessThan(0.05);
    // pointwise near the bulk: log densities agree to 0.15 nats
    for (const [x1, x2, c] of [
      [0, -0.2, 0],
      [0.8, 0.1, 0.5],
      [-0.9, 0.6, -0.6],
    ] as const) {
      const v = maf.logProb(Float32Array.from([x1, x2]), c)[0]!;
      expect(Math.abs(v - trueLogDensity(x1, x2, c))).toBeLessThan(0.15);
    }
  });

  it.each([
    ['MAF', maf],
    ['RQ spline', rqs],
  ])('%s: inverse(transform(x)) = x with opposite log-determinants; seeded samples repeat', (_name, flow) => {
    const { X, m } = truth(50, 7);
    const { z, logDet } = flow.transform(X, m);
    const back = flow.inverseTransform(z, m);
    for (let i = 0; i < X.length; i++) expect(back.x[i]!).toBeCloseTo(X[i]!, 3);
    for (let i = 0; i < m.length; i++) expect(back.logDet[i]! + logDet[i]!).toBeCloseTo(0, 3);
    expect(Array.from(flow.sample(20, m.subarray(0, 20), 5))).toEqual(
      Array.from(flow.sample(20, m.subarray(0, 20), 5)),
    );
    expect(Array.from(flow.sample(20, 0.1, 5))).not.toEqual(Array.from(flow.sample(20, 0.1, 6)));
  });

  it('reports a training curve and holds the best validation epoch', () => {
    const t = maf.training!;
    expect(t.trainLoss.length).toBe(t.epochs);
    expect(t.valLoss.length).toBe(t.epochs);
    expect(t.valLoss[t.bestEpoch - 1]).toBe(Math.min(...t.valLoss));
    const { X, m } = truth(12000, 3);
    expect(maf.meanNll(X.subarray(20000), m.subarray(10000))).toBeCloseTo(t.valLoss[t.bestEpoch - 1]!, 5);
  });
});
