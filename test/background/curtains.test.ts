/**
 * CURTAINS' template on a known conditional density: features whose mean moves with mjj, a falling power-law
 * spectrum (a dijet-like shape the sideband fit can describe), the two flows trained on the sidebands only. The
 * template (sideband events mapped into the SR) must follow the SR's feature distribution where the sideband
 * events themselves do not, its masses must follow the SR spectrum from the sideband fit, and the same seed must
 * give the same template.
 */
import { describe, expect, it } from '@jest/globals';
import { Curtains, sidebandMassFit, type CurtainsOptions } from '../../src/background/curtains.js';
import { templateFidelity } from '../../src/background/fidelity.js';
import type { TemplateInput } from '../../src/background/template.js';
import { mulberry32 } from '../../src/classify/random.js';

const SR: [number, number] = [3000, 3600];
const SB: [number, number][] = [
  [2000, 3000],
  [3600, 4600],
];

/** mjj ∝ m^-5 on [2000, 4600); x0 ~ N(m / 1000, 0.25), x1 ~ N(0.5 x0, 0.5), x2 ~ U(0, 1). */
function sample(n: number, seed: number): TemplateInput {
  const r = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  const mjj = new Float32Array(n);
  const cols = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    let m: number;
    do m = 2000 * (r() || 1e-12) ** -0.25;
    while (m >= 4600);
    mjj[i] = m;
    const x0 = m / 1000 + 0.25 * normal();
    cols[0]![i] = x0;
    cols[1]![i] = 0.5 * x0 + 0.5 * normal();
    cols[2]![i] = r();
  }
  return { features: ['x0', 'x1', 'x2'], columns: cols, mjj, sr: SR, sb: SB, seed: 7 };
}

const options: CurtainsOptions = {
  oversample: 2,
  flow: { type: 'maf', blocks: 3, hidden: 32, batchNorm: true },
  transport: { type: 'maf', blocks: 2, hidden: 32, batchNorm: false },
  training: {
    epochs: 8,
    batchSize: 256,
    lr: 3e-3,
    weightDecay: 1e-6,
    validationFraction: 0.2,
    patience: 0,
    cosine: true,
  },
  massBinWidth: 50,
  sqrtS: 13000,
};

const pick = (input: TemplateInput, inSr: boolean) => {
  const rows: number[] = [];
  input.mjj.forEach((m, i) => {
    if ((m >= SR[0] && m < SR[1]) === inSr) rows.push(i);
  });
  return {
    columns: input.columns.map((c) => Float32Array.from(rows, (i) => c[i]!)),
    mjj: Float32Array.from(rows, (i) => input.mjj[i]!),
  };
};
const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;

describe('the sideband mass fit', () => {
  it('draws SR masses with the SR spectrum from a fit of the sidebands alone, reproducibly', () => {
    const input = sample(40000, 3);
    const fit = sidebandMassFit(input.mjj, SB, SR, 50, 13000);
    const m = fit.sample(20000, 5);
    expect(Math.min(...m)).toBeGreaterThanOrEqual(SR[0]);
    expect(Math.max(...m)).toBeLessThan(SR[1]);
    // true SR mean of m^-5 on [3000, 3600): 4/3 (a^-3 - b^-3) / (a^-4 - b^-4) ≈ 3262 GeV
    const [a, b] = SR;
    const truth = ((4 / 3) * (a ** -3 - b ** -3)) / (a ** -4 - b ** -4);
    expect(Math.abs(mean(m) - truth)).toBeLessThan(10);
    expect(Array.from(fit.sample(100, 5))).toEqual(Array.from(m.subarray(0, 100)));
  });
});

describe('CURTAINS template', () => {
  const input = sample(16000, 11);
  const tpl = new Curtains(options).template(input);
  const sr = pick(input, true);
  const sb = pick(input, false);

  it('maps every sideband event m times into the SR', () => {
    const nSb = sb.mjj.length;
    expect(tpl.n).toBe(2 * nSb);
    expect(tpl.columns).toHaveLength(3);
    for (const m of tpl.mjj) {
      expect(m).toBeGreaterThanOrEqual(SR[0]);
      expect(m).toBeLessThan(SR[1]);
    }
    expect(tpl.info.model).toBe('curtains');
    expect(tpl.info.trainEvents).toBe(nSb);
    expect(tpl.info.templateEvents).toBe(2 * nSb);
    // the template stands for the SR data: its weights sum to the SR count
    expect(tpl.weight.reduce((s, w) => s + w, 0)).toBeCloseTo(sr.mjj.length, 0);
  });

  it('is closer to the true SR background than the sideband data are', () => {
    // x0's SR mean ≈ 3.26, the sidebands' ≈ 2.6 (dominated by low masses)
    expect(Math.abs(mean(sb.columns[0]!) - mean(sr.columns[0]!))).toBeGreaterThan(0.3);
    expect(Math.abs(mean(tpl.columns[0]!) - mean(sr.columns[0]!))).toBeLessThan(0.08);
    const curtains = templateFidelity(tpl, { columns: sr.columns }, { seed: 1 });
    const cwola = templateFidelity({ columns: sb.columns }, { columns: sr.columns }, { seed: 1 });
    expect(cwola.auc).toBeGreaterThan(0.7);
    expect(curtains.auc).toBeLessThan(0.5 + 6 * curtains.nullSd);
  });

  it('is a function of the seed', () => {
    const quick = new Curtains({ ...options, training: { ...options.training, epochs: 2 } });
    const a = quick.template(sample(3000, 2));
    const b = quick.template(sample(3000, 2));
    expect(Array.from(a.columns[1]!)).toEqual(Array.from(b.columns[1]!));
    const c = quick.template({ ...sample(3000, 2), seed: 8 });
    expect(Array.from(c.columns[1]!)).not.toEqual(Array.from(a.columns[1]!));
  });

  it('refuses a window with too few sideband events, saying so', () => {
    expect(() => new Curtains(options).template(sample(150, 1))).toThrow(/too few events in the sidebands/);
  });
});
