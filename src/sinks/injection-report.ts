/**
 * The injection page: DIR/injection.html from `sideband inject` (seed 000 §V.D.5): per working point the fitted
 * significance of each window against the injected signal's S/√B after the selection, the CLs curves against the
 * injected amount with the 95 % CL line, and the limits per window. Static (inline SVG), plots also under DIR/plots/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { renderPlot, type VegaLiteSpec } from './plot.js';

/** What the page shows (structural: src/run/inject.ts's report, which sinks do not import). */
export interface InjectionPage {
  topology: string;
  signal: { mA: number; mB: number; mC: number };
  amounts: number[];
  seeds: number;
  seconds: number;
  windows: Array<{
    window: string;
    sr: [number, number];
    workingPoint: number | null;
    points: Array<{
      amount: number;
      z?: number;
      sOverSqrtB: number;
      signal: number;
      cls?: { observed: number; expected: number[] };
    }>;
    limits?: InjectionLimits;
  }>;
}

/** 95 % CL upper limits on the injected events (and the selected ones), from the CLs curves. */
export interface InjectionLimits {
  injectedObserved?: number;
  injectedExpected: Array<number | undefined>;
  selectedObserved?: number;
  /** Beside them, the merged-bin CLs limits on selected signal events of the runs with nothing injected (median). */
  mergedBinSelected?: { observed: number; expected: number };
  /** The curves already at or below CLs 0.05 at the lowest amount scanned: their limits lie below it. */
  belowScan?: { amount: number; observed: boolean; expected: boolean[] };
}

/** A limit as read: its value, '< a' when the curve was already excluded at the lowest amount a scanned, or '–'. */
export function limitText(l: InjectionLimits | undefined, which: 'observed' | 0 | 1 | 2 | 3 | 4, digits = 0): string {
  if (!l) return '–';
  const below = which === 'observed' ? l.belowScan?.observed : l.belowScan?.expected[which];
  if (below) return `< ${l.belowScan!.amount}`;
  return fmt(which === 'observed' ? l.injectedObserved : l.injectedExpected[which], digits);
}

/** The style of the static result pages (injection, comparison). */
export const PAGE_CSS =
  'body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}' +
  'table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}' +
  'td.l,th.l{text-align:left}th{background:#f3f3f3}.meta{color:#555;font-size:13px}figure svg{max-width:100%;height:auto}';

export const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const wpText = (wp: number | null) => (wp === null ? 'inclusive' : `ε = ${wp}`);
const fmt = (x: number | undefined, d = 0) => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '–');

/** Z against S/√B after the selection, one series per window, for one working point. */
function zFigure(page: InjectionPage, wp: number | null): VegaLiteSpec {
  const rows = page.windows
    .filter((w) => w.workingPoint === wp)
    .flatMap((w) =>
      w.points
        .filter((p) => p.z !== undefined)
        .map((p) => ({ window: w.window, x: p.sOverSqrtB, z: p.z, amount: p.amount })),
    );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Fitted Z against the injected S/√B (${wpText(wp)})`, anchor: 'start', fontSize: 15 },
    background: 'white',
    width: 520,
    height: 260,
    layer: [
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: Math.max(1, ...rows.map((r) => r.x)), y: Math.max(1, ...rows.map((r) => r.x)) },
          ],
        },
        mark: { type: 'line', color: '#bbb', strokeDash: [4, 4] },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 40 },
        encoding: {
          x: { field: 'x', type: 'quantitative', axis: { title: 'S/√B in the SR after the selection (truth)' } },
          y: { field: 'z', type: 'quantitative', axis: { title: 'fitted local Z [σ]' } },
          color: { field: 'window', type: 'nominal', legend: { title: 'Window' } },
          tooltip: [
            { field: 'window' },
            { field: 'amount' },
            { field: 'x', format: '.2f' },
            { field: 'z', format: '.2f' },
          ],
        },
      },
    ],
  } as unknown as VegaLiteSpec;
}

/** CLs against the injected amount for one window: observed and the expected median with ±1σ. */
function clsFigure(w: InjectionPage['windows'][number]): VegaLiteSpec {
  const rows = w.points
    .filter((p) => p.cls)
    .flatMap((p) => [
      { amount: p.amount, cls: p.cls!.observed, curve: 'observed' },
      { amount: p.amount, cls: p.cls!.expected[2]!, curve: 'expected' },
      { amount: p.amount, cls: p.cls!.expected[1]!, curve: 'expected −1σ' },
      { amount: p.amount, cls: p.cls!.expected[3]!, curve: 'expected +1σ' },
    ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `CLs against the injected signal: ${w.window} (${wpText(w.workingPoint)})`,
      anchor: 'start',
      fontSize: 15,
    },
    background: 'white',
    width: 520,
    height: 240,
    layer: [
      {
        data: { values: [{ y: 0.05 }] },
        mark: { type: 'rule', color: '#d62728', strokeDash: [6, 4] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'amount', type: 'quantitative', axis: { title: 'injected signal events' } },
          y: { field: 'cls', type: 'quantitative', scale: { type: 'log' }, axis: { title: 'CLs' } },
          color: { field: 'curve', type: 'nominal', legend: { title: '' } },
        },
      },
    ],
  } as unknown as VegaLiteSpec;
}

export async function writeInjectionReport(dir: string, page: InjectionPage): Promise<string> {
  await fs.mkdir(path.join(dir, 'plots'), { recursive: true });
  const figure = async (stem: string, spec: VegaLiteSpec) => {
    const { svg, png } = await renderPlot(spec);
    await fs.writeFile(path.join(dir, 'plots', `${stem}.svg`), svg);
    await fs.writeFile(path.join(dir, 'plots', `${stem}.png`), png);
    return `<figure>${svg}</figure>`;
  };
  const parts = [
    `<h1>Signal injection: ${esc(page.topology)}</h1>`,
    `<p class="meta">A(${page.signal.mA}) → B(${page.signal.mB}) C(${page.signal.mC}); injected ${page.amounts.join(', ')} events, ${page.seeds} run(s) each, ${page.seconds.toFixed(0)} s. Each run retrains the classifiers on the data with the injected signal (seed 000 §V.D.5).</p>`,
  ];
  const wps = [...new Set(page.windows.map((w) => w.workingPoint))];
  for (const wp of wps) parts.push(await figure(`injection-z-${wp ?? 'inclusive'}`, zFigure(page, wp)));
  const withLimits = page.windows.filter((w) => w.limits);
  for (const w of withLimits.slice(0, 6))
    parts.push(await figure(`injection-cls-${w.window}-${w.workingPoint ?? 'inclusive'}`, clsFigure(w)));
  const rows = page.windows.map(
    (w) =>
      `<tr><td class="l">${esc(w.window)}</td><td class="l">${esc(wpText(w.workingPoint))}</td><td>${esc(limitText(w.limits, 'observed'))}</td>` +
      `<td>${esc(limitText(w.limits, 2))}</td><td>${esc(limitText(w.limits, 1))} – ${esc(limitText(w.limits, 3))}</td><td>${fmt(w.limits?.selectedObserved, 1)}</td>` +
      `<td>${fmt(w.limits?.mergedBinSelected?.observed, 1)} / ${fmt(w.limits?.mergedBinSelected?.expected, 1)}</td></tr>`,
  );
  parts.push(
    '<h2>95 % CL upper limits (CLs, from the injection curves)</h2><table><thead><tr><th class="l">Window</th><th class="l">Working point</th><th>Injected, observed</th><th>Injected, expected</th><th>Expected ±1σ</th><th>Selected, observed</th><th>Merged-bin CLs, selected (obs / exp)</th></tr></thead>' +
      `<tbody>${rows.join('')}</tbody></table><p class="meta">– : the CLs curve does not cross 0.05 within the injected amounts.</p>`,
  );
  const file = path.join(dir, 'injection.html');
  await fs.writeFile(
    file,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sideband injection: ${esc(page.topology)}</title><style>${PAGE_CSS}</style></head><body>${parts.join('\n')}</body></html>\n`,
  );
  return file;
}
