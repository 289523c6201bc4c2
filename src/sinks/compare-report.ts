/**
 * The comparison page (topology `compare:`, seed 003): DIR/compare.html and DIR/compare.json. Per compared window:
 * the fitted significance (signal + background fit, double crystal ball) against the injected signal, one line
 * per method, with the 3σ and 5σ lines; a table of the injected amount (and S/√B before the selection) at which
 * each method's Z crosses 3 and 5, its 95 % CL limit on the injected amount (by injection, retrained per amount),
 * and its training time; and the φ correlation of the methods' SR selections
 * at the largest injected amount. Static (inline SVG); the figures also under DIR/plots/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { comparisonSummary, type WindowComparison } from '../analysis/cms/compare.js';
import type { WindowResult } from '../events/result.js';
import { esc, PAGE_CSS } from './injection-report.js';
import { renderPlot, type VegaLiteSpec } from './plot.js';

const fmt = (x: number | null | undefined, d = 0) =>
  x !== null && x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '–';

function zFigure(w: WindowComparison): VegaLiteSpec {
  const rows = w.methods.flatMap((m) =>
    m.points.filter((p) => p.z !== null).map((p) => ({ method: m.method, amount: p.amount, z: p.z })),
  );
  const top = Math.max(1, ...w.methods.flatMap((m) => m.points.map((p) => p.amount)));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Fitted Z against the injected signal: ${w.window}`, anchor: 'start', fontSize: 15 },
    background: 'white',
    width: 560,
    height: 300,
    layer: [
      {
        data: {
          values: [
            { y: 3, l: '3σ' },
            { y: 5, l: '5σ' },
          ],
        },
        mark: { type: 'rule', color: '#999', strokeDash: [5, 4] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 'amount',
            type: 'quantitative',
            scale: { domain: [0, top] },
            axis: { title: 'injected signal events (generated)' },
          },
          y: { field: 'z', type: 'quantitative', axis: { title: 'Z of the S+B fit (double crystal ball) [σ]' } },
          color: { field: 'method', type: 'nominal', legend: { title: 'Method' } },
          tooltip: [{ field: 'method' }, { field: 'amount' }, { field: 'z', format: '.2f' }],
        },
      },
    ],
  } as unknown as VegaLiteSpec;
}

export async function writeCompareReport(
  dir: string,
  results: WindowResult[],
  info: { topology: string; signal: string; seconds: number },
): Promise<{ html: string; json: string; windows: WindowComparison[] }> {
  const windows = comparisonSummary(results);
  await fs.mkdir(path.join(dir, 'plots'), { recursive: true });
  const json = path.join(dir, 'compare.json');
  await fs.writeFile(
    json,
    `${JSON.stringify({ kind: 'sideband-comparison', topology: info.topology, signal: info.signal, windows }, null, 1)}\n`,
  );
  const parts = [
    `<h1>Method comparison: ${esc(info.topology)}</h1>`,
    `<p class="meta">Signal ${esc(info.signal)}, injected into one stream's windows; every method retrained per injected amount; ${info.seconds.toFixed(0)} s. Z from a signal + background fit of each selected spectrum (dijet function + double crystal ball at the signal's shape), one pseudo-experiment per amount: medians over seeds are bench:cms's.</p>`,
  ];
  for (const w of windows) {
    parts.push(`<h2>Window ${esc(w.window)} (SR ${w.sr[0]}–${w.sr[1]} GeV, ε = ${w.workingPoint ?? 'all'})</h2>`);
    parts.push(
      `<p class="meta">Signal shape: μ ${w.shape.mu.toFixed(0)} GeV, σ ${w.shape.sigma.toFixed(0)} GeV, α<sub>low</sub> ${w.shape.alphaLow.toFixed(2)}, α<sub>high</sub> ${w.shape.alphaHigh.toFixed(2)}, n = ${w.shape.nLow}.</p>`,
    );
    try {
      const { svg, png } = await renderPlot(zFigure(w));
      const stem = `compare-z-${w.window}`.replace(/[^A-Za-z0-9_-]/g, '_');
      await fs.writeFile(path.join(dir, 'plots', `${stem}.svg`), svg);
      await fs.writeFile(path.join(dir, 'plots', `${stem}.png`), png);
      parts.push(`<figure>${svg}</figure>`);
    } catch (e) {
      parts.push(`<p class="none">figure could not be rendered: ${esc((e as Error).message)}</p>`);
    }
    const amounts = [...new Set(w.methods.flatMap((m) => m.points.map((p) => p.amount)))].sort((a, b) => a - b);
    const rows = w.methods.map((m) => {
      const zs = amounts.map((a) => {
        const p = m.points.find((x) => x.amount === a);
        return `<td${p?.reason ? ` title="${esc(p.reason)}"` : ''}>${fmt(p?.z, 2)}</td>`;
      });
      return (
        `<tr><td class="l">${esc(m.method)}</td>${zs.join('')}<td>${fmt(m.injectedFor3Sigma)}</td><td>${fmt(m.sOverSqrtBFor3Sigma, 1)}</td>` +
        `<td>${fmt(m.injectedFor5Sigma)}</td><td>${fmt(m.sOverSqrtBFor5Sigma, 1)}</td><td>${fmt(m.injectedLimit95)}</td><td>${fmt(m.trainSeconds, 1)}</td></tr>`
      );
    });
    parts.push(
      `<table><thead><tr><th class="l">Method</th>${amounts.map((a) => `<th>Z at ${a}</th>`).join('')}<th>Injected at 3σ</th><th>S/√B at 3σ</th><th>Injected at 5σ</th><th>S/√B at 5σ</th><th>95 % CL limit (injected)</th><th>Training [s]</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
        '<p class="meta">– : no valid fit at that amount (hover for why), or the scan does not reach the level. S/√B: injected SR signal over √(SR events), before any selection. Limit: the injected amount at which the signal a training on data + injection keeps reaches the 95 % CL upper limit on a signal in the data alone under that selection (seed 003’s limits by injection).</p>',
    );
    const named = w.methods.filter((m) => m.correlation).map((m) => m.method);
    if (named.length > 1) {
      const corr = named.map(
        (a) =>
          `<tr><td class="l">${esc(a)}</td>${named
            .map((b) => {
              if (a === b) return '<td>1</td>';
              const c = w.methods.find((m) => m.method === a)!.correlation![b];
              return `<td>${fmt(c?.phi, 2)} <span class="meta">(${fmt(c?.overlap, 2)})</span></td>`;
            })
            .join('')}</tr>`,
      );
      parts.push(
        `<h3>Correlation of the selections (SR events, ${amounts[amounts.length - 1]} injected)</h3><table><thead><tr><th class="l"></th>${named.map((b) => `<th>${esc(b)}</th>`).join('')}</tr></thead><tbody>${corr.join('')}</tbody></table>` +
          '<p class="meta">φ coefficient of the 0/1 selections; in brackets the overlap (kept by both / kept by either).</p>',
      );
    }
  }
  const html = path.join(dir, 'compare.html');
  await fs.writeFile(
    html,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sideband comparison: ${esc(info.topology)}</title><style>${PAGE_CSS}</style></head><body>${parts.join('\n')}</body></html>\n`,
  );
  return { html, json, windows };
}
