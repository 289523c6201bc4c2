/**
 * SALAD's reweighting on a known mismodelling: data features whose distribution moves with mjj, a "simulation" of
 * them with a shifted mean, a wider spread and a wrong mjj slope. Trained on the sidebands only, the weights must
 * move the SR simulation toward the true SR data (per-feature mean and spread distances shrink, and so does the
 * fidelity AUC of template against the SR data), the same seed must give the same weights, and a window without
 * simulated events must fail with a clear error.
 */
import { describe, expect, it } from '@jest/globals';
import { templateFidelity } from '../../src/background/fidelity.js';
import { learnTemplate, resolveBackgroundConfig } from '../../src/background/models.js';
import { Salad } from '../../src/background/salad.js';
import type { SrTemplate, TemplateInput } from '../../src/background/template.js';
import { mulberry32 } from '../../src/classify/random.js';

const SR: [number, number] = [3000, 3600];
const SB: [number, number][] = [
  [2000, 3000],
  [3600, 4600],
];

/** x0 ~ N(a + b m / 1000, s), x1 ~ N(c x0, 0.5): data (a, b, s, c) = (0, 1, 0.3, 0.5); simulation mismodels them. */
function sample(n: number, seed: number, p: { a: number; b: number; s: number; c: number }) {
  const r = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  const mjj = new Float32Array(n);
  const cols = [new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    let m: number;
    do m = 2000 - 1200 * Math.log(r() || 1e-12);
    while (m >= 4600);
    mjj[i] = m;
    const x0 = p.a + (p.b * m) / 1000 + p.s * normal();
    cols[0]![i] = x0;
    cols[1]![i] = p.c * x0 + 0.5 * normal();
  }
  return { columns: cols, mjj };
}

const DATA = { a: 0, b: 1, s: 0.3, c: 0.5 };
const SIM = { a: 0.4, b: 0.9, s: 0.4, c: 0.65 };

function input(seed: number): TemplateInput {
  const data = sample(16000, seed, DATA);
  return {
    features: ['x0', 'x1'],
    ...data,
    sr: SR,
    sb: SB,
    seed: 5,
    simulation: sample(24000, seed + 100, SIM),
  };
}

const config = resolveBackgroundConfig({
  model: 'salad',
  reweighter: {
    hidden: [32, 32],
    dropout: 0,
    learningRate: 3e-3,
    batchSize: 512,
    maxEpochs: 25,
    patience: 5,
    validationFraction: 0.5,
    ensemble: 1,
  },
  fidelity: false,
});

/** SR rows of the data. */
function srData(x: TemplateInput): Float32Array[] {
  const rows: number[] = [];
  x.mjj.forEach((m, i) => {
    if (m >= SR[0] && m < SR[1]) rows.push(i);
  });
  return x.columns.map((c) => Float32Array.from(rows, (i) => c[i]!));
}

function moments(c: Float32Array, w?: Float32Array): [number, number] {
  let s = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < c.length; i++) {
    const v = w ? w[i]! : 1;
    s += v;
    s1 += v * c[i]!;
    s2 += v * c[i]! * c[i]!;
  }
  const mean = s1 / s;
  return [mean, Math.sqrt(s2 / s - mean * mean)];
}

/** Sum over features of |Δmean| + |Δsd| between a (weighted) template and the SR data, in units of the data's sd. */
function distance(tpl: SrTemplate, ref: Float32Array[], weighted: boolean): number {
  let d = 0;
  ref.forEach((c, j) => {
    const [m0, s0] = moments(c);
    const [m1, s1] = moments(tpl.columns[j]!, weighted ? tpl.weight : undefined);
    d += (Math.abs(m1 - m0) + Math.abs(s1 - s0)) / s0;
  });
  return d;
}

describe('SALAD', () => {
  const x = input(1);
  const tpl = learnTemplate(x, config);
  const ref = srData(x);

  it('reweights the SR simulation toward the SR data', () => {
    const before = distance(tpl, ref, false);
    const after = distance(tpl, ref, true);
    expect(before).toBeGreaterThan(1);
    expect(after).toBeLessThan(0.25 * before);
    const aucBefore = templateFidelity({ columns: tpl.columns }, { columns: ref }, { seed: 3 }).auc;
    const aucAfter = templateFidelity(tpl, { columns: ref }, { seed: 3 }).auc;
    expect(aucBefore).toBeGreaterThan(0.7);
    expect(aucAfter).toBeLessThan(aucBefore - 0.15);
  });

  it('gives the SR simulation as the template, weighted to the SR data count, and reports the reweighting', () => {
    const nSimSr = x.simulation!.mjj.filter((m) => m >= SR[0] && m < SR[1]).length;
    expect(tpl.n).toBe(nSimSr);
    expect(tpl.mjj.every((m) => m >= SR[0] && m < SR[1])).toBe(true);
    const sumW = tpl.weight.reduce((a, v) => a + v, 0);
    expect(sumW).toBeCloseTo(ref[0]!.length, 0);
    const rw = tpl.info.reweighting!;
    expect(tpl.info.model).toBe('salad');
    expect(rw.simulationSbEvents + rw.dataSbEvents).toBe(tpl.info.trainEvents);
    expect(rw.effectiveEvents).toBeGreaterThan(0.2 * nSimSr);
    expect(rw.effectiveEvents).toBeLessThanOrEqual(nSimSr);
  });

  it('is deterministic for a seed', () => {
    const again = learnTemplate(input(1), config);
    expect(Array.from(again.weight)).toEqual(Array.from(tpl.weight));
  });

  it('fails clearly without simulated events', () => {
    const { simulation: _, ...noSim } = input(2);
    expect(() => new Salad().template(noSim)).toThrow(/background salad: no simulated events.*simulation:/);
  });
});
