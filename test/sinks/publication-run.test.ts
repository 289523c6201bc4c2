import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTopology } from '../../src/run.js';
import { parseTopology } from '../../src/topology/load.js';

// One window of a generated spectrum with the 3.5 TeV resonance, the inclusive histogram, the report on, and the
// topology's plots block: the label and the print size reach the files that sideband run writes.
const topology = (plots: string) =>
  parseTopology(
    `
name: publication-plots
seed: 7
source: { kind: generator, events: 200000, mjjMin: 1800, signals: ["mA=3500,mB=500,mC=100,n=300"] }
columns: { jet1_pt: GeV, jet1_eta: none, jet1_phi: none, jet1_m: GeV, jet2_pt: GeV, jet2_eta: none, jet2_phi: none, jet2_m: GeV }
derive: { mjj: fourvector, features: [] }
windows: { scheme: single, sr: [3200, 3800], sb: [[2600, 3200], [3800, 4400]] }
features: [mj_min]
trigger: { minSrEvents: 1000000 }
binning: { width: 60, range: [2600, 4400] }
fit: { strategy: single, functions: [dijet4], sqrtS: 13600 }
${plots}
sinks: { report: true }
`,
    'publication-plots.yaml',
  );

describe('publication figures from sideband run', () => {
  it('label the window figure from the topology and export it at print size as SVG and PDF', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'sideband-publication-'));
    await runTopology(
      topology('plots: { label: { experiment: sideband, status: Open Data, lumi: 36.3 }, printWidth: 8.6 }'),
      { file: 'publication-plots.yaml', outDir: out, runId: 'pub' },
    );
    const files = readdirSync(path.join(out, 'plots')).filter((f) => f.startsWith('window-'));
    const stem = 'window-sr-3200-3800-inclusive';
    expect(files.sort()).toEqual([`${stem}.pdf`, `${stem}.png`, `${stem}.print.svg`, `${stem}.svg`]);
    const print = readFileSync(path.join(out, 'plots', `${stem}.print.svg`), 'utf8');
    expect(print).toMatch(/^<svg[^>]* width="8.6cm" height="[\d.]+cm"/);
    const pdf = readFileSync(path.join(out, 'plots', `${stem}.pdf`)).toString('latin1');
    expect(pdf.startsWith('%PDF-1.4')).toBe(true);
    // 8.6 cm = 243.78 pt wide
    expect(pdf).toMatch(/\/MediaBox \[0 0 243\.78\d* [\d.]+\]/);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    // √s from the fit (13.6 TeV) since the label gives none; the luminosity and status from the label.
    for (const t of ['>sideband<', '>Open Data<', '>36.3 fb⁻¹ (13.6 TeV)<', '>Events / 60 GeV<', '>(Data − Fit) / σ<'])
      expect(html).toContain(t);
  });

  it('writes no print exports with publication: false', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'sideband-publication-'));
    await runTopology(topology('plots: { publication: false }'), {
      file: 'publication-plots.yaml',
      outDir: out,
      runId: 'pub',
    });
    const files = readdirSync(path.join(out, 'plots'));
    expect(files.some((f) => f.endsWith('.pdf') || f.endsWith('.print.svg'))).toBe(false);
    expect(files).toContain('window-sr-3200-3800-inclusive.svg');
    // the label defaults to the tool's name and the fit's √s
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('>(13.6 TeV)<');
  });

  it('names the bad field of a plots block', () => {
    expect(() => topology('plots: { label: { lumi: -1 } }')).toThrow(/plots\.label\.lumi/);
    expect(() => topology('plots: { colour: red }')).toThrow(/plots/);
  });
});
