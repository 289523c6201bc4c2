import { describe, it, expect } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import {
  hepSicFigure,
  hepWindowFigure,
  linearTicks,
  pullBins,
  quantile,
  rightLabelText,
  sicBands,
} from '../../src/sinks/hep-specs.js';
import { poissonInterval } from '../../src/sinks/report-specs.js';
import { outlineSvg, printSvg, renderVega } from '../../src/sinks/plot.js';
import { svgToPdf } from '../../src/sinks/pdf.js';
import type { WindowResult } from '../../src/events/result.js';
import { syntheticResults } from './report-fixtures.js';
import { repoRoot } from '../helpers/paths.js';

const fixture = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test/fixtures/plots/garwood.json'), 'utf8')) as {
  intervals: { n: number; lower: number; upper: number }[];
};

const label = { experiment: 'sideband', status: 'Simulation', sqrtS: 13, lumi: 139 };
const results = syntheticResults({ workingPoints: [0.1, 0.02] });
const bump = results.find((x) => x.window.id === 'sr-3200-3800' && x.workingPoint === 0.02)!;

/** Named marks of a Vega spec at any depth, with their data and encodings. */
function marks(spec: unknown): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const walk = (m: Record<string, unknown>) => {
    if (typeof m.name === 'string') out.set(m.name, m);
    for (const c of (m.marks as Record<string, unknown>[] | undefined) ?? []) walk(c);
  };
  walk(spec as Record<string, unknown>);
  return out;
}
const textOf = (m: Record<string, unknown> | undefined) =>
  (m?.encode as { enter: { text: { value: string } } } | undefined)?.enter.text.value;
const dataOf = (spec: unknown, name: string) =>
  (spec as { data: { name: string; values: Record<string, number>[] }[] }).data.find((d) => d.name === name)!.values;

describe('Garwood intervals of the data points', () => {
  it('match SciPy chi-square quantiles (committed fixture, test/fixtures/plots/garwood.py)', () => {
    expect(fixture.intervals.length).toBeGreaterThan(25);
    for (const { n, lower, upper } of fixture.intervals) {
      const [lo, hi] = poissonInterval(n);
      expect(Math.abs(lo - lower)).toBeLessThanOrEqual(1e-7 * Math.max(1, lower));
      expect(Math.abs(hi - upper)).toBeLessThanOrEqual(1e-7 * Math.max(1, upper));
    }
  });

  it('are the error bars of the window figure', () => {
    const spec = hepWindowFigure(bump, { label })!;
    const bins = dataOf(spec, 'bins');
    expect(bins).toHaveLength(30);
    for (const b of bins) {
      const [lo, hi] = poissonInterval(b.observed!);
      expect(b.obsLo).toBe(lo);
      expect(b.obsHi).toBe(hi);
    }
    const m = marks(spec);
    const interval = m.get('data-interval')!.encode as { enter: Record<string, { field: string }> };
    expect(interval.enter.y!.field).toBe('obsLoDraw');
    expect(interval.enter.y2!.field).toBe('obsHiDraw');
  });
});

describe('pulls', () => {
  it('divide data − fit by the Garwood error facing the fit combined with the fit error', () => {
    const r: WindowResult = {
      ...bump,
      histogram: { edges: [0, 1, 2], counts: [0, 10] },
      fit: { ...bump.fit!, prediction: [2, 5], predictionErr: [0, 1] },
    };
    const [b0, b1] = pullBins(r)!;
    // empty bin under 2 expected: the upper error 1.841 faces the fit
    expect(b0!.pull).toBeCloseTo(-2 / fixture.intervals[0]!.upper, 9);
    // 10 over 5: the lower error 10 − 6.891 faces the fit, with the fit error 1 in quadrature
    const lower10 = fixture.intervals.find((x) => x.n === 10)!.lower;
    expect(b1!.pull).toBeCloseTo(5 / Math.hypot(10 - lower10, 1), 9);
  });
});

describe('window figure (mplhep conventions)', () => {
  it('carries the label, log y in events per bin width, the fit with its band, SR shading and the pull panel', async () => {
    const spec = hepWindowFigure(bump, { label })!;
    const m = marks(spec);
    expect(textOf(m.get('label-experiment'))).toBe('sideband');
    expect(
      (m.get('label-experiment')!.encode as { enter: { fontWeight: { value: string } } }).enter.fontWeight.value,
    ).toBe('bold');
    expect(textOf(m.get('label-status'))).toBe('Simulation');
    expect(textOf(m.get('label-right'))).toBe('139 fb⁻¹ (13 TeV)');
    expect(textOf(m.get('y-title'))).toBe('Events / 60 GeV');
    for (const name of ['signal-region', 'fit-band', 'fit-line', 'data-points', 'pulls'])
      expect(m.has(name)).toBe(true);
    const upper = m.get('upper') as { scales: { name: string; type: string }[] };
    expect(upper.scales.find((s) => s.name === 'yUp')!.type).toBe('log');
    // The pull panel holds one bar per bin with a pull, the same numbers as pullBins.
    const pulls = dataOf(spec, 'pulls');
    expect(pulls.map((p) => p.pull)).toEqual(pullBins(bump)!.map((b) => b.pull));
    // The SR shading spans the SR.
    const sr = m.get('signal-region')!.encode as { enter: { x: { value: number }; x2: { value: number } } };
    expect([sr.enter.x.value, sr.enter.x2.value]).toEqual([3200, 3800]);
    const { svg } = await renderVega(spec);
    for (const t of ['sideband', 'Simulation', '139 fb⁻¹ (13 TeV)', 'Events / 60 GeV', '(Data − Fit) / σ', 'Data'])
      expect(svg).toContain(`>${t}<`);
    expect(svg).toContain('Z = '); // the local significance in the frame
  });

  it('writes luminosity and √s as mplhep does', () => {
    expect(rightLabelText(label)).toBe('139 fb⁻¹ (13 TeV)');
    expect(rightLabelText({ experiment: 'x', sqrtS: 13.6 })).toBe('(13.6 TeV)');
    expect(rightLabelText({ experiment: 'x' })).toBe('');
    const m = marks(hepWindowFigure(bump, { label: { experiment: 'CMS' } }));
    expect(m.has('label-status')).toBe(false);
    expect(m.has('label-right')).toBe(false);
  });

  it('places ticks at nice values', () => {
    expect(linearTicks(2600, 4400, 6).major).toEqual([3000, 3500, 4000]);
    expect(linearTicks(0, 1, 6).major).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});

describe('SIC figure with bands over ensemble members', () => {
  it('takes the median and 16–84 % of the members at each signal efficiency', () => {
    const bands = sicBands(bump)!;
    const m = bump.evaluation!.members!;
    expect(bands[0]!.tpr).toBe(0.1); // below, the fixture's members are under the guard (null)
    const k = m.tpr.indexOf(0.5);
    const v = m.sic.map((c) => c[k]!).sort((a, b) => a - b);
    const b = bands.find((x) => x.tpr === 0.5)!;
    expect(b.median).toBe(v[2]);
    // NumPy's linear percentile of 5 values: position 0.16 × 4 = 0.64
    expect(b.lo).toBeCloseTo(v[0]! + 0.64 * (v[1]! - v[0]!), 12);
    expect(b.hi).toBeCloseTo(v[3]! + 0.36 * (v[4]! - v[3]!), 12);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  });

  it('draws the band, the median, the ensemble and the random line under the label', async () => {
    const spec = hepSicFigure(bump, { label })!;
    const m = marks(spec);
    for (const name of ['member-band', 'member-median', 'ensemble', 'random']) expect(m.has(name)).toBe(true);
    expect(textOf(m.get('label-right'))).toBe('139 fb⁻¹ (13 TeV)');
    const { svg } = await renderVega(spec);
    expect(svg).toContain('>68 % of members<');
    expect(svg).toContain('>Median of 5 members<');
    const noMembers: WindowResult = { ...bump, evaluation: { ...bump.evaluation!, members: undefined } };
    expect(hepSicFigure(noMembers)).toBeUndefined();
  });
});

describe('publication export', () => {
  it('sets the print size on the SVG and writes a vector PDF of the same page size', async () => {
    const { svg } = await renderVega(hepWindowFigure(bump, { label })!);
    const p = printSvg(svg, 12);
    expect(p.svg).toMatch(/^<svg[^>]* width="12cm" height="[\d.]+cm" viewBox="0 0 \d+ \d+"/);
    expect(p.widthPt).toBeCloseTo((12 / 2.54) * 72, 9);
    const pdf = svgToPdf(outlineSvg(svg), p);
    const text = pdf.toString('latin1');
    expect(text.startsWith('%PDF-1.4')).toBe(true);
    expect(text).toContain(
      `/MediaBox [0 0 ${Math.round(p.widthPt * 1000) / 1000} ${Math.round(p.heightPt * 1000) / 1000}]`,
    );
    // The xref table points at each object.
    const startxref = Number(/startxref\n(\d+)/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const offsets = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((x) => Number(x[1]));
    expect(offsets).toHaveLength(5);
    offsets.forEach((o, k) => expect(text.slice(o, o + `${k + 1} 0 obj`.length)).toBe(`${k + 1} 0 obj`));
    // The content stream inflates; saves and restores balance; text came as glyph outlines (filled curves).
    const m = /\/Length (\d+) \/Filter \/FlateDecode >>\nstream\n/.exec(text)!;
    const start = m.index + m[0].length;
    const content = inflateSync(pdf.subarray(start, start + Number(m[1]))).toString('latin1');
    const ops = content.split(/\s+/);
    expect(ops.filter((o) => o === 'q').length).toBe(ops.filter((o) => o === 'Q').length);
    expect(ops.filter((o) => o === 'c').length).toBeGreaterThan(500);
    expect(ops.filter((o) => o === 'f').length).toBeGreaterThan(50); // one filled path per text and mark
    expect(content).toMatch(/W n/); // clipped to the frame
  });

  it('refuses what it cannot draw, naming it', () => {
    expect(() =>
      svgToPdf('<svg width="10" height="10"><image href="x.png"/></svg>', { widthPt: 10, heightPt: 10 }),
    ).toThrow(/pdf: unsupported element <image>/);
  });
});
