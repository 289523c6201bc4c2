/**
 * CATHODE's template on a known conditional density: features whose mean moves with mjj (strongly enough that the
 * sidebands, as a template, are told apart from the SR), a flow trained on the sidebands only, SR masses from the
 * KDE. The template must follow the SR's own feature distribution (mean and fidelity against the true SR events),
 * the sideband reference must not, and the same seed must give the same template.
 */
import { describe, expect, it } from '@jest/globals';
import { Cathode } from '../../src/background/cathode.js';
import { templateFidelity } from '../../src/background/fidelity.js';
import { fitKde1d, sampleKde1d } from '../../src/background/kde.js';
import { learnTemplate, resolveBackgroundConfig } from '../../src/background/models.js';
import type { TemplateInput } from '../../src/background/template.js';
import { mulberry32 } from '../../src/classify/random.js';

const SR: [number, number] = [3000, 3600];
const SB: [number, number][] = [
  [2000, 3000],
  [3600, 4600],
];

/** x0 ~ N(m / 1000, 0.25), x1 ~ N(0.5 x0, 0.5), x2 ~ U(0, 1): mjj-correlated, bounded noise. */
function sample(n: number, seed: number): TemplateInput {
  const r = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  const mjj = new Float32Array(n);
  const cols = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    // falling spectrum: m = 2000 + exponential with 1 TeV scale, truncated at 4600
    let m: number;
    do m = 2000 - 1000 * Math.log(r() || 1e-12);
    while (m >= 4600);
    mjj[i] = m;
    const x0 = m / 1000 + 0.25 * normal();
    cols[0]![i] = x0;
    cols[1]![i] = 0.5 * x0 + 0.5 * normal();
    cols[2]![i] = r();
  }
  return { features: ['x0', 'x1', 'x2'], columns: cols, mjj, sr: SR, sb: SB, seed: 7 };
}

const config = resolveBackgroundConfig({
  model: 'cathode',
  oversample: 2,
  flow: { type: 'maf', blocks: 3, hidden: 32, batchNorm: true },
  training: {
    epochs: 12,
    batchSize: 256,
    lr: 3e-3,
    weightDecay: 1e-6,
    validationFraction: 0.2,
    patience: 0,
    cosine: true,
  },
  fidelity: false,
});

function srColumns(input: TemplateInput): Float32Array[] {
  const rows: number[] = [];
  input.mjj.forEach((m, i) => {
    if (m >= SR[0] && m < SR[1]) rows.push(i);
  });
  return input.columns.map((c) => Float32Array.from(rows, (i) => c[i]!));
}

function sbColumns(input: TemplateInput): Float32Array[] {
  const rows: number[] = [];
  input.mjj.forEach((m, i) => {
    if (!(m >= SR[0] && m < SR[1])) rows.push(i);
  });
  return input.columns.map((c) => Float32Array.from(rows, (i) => c[i]!));
}

const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;

describe('KDE of the SR masses', () => {
  it('samples inside [lo, hi) with the data mean, reproducibly', () => {
    const r = mulberry32(3);
    const m = Float64Array.from({ length: 4000 }, () => 3000 + 600 * r() * r());
    const kde = fitKde1d(m, 3000, 3600);
    const s = sampleKde1d(kde, 20000, 5);
    expect(Math.min(...s)).toBeGreaterThanOrEqual(3000);
    expect(Math.max(...s)).toBeLessThan(3600);
    const mu = m.reduce((a, b) => a + b, 0) / m.length;
    expect(Math.abs(mean(s) - mu)).toBeLessThan(5);
    expect(Array.from(sampleKde1d(kde, 100, 5))).toEqual(Array.from(s.subarray(0, 100)));
  });
});

describe('CATHODE template', () => {
  const input = sample(16000, 11);
  const tpl = new Cathode({ oversample: config.oversample, flow: config.flow, training: config.training }).template(
    input,
  );

  it('generates k events per SR event at SR masses, with weights 1/k', () => {
    const nSr = srColumns(input)[0]!.length;
    expect(tpl.n).toBe(Math.round(2 * nSr));
    expect(tpl.columns).toHaveLength(3);
    for (const m of tpl.mjj) {
      expect(m).toBeGreaterThanOrEqual(SR[0]);
      expect(m).toBeLessThan(SR[1]);
    }
    expect(tpl.weight[0]).toBeCloseTo(0.5, 6);
    expect(tpl.info.model).toBe('cathode');
    expect(tpl.info.trainEvents).toBe(input.mjj.length - nSr);
    expect(tpl.info.network).toBe('maf 3x32 bn');
  });

  it('interpolates the mjj-correlated feature into the SR, where the sideband reference cannot', () => {
    const sr = srColumns(input);
    const sb = sbColumns(input);
    // The true SR mean of x0 (≈ 3.28 for this spectrum) against the sidebands' (≈ 2.75, dominated by low masses).
    expect(Math.abs(mean(tpl.columns[0]!) - mean(sr[0]!))).toBeLessThan(0.05);
    expect(Math.abs(mean(sb[0]!) - mean(sr[0]!))).toBeGreaterThan(0.3);
    const cathode = templateFidelity(tpl, { columns: sr }, { seed: 1 });
    const cwola = templateFidelity({ columns: sb }, { columns: sr }, { seed: 1 });
    expect(cathode.auc).toBeLessThan(0.5 + 6 * cathode.nullSd);
    expect(cwola.auc).toBeGreaterThan(0.7);
  });

  it('is a function of the seed', () => {
    const again = new Cathode({ oversample: 2, flow: config.flow, training: { ...config.training, epochs: 2 } });
    const a = again.template(sample(3000, 2));
    const b = again.template(sample(3000, 2));
    expect(Array.from(a.columns[1]!)).toEqual(Array.from(b.columns[1]!));
    const c = again.template({ ...sample(3000, 2), seed: 8 });
    expect(Array.from(c.columns[1]!)).not.toEqual(Array.from(a.columns[1]!));
  });

  it('reports its fidelity against the SR data and, with truth labels, the true SR background', () => {
    const small = sample(4000, 5);
    const label = new Uint8Array(small.mjj.length);
    const t = learnTemplate(small, { ...config, fidelity: true, training: { ...config.training, epochs: 3 } }, label);
    const f = t.info.fidelity!;
    expect(f.valid).toBe(true);
    expect(f.aucVsData).toBeGreaterThan(0.3);
    expect(f.aucVsData).toBeLessThan(0.75);
    // no signal: the true background is the SR data, so both AUCs measure the same two samples
    expect(f.aucVsTruth).toBeDefined();
    expect(f.nullSd).toBeGreaterThan(0);
  });

  it('refuses a window with too few sideband events, saying so', () => {
    const tiny = sample(150, 1);
    expect(() => new Cathode().template(tiny)).toThrow(/too few events in the sidebands/);
  });
});
