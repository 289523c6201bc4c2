/**
 * The validation page: DIR/validation.html from `sideband validate`, the analogue of seed 000's Figs. 10–11: per
 * pseudo-data source and working point, the median and the spread of the signal-free significance of every window
 * against its SR centre, with seed 000's criterion (median < 1 and spread < 1) marked, and a table per source.
 * Static like the run report (inline SVG, no script); the same figures as PNG and SVG under DIR/plots/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { renderPlot, type VegaLiteSpec } from './plot.js';

/** What the page shows (structural: the shape of src/run/validate.ts's report, which sinks do not import). */
export interface ValidationPage {
  topology: string;
  seed: number;
  createdAt: string;
  seconds: number;
  sources: Array<{
    source: string;
    skipped?: string;
    samples: number;
    seconds: number;
    windows: Array<{
      window: string;
      sr: [number, number];
      workingPoint: number | null;
      zs: number[];
      invalid: Record<string, number>;
      median: number;
      spread: number;
      mean: number;
      closure: boolean;
    }>;
  }>;
  calibration?: { source: string; samples: number; mode: string };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const wpText = (wp: number | null) => (wp === null ? 'inclusive' : `ε = ${wp}`);
const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');

/** Median ± spread of Z against the SR centre, one series per working point, the criterion's lines at ±1. */
export function validationFigure(s: ValidationPage['sources'][number]): VegaLiteSpec {
  const rows = s.windows
    .filter((w) => w.zs.length >= 2)
    .map((w) => ({
      centre: 0.5 * (w.sr[0] + w.sr[1]),
      median: w.median,
      lo: w.median - w.spread,
      hi: w.median + w.spread,
      wp: wpText(w.workingPoint),
      window: w.window,
      pass: w.closure ? 'valid' : 'fails',
    }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Signal-free significance: ${s.source} (${s.samples} samples)`,
      subtitle: 'median Z ± spread per window; valid when median < 1 and spread < 1 (seed 000 §V.E)',
      anchor: 'start',
      fontSize: 15,
    },
    background: 'white',
    width: 560,
    height: 260,
    layer: [
      {
        data: { values: [{ y: 1 }, { y: -1 }, { y: 0 }] },
        mark: { type: 'rule', color: '#bbb', strokeDash: [4, 4] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        layer: [
          {
            mark: { type: 'errorbar', ticks: true },
            encoding: {
              x: {
                field: 'centre',
                type: 'quantitative',
                scale: { zero: false },
                axis: { title: 'SR centre m_jj [GeV]' },
              },
              y: { field: 'lo', type: 'quantitative', axis: { title: 'Z [σ]' } },
              y2: { field: 'hi' },
              color: { field: 'wp', type: 'nominal', legend: { title: 'Working point' } },
              xOffset: { field: 'wp' },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 60 },
            encoding: {
              x: { field: 'centre', type: 'quantitative' },
              y: { field: 'median', type: 'quantitative' },
              color: { field: 'wp', type: 'nominal' },
              shape: { field: 'pass', type: 'nominal', legend: { title: 'Criterion' } },
              tooltip: [
                { field: 'window' },
                { field: 'wp' },
                { field: 'median', format: '.2f' },
                { field: 'hi', format: '.2f' },
              ],
            },
          },
        ],
      },
    ],
  } as unknown as VegaLiteSpec;
}

export async function writeValidationReport(dir: string, page: ValidationPage): Promise<string> {
  await fs.mkdir(path.join(dir, 'plots'), { recursive: true });
  const parts: string[] = [
    `<h1>Validation of ${esc(page.topology)}</h1>`,
    `<p class="meta">${page.sources.map((s) => `${esc(s.source)}: ${s.skipped ? `skipped (${esc(s.skipped)})` : `${s.samples} samples in ${s.seconds.toFixed(0)} s`}`).join(' · ')} · seed ${page.seed} · ${esc(page.createdAt)}</p>`,
    page.calibration
      ? `<p class="meta">Calibration written from the <b>${esc(page.calibration.source)}</b> samples (${page.calibration.samples}, ${esc(page.calibration.mode)}): later runs of the topology that name it report Z = (Z<sub>raw</sub> − mean)/std per window, and windows that fail the criterion as invalid.</p>`
      : '<p class="none">No calibration was written.</p>',
  ];
  for (const s of page.sources) {
    parts.push(`<h2>${esc(s.source)}</h2>`);
    if (s.skipped) {
      parts.push(`<p class="none">Skipped: ${esc(s.skipped)}.</p>`);
      continue;
    }
    const { svg, png } = await renderPlot(validationFigure(s));
    const stem = `validation-${s.source}`;
    await fs.writeFile(path.join(dir, 'plots', `${stem}.svg`), svg);
    await fs.writeFile(path.join(dir, 'plots', `${stem}.png`), png);
    parts.push(`<figure>${svg}</figure>`);
    const rows = s.windows.map(
      (w) =>
        `<tr class="${w.closure ? '' : 'invalid'}"><td class="l">${esc(w.window)}</td><td class="l">${esc(wpText(w.workingPoint))}</td>` +
        `<td>${w.zs.length}</td><td>${fmt(w.median)}</td><td>${fmt(w.spread)}</td><td>${fmt(w.mean)}</td>` +
        `<td class="l">${w.closure ? 'valid' : 'fails'}</td><td class="l">${esc(
          Object.entries(w.invalid)
            .map(([k, n]) => `${k} ×${n}`)
            .join(', ') || '–',
        )}</td></tr>`,
    );
    parts.push(
      '<table><thead><tr><th class="l">Window</th><th class="l">Working point</th><th>Valid samples</th><th>Median Z</th><th>Spread</th><th>Mean</th><th class="l">Criterion</th><th class="l">Invalid samples</th></tr></thead>' +
        `<tbody>${rows.join('')}</tbody></table>`,
    );
  }
  const css =
    'body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}' +
    'table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}' +
    'td.l,th.l{text-align:left}th{background:#f3f3f3}tr.invalid td{color:#999;background:#f4f4f4}.meta{color:#555;font-size:13px}' +
    '.none{color:#777;font-style:italic}figure svg{max-width:100%;height:auto}';
  const file = path.join(dir, 'validation.html');
  await fs.writeFile(
    file,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sideband validation: ${esc(page.topology)}</title><style>${css}</style></head><body>${parts.join('\n')}</body></html>\n`,
  );
  return file;
}
