import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeReport, type ReportOutput } from '../../src/sinks/report.js';
import {
  poissonInterval,
  significanceSummary,
  rocSicFigure,
  distinctEvaluations,
} from '../../src/sinks/report-specs.js';
import { hepWindowFigure, pullBins } from '../../src/sinks/hep-specs.js';
import { AlertTracker, type AlertRecord } from '../../src/operators/alert.js';
import type { WindowResult } from '../../src/events/result.js';
import { syntheticResults } from './report-fixtures.js';
import { renderVega } from '../../src/sinks/plot.js';
import { openInChromium, type PageReport } from './chromium.js';
import { repoRoot } from '../helpers/paths.js';

describe('poissonInterval (Garwood 68.27 %)', () => {
  it('matches the published table values', () => {
    // Garwood (1936) / PDG central intervals: n=0 -> [0, 1.841], n=1 -> [0.173, 3.300], n=10 -> [6.891, 14.267].
    const [l0, u0] = poissonInterval(0);
    expect(l0).toBe(0);
    expect(u0).toBeCloseTo(1.841, 3);
    const [l1, u1] = poissonInterval(1);
    expect(l1).toBeCloseTo(0.173, 3);
    expect(u1).toBeCloseTo(3.3, 3);
    const [l10, u10] = poissonInterval(10);
    expect(l10).toBeCloseTo(6.891, 3);
    expect(u10).toBeCloseTo(14.267, 3);
  });
});

describe('report specs', () => {
  const results = syntheticResults({ workingPoints: [0.1, 0.02] });

  it('tabulate the spectrum with the fit, its error and pulls', () => {
    const r = results.find((x) => x.window.id === 'sr-3200-3800' && x.workingPoint === 0.02)!;
    const bins = pullBins(r)!;
    expect(bins).toHaveLength(30);
    expect(bins[0]).toMatchObject({ lo: 2600, hi: 2660, centre: 2630 });
    // The band is the fit-parameter uncertainty alone: the ensemble spread is not counted a second time.
    expect(bins[0]!.fitErr).toBeCloseTo(r.fit!.predictionErr[0]!, 9);
    // the injected bump near 3.5 TeV gives the largest pull
    const top = bins.reduce((a, b) => (b.pull! > a.pull! ? b : a));
    expect(top.centre).toBeGreaterThan(3350);
    expect(top.centre).toBeLessThan(3650);
  });

  it('show a window classifier once when every working point carries the same evaluation', () => {
    const same = results
      .filter((r) => r.window.id === 'sr-2600-3200')
      .map((r) => ({ ...r, evaluation: results[0]!.evaluation }));
    expect(distinctEvaluations(same).map((e) => e.label)).toEqual(['sr-2600-3200']);
    const differing = results.filter((r) => r.window.id === 'sr-2600-3200');
    expect(distinctEvaluations(differing).map((e) => e.label)).toEqual([
      'sr-2600-3200 ε = 0.1',
      'sr-2600-3200 ε = 0.02',
    ]);
  });

  it('draw a histogram without a fit (data, signal region, no fit line, no pulls)', async () => {
    const r = results[0]!;
    const noFit: WindowResult = { ...r, fit: undefined, significance: undefined };
    const bins = pullBins(noFit)!;
    expect(bins.every((b) => b.fit === undefined && b.pull === undefined)).toBe(true);
    const { svg } = await renderVega(hepWindowFigure(noFit)!);
    expect(svg).toContain('Data');
    expect(svg).toContain('Signal region');
    expect(svg).not.toContain('Background fit');
    expect(svg).toContain('no fit');
  });

  it('give no figure where there is nothing to draw', () => {
    const bare: WindowResult = { ...results[0]!, histogram: undefined, significance: undefined, evaluation: undefined };
    expect(hepWindowFigure(bare)).toBeUndefined();
    expect(significanceSummary([bare])).toBeUndefined();
    expect(rocSicFigure([bare])).toBeUndefined();
  });
});

describe('writeReport', () => {
  let dir = '';
  let out: ReportOutput;
  let page: PageReport;
  let alerts: AlertRecord[];
  const results = syntheticResults({ workingPoints: [null, 0.1, 0.02] });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sideband-report-'));
    const tracker = new AlertTracker({ threshold: 3, log: null });
    alerts = results.map((r) => tracker.offer(r)).filter((a): a is AlertRecord => a !== undefined);
    // A failed window analysis is listed, not drawn.
    const failed: WindowResult = {
      ...results[0]!,
      window: { id: 'sr-4400-5000', sr: [4400, 5000], sb: [[3800, 4400]] },
      histogram: undefined,
      fit: undefined,
      significance: undefined,
      evaluation: undefined,
      error: 'fit did not converge',
    };
    out = await writeReport(dir, [...results, failed], {
      topology: 'quickstart',
      runId: 'synthetic-0001',
      alertThreshold: 3,
      alerts,
      counts: { read: 100000, accepted: 99990, rejected: 10, selected: 38100, rejectedByReason: { nan: 10 } },
      timings: { read: 1.5, train: 37.5, total: 40.2 },
      details: { seed: 7 },
      createdAt: '2026-01-01T00:00:00.000Z',
      plotLabel: { experiment: 'sideband', status: 'Simulation', sqrtS: 13, lumi: 139 },
    });
    const shotDir = path.join(repoRoot, 'dist/test-artifacts');
    fs.mkdirSync(shotDir, { recursive: true });
    page = await openInChromium(pathToFileURL(out.html).href, path.join(shotDir, 'report-screenshot.png'));
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes DIR/report.html with PNG and SVG plots under DIR/plots', () => {
    expect(out.html).toBe(path.join(dir, 'report.html'));
    // 3 windows x 3 working points + summary + ROC/SIC + 6 SIC band figures (3 windows x 2 evaluated working
    // points), each as PNG and SVG; the 9 window and 6 SIC figures also at print size as SVG and PDF.
    expect(out.plots).toHaveLength(2 * (9 + 2 + 6));
    expect(out.publication).toHaveLength(2 * (9 + 6));
    for (const p of out.publication) {
      const head = fs.readFileSync(p).subarray(0, 8).toString();
      expect(head).toBe(p.endsWith('.pdf') ? '%PDF-1.4' : '<svg xml');
    }
    for (const p of out.plots) {
      expect(path.dirname(p)).toBe(path.join(dir, 'plots'));
      const head = fs.readFileSync(p).subarray(0, 8);
      if (p.endsWith('.png'))
        expect(head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
      else expect(head.toString()).toBe('<svg xml');
    }
  });

  it('is static and self-contained: no scripts, no remote resources, every local link resolves', () => {
    const html = fs.readFileSync(out.html, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="https?:/i);
    const links = [...html.matchAll(/href="(plots\/[^"]+)"/g)].map((m) => decodeURIComponent(m[1]!));
    expect(links.length).toBe(out.plots.length + out.publication.length);
    for (const l of links) expect(fs.existsSync(path.join(dir, l))).toBe(true);
    // inline SVG ids are unique across the page
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists the alert, the results, the cut flow, the failed window and the ROC table', () => {
    const html = fs.readFileSync(out.html, 'utf8');
    expect(alerts.map((a) => a.window.id)).toEqual(['sr-3200-3800']);
    expect(html).toContain('ANOMALY CANDIDATE window sr-3200-3800');
    expect(html).toContain('<tr class="hot">');
    expect(html).toContain('|Δy| &lt; 1.2');
    expect(html).toContain('65.90 %'); // 40200 / 61000
    expect(html).toContain('fit did not converge');
    expect(html).toContain('<th>AUC</th>');
    // The publication figures inline: experiment label with luminosity and √s, axis titles, pull panel, SIC bands.
    for (const t of ['>sideband<', '>Simulation<', '>139 fb⁻¹ (13 TeV)<', '>Events / 60 GeV<', '>(Data − Fit) / σ<'])
      expect(html).toContain(t);
    expect(html).toContain('68 % of members');
    expect(html).toContain('print (12 cm)');
  });

  it('opens in headless Chromium without console errors, exceptions or failed loads, and gives a screenshot', () => {
    expect(page.title).toBe('sideband report: quickstart synthetic-0001');
    expect(page.exceptions).toEqual([]);
    expect(page.console.filter((c) => c.type === 'error' || c.type === 'warning' || c.type === 'assert')).toEqual([]);
    expect(page.log.filter((l) => l.level === 'error' || l.level === 'warning')).toEqual([]);
    expect(page.failedLoads).toEqual([]);
    expect(page.svgFigures).toBe(17);
    const png = fs.readFileSync(page.screenshot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1280); // IHDR width
    expect(png.readUInt32BE(20)).toBeGreaterThan(2000); // full page, not just the viewport
  });
});
