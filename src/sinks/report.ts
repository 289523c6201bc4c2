/**
 * The run report: DIR/report.html, one static page that opens from disk without a server, a network or
 * JavaScript. Figures are inline SVG (vector, searchable) rendered from the Vega-Lite specs of report-specs.ts and
 * the publication-style Vega specs of hep-specs.ts by plot.ts; the same figures are written as PNG and SVG files
 * under DIR/plots/, and the publication figures also at print size as STEM.print.svg and STEM.pdf (pdf.ts).
 *
 * Contents: alerts; the significance summary across windows with a results table; the cut flow; per window and
 * working point the spectrum in mplhep style with its pull panel (latest result of each); ROC/SIC where truth
 * labels exist, with per-window SIC bands over ensemble members; a learned background template beside the SR data
 * per feature; timings.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CutFlowEntry, WindowResult } from '../events/result.js';
import type { Spec as VegaSpec } from 'vega';
import { outlineSvg, printSvg, renderPlot, renderVega, type VegaLiteSpec } from './plot.js';
import {
  distinctEvaluations,
  rocSicFigure,
  significanceSummary,
  templateFigure,
  workingPointText,
} from './report-specs.js';
import { hepSicFigure, hepWindowFigure, type PlotLabel } from './hep-specs.js';
import { svgToPdf } from './pdf.js';

export interface ReportCounts {
  read?: number;
  accepted?: number;
  rejected?: number;
  selected?: number;
  stored?: number;
  rejectedByReason?: Record<string, number>;
}

export interface ReportInfo {
  /** Topology name (or file). */
  topology: string;
  runId: string;
  /** Run-level cut flow; default: the cut flow of the first result. */
  cutflow?: CutFlowEntry[];
  counts?: ReportCounts;
  /** Seconds per stage or step, e.g. { read: 1.2, train: 30.5, total: 40 }. */
  timings?: Record<string, number>;
  /** The topology's alert threshold on Z; drawn on the summary and used to flag rows. */
  alertThreshold?: number;
  /**
   * Alert records emitted by the alert operator during the run (src/operators/alert.ts AlertRecord; typed here
   * by the one field the report shows, so that sinks do not import operators).
   */
  alerts?: { message: string }[];
  /** Free-form facts shown in the header (source, seed, version...). */
  details?: Record<string, string | number>;
  /** Look-elsewhere: the global significance of the largest local Z (analysis/global-significance.ts's shape). */
  global?: {
    tests: number;
    maxLocalZ: number;
    window: string;
    workingPoint: number | null;
    pseudoExperiments: number;
    exceeded: number;
    pGlobal: number;
    zGlobal: number;
    pGlobalIsUpperBound: boolean;
    asymptotic: { trials: number; pGlobal: number; zGlobal: number };
  };
  /** Report creation time; default now. */
  createdAt?: string;
  /** The experiment-style label of the window and SIC figures (topology `plots.label`). */
  plotLabel?: PlotLabel;
  /** Print export of the window and SIC figures (SVG and PDF at `widthCm`); default 12 cm, false for none. */
  publication?: { widthCm: number } | false;
}

export interface ReportOutput {
  /** Absolute path of DIR/report.html. */
  html: string;
  /** Absolute paths of the PNG and SVG files written under DIR/plots/. */
  plots: string[];
  /** Absolute paths of the print exports under DIR/plots/: STEM.print.svg (physical size) and STEM.pdf. */
  publication: string[];
}

/** Latest result per window and working point, in first-seen order, with the number of analyses of each. */
function latestResults(results: WindowResult[]): { result: WindowResult; analyses: number }[] {
  const byKey = new Map<string, { result: WindowResult; analyses: number }>();
  for (const r of results) {
    const key = `${r.window.id}\u0000${r.workingPoint ?? 'inclusive'}`;
    const prev = byKey.get(key);
    byKey.set(key, { result: r, analyses: (prev?.analyses ?? 0) + 1 });
  }
  return [...byKey.values()];
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function fileStem(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Make the ids of an SVG unique within the page: Vega names clip paths clip1, clip2... per render, and several
 * inline SVGs with the same ids would clip each other's marks.
 */
function scopeSvgIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!));
  let out = svg.replace(/^<svg /, `<svg role="img" `);
  for (const id of ids) {
    const esc = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out
      .replace(new RegExp(`\\bid="${esc}"`, 'g'), `id="${prefix}-${id}"`)
      .replace(new RegExp(`url\\(#${esc}\\)`, 'g'), `url(#${prefix}-${id})`)
      .replace(new RegExp(`href="#${esc}"`, 'g'), `href="#${prefix}-${id}"`);
  }
  return out;
}

/** What the window figure's caption says beside the figure: model, Z, fit. */
function windowFacts(r: WindowResult): string {
  const sig = r.significance;
  return [
    r.model ? `${r.model.background} + ${r.model.classifier}` : 'no classifier',
    r.valid && sig?.z !== undefined
      ? `Z = ${sig.z.toFixed(2)}${sig.zRaw !== undefined ? ` (calibrated; raw ${sig.zRaw.toFixed(2)})` : ''}, observed ${count(sig.observed)}, expected ${num(sig.expected, 1)} ± ${num(sig.expectedErr, 1)}`
      : `invalid, no significance: ${(r.invalid ?? []).map((v) => v.reason).join(', ') || r.error || 'no fit'}`,
    r.fit && r.fit.status === 'ok'
      ? `${r.fit.function}, χ²/ndf = ${r.fit.chi2.toFixed(1)}/${r.fit.ndf}, p = ${r.fit.pvalue.toFixed(3)}`
      : `fit failed: ${r.fit?.reason ?? r.error ?? 'no fit'}`,
  ].join('; ');
}

function num(v: number | undefined, digits = 2): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  return v.toFixed(digits);
}

function count(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1);
}

function pval(p: number | undefined): string {
  if (p === undefined || !Number.isFinite(p)) return '–';
  return p >= 0.01 ? p.toFixed(3) : p.toExponential(2);
}

const CSS = `
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 24px auto; max-width: 1180px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; }
.scroll { overflow-x: auto; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
tr.hot td { background: #fde2e1; } tr.err td { color: #a00; } tr.invalid td { color: #999; background: #f4f4f4; }
.meta { color: #555; font-size: 13px; } .meta b { color: #222; }
figure { margin: 10px 0 24px; } figure svg { max-width: 100%; height: auto; } figcaption { font-size: 12px; color: #555; }
.alert { background: #fde2e1; border-left: 4px solid #d62728; padding: 6px 10px; margin: 6px 0; font-size: 13px; }
.none { color: #777; font-style: italic; } nav a { margin-right: 12px; font-size: 13px; }
.grid { display: flex; flex-wrap: wrap; gap: 8px 28px; } .grid figure { flex: 0 1 560px; }
`;

export async function writeReport(dir: string, results: WindowResult[], info: ReportInfo): Promise<ReportOutput> {
  const outDir = path.resolve(dir);
  const plotDir = path.join(outDir, 'plots');
  await fs.mkdir(plotDir, { recursive: true });
  const plots: string[] = [];
  let figureNo = 0;

  const publication: string[] = [];
  const print = info.publication === undefined ? { widthCm: 12 } : info.publication;

  /**
   * Render one figure: PNG + SVG into plots/, inline SVG into the page; publication figures (Vega) also as print
   * SVG and PDF. A print export that fails is said under the figure; the figure itself stands.
   */
  const figure = async (
    stem: string,
    spec: { vegaLite: VegaLiteSpec } | { vega: VegaSpec },
    caption: string,
  ): Promise<string> => {
    let rendered: { svg: string; png: Buffer };
    try {
      rendered = 'vega' in spec ? await renderVega(spec.vega) : await renderPlot(spec.vegaLite);
    } catch (err) {
      return `<p class="none">figure ${escapeHtml(stem)} could not be rendered: ${escapeHtml((err as Error).message)}</p>`;
    }
    const file = fileStem(stem);
    const png = path.join(plotDir, `${file}.png`);
    const svgFile = path.join(plotDir, `${file}.svg`);
    await fs.writeFile(png, rendered.png);
    await fs.writeFile(svgFile, rendered.svg);
    plots.push(png, svgFile);
    const href = (ext: string) => `plots/${encodeURIComponent(file)}${ext}`;
    let links = `<a href="${href('.png')}">PNG</a> · <a href="${href('.svg')}">SVG</a>`;
    if ('vega' in spec && print) {
      try {
        const p = printSvg(rendered.svg, print.widthCm);
        const pdf = svgToPdf(outlineSvg(rendered.svg), p);
        const printFile = path.join(plotDir, `${file}.print.svg`);
        const pdfFile = path.join(plotDir, `${file}.pdf`);
        await fs.writeFile(printFile, p.svg);
        await fs.writeFile(pdfFile, pdf);
        publication.push(printFile, pdfFile);
        links += ` · print (${print.widthCm} cm): <a href="${href('.pdf')}">PDF</a> · <a href="${href('.print.svg')}">SVG</a>`;
      } catch (err) {
        links += ` · <span class="none">print export failed: ${escapeHtml((err as Error).message)}</span>`;
      }
    }
    figureNo++;
    return (
      `<figure id="fig-${escapeHtml(file)}">${scopeSvgIds(rendered.svg, `f${figureNo}`)}` +
      `<figcaption>${caption} ${links}</figcaption></figure>`
    );
  };

  const latest = latestResults(results);
  const threshold = info.alertThreshold;
  const parts: string[] = [];

  // Header.
  const created = info.createdAt ?? new Date().toISOString();
  const meta: [string, string][] = [
    ['Topology', info.topology],
    ['Run', info.runId],
    ['Created', created],
    ['Windows', String(new Set(results.map((r) => r.window.id)).size)],
    ['Results', String(results.length)],
  ];
  if (threshold !== undefined) meta.push(['Alert threshold', `Z ≥ ${threshold}`]);
  for (const [k, v] of Object.entries(info.details ?? {})) meta.push([k, String(v)]);
  parts.push(
    `<h1>sideband run report: ${escapeHtml(info.topology)}</h1>`,
    `<p class="meta">${meta.map(([k, v]) => `<b>${escapeHtml(k)}</b> ${escapeHtml(v)}`).join(' &nbsp;·&nbsp; ')}</p>`,
    '<nav><a href="#alerts">Alerts</a><a href="#summary">Significance</a><a href="#cutflow">Cut flow</a><a href="#windows">Windows</a><a href="#roc">ROC/SIC</a><a href="#timings">Timings</a></nav>',
  );

  // Alerts.
  parts.push('<h2 id="alerts">Alerts</h2>');
  const alerts = info.alerts ?? [];
  if (alerts.length) {
    for (const a of alerts) parts.push(`<div class="alert">${escapeHtml(a.message)}</div>`);
  } else {
    parts.push(
      `<p class="none">No window crossed the alert threshold${threshold !== undefined ? ` (Z ≥ ${threshold})` : ''}.</p>`,
    );
  }

  // Significance summary and results table.
  parts.push('<h2 id="summary">Local significance across windows</h2>');
  const g = info.global;
  if (g) {
    const wp = g.workingPoint === null ? 'inclusive' : `ε = ${g.workingPoint}`;
    const pe = g.pGlobalIsUpperBound
      ? `p<sub>global</sub> &lt; ${num(g.pGlobal, 4)} (none of ${g.pseudoExperiments} pseudo-experiments reached it: Z<sub>global</sub> &gt; ${num(g.zGlobal)})`
      : `p<sub>global</sub> = ${num(g.pGlobal, 4)}, Z<sub>global</sub> = ${num(g.zGlobal)} (${g.exceeded} of ${g.pseudoExperiments} pseudo-experiments reached it)`;
    parts.push(
      `<p class="meta"><b>Look-elsewhere:</b> the largest local significance, Z = ${num(g.maxLocalZ)} in ${escapeHtml(g.window)} (${escapeHtml(wp)}), over ${g.tests} valid window × working point tests: ${pe}; ` +
        `Šidák over ${g.asymptotic.trials} tests: Z<sub>global</sub> = ${num(g.asymptotic.zGlobal)}. Tests are treated as independent, which overstates the trials factor (conservative).</p>`,
    );
  }
  const summary = significanceSummary(
    latest.map((l) => l.result),
    { threshold },
  );
  parts.push(
    summary
      ? await figure(
          'significance-summary',
          { vegaLite: summary },
          'Local significance Z of the merged SR bin (profile likelihood with the background uncertainty constrained), latest analysis of each window; before any look-elsewhere correction.',
        )
      : '<p class="none">No window produced a significance.</p>',
  );
  const rows = latest.map(({ result: r, analyses }) => {
    const sig = r.significance;
    const hot = threshold !== undefined && r.valid && sig?.z !== undefined && sig.z >= threshold;
    const cls = r.error ? ' class="err"' : !r.valid ? ' class="invalid"' : hot ? ' class="hot"' : '';
    const why = !r.valid ? (r.invalid ?? []).map((v) => `${v.reason}: ${v.detail}`).join('; ') : '';
    return (
      `<tr${cls}><td class="l"><a href="#win-${escapeHtml(fileStem(r.window.id))}">${escapeHtml(r.window.id)}</a></td>` +
      `<td>${r.window.sr[0]}–${r.window.sr[1]}</td><td class="l">${escapeHtml(workingPointText(r.workingPoint))}</td>` +
      `<td>${count(r.counts.sr)}</td><td>${count(r.counts.sbLow)}</td><td>${count(r.counts.sbHigh)}</td>` +
      `<td>${count(sig?.observed)}</td><td>${sig ? `${num(sig.expected, 1)} ± ${num(sig.expectedErr, 1)}` : '–'}</td>` +
      `<td${why ? ` title="${escapeHtml(why)}"` : ''}>${r.valid ? num(sig?.z) : `invalid (${escapeHtml((r.invalid ?? []).map((v) => v.reason).join(', '))})`}</td><td>${pval(sig?.p)}</td>` +
      `<td class="l">${escapeHtml(r.fit?.function ?? '–')}</td><td>${r.fit ? `${num(r.fit.chi2, 1)}/${r.fit.ndf}` : '–'}</td><td>${pval(r.fit?.pvalue)}</td>` +
      `<td class="l">${r.model ? escapeHtml(`${r.model.background} + ${r.model.classifier} ×${r.model.ensemble}`) : '–'}</td>` +
      `<td>${num(r.model?.trainSeconds, 1)}</td><td>${analyses}</td><td class="l">${escapeHtml(r.trigger)}${r.error ? `: ${escapeHtml(r.error)}` : ''}</td></tr>`
    );
  });
  parts.push(
    '<div class="scroll"><table><thead><tr><th class="l">Window</th><th>SR [GeV]</th><th class="l">Working point</th><th>SR events</th><th>SB low</th><th>SB high</th>' +
      '<th>Observed</th><th>Expected</th><th>Z</th><th>p</th><th class="l">Fit</th><th>χ²/ndf</th><th>Fit p</th><th class="l">Model</th><th>Train [s]</th><th>Analyses</th><th class="l">Trigger</th></tr></thead>' +
      `<tbody>${rows.join('')}</tbody></table></div>`,
  );

  // Cut flow.
  parts.push('<h2 id="cutflow">Cut flow</h2>');
  const cutflow = info.cutflow ?? results[0]?.cutflow ?? [];
  if (cutflow.length) {
    const first = cutflow[0]!.pass;
    const cfRows = cutflow.map((c, i) => {
      const prev = i === 0 ? c.pass : cutflow[i - 1]!.pass;
      return `<tr><td class="l">${escapeHtml(c.cut)}</td><td>${count(c.pass)}</td><td>${prev > 0 ? ((100 * c.pass) / prev).toFixed(2) : '–'} %</td><td>${first > 0 ? ((100 * c.pass) / first).toFixed(2) : '–'} %</td></tr>`;
    });
    parts.push(
      `<table><thead><tr><th class="l">Cut</th><th>Events passing</th><th>Relative</th><th>Cumulative</th></tr></thead><tbody>${cfRows.join('')}</tbody></table>`,
    );
  } else {
    parts.push('<p class="none">No cut flow recorded.</p>');
  }
  const c = info.counts;
  if (c) {
    const items: [string, number | undefined][] = [
      ['read', c.read],
      ['accepted', c.accepted],
      ['rejected', c.rejected],
      ['selected', c.selected],
      ['stored', c.stored],
    ];
    parts.push(
      `<p class="meta">${items
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `<b>${k}</b> ${count(v)}`)
        .join(' &nbsp;·&nbsp; ')}</p>`,
    );
    const reasons = Object.entries(c.rejectedByReason ?? {});
    if (reasons.length) {
      parts.push(
        `<table><thead><tr><th class="l">Rejected because</th><th>Events</th></tr></thead><tbody>${reasons.map(([r, n]) => `<tr><td class="l">${escapeHtml(r)}</td><td>${count(n)}</td></tr>`).join('')}</tbody></table>`,
      );
    }
  }

  // Per-window figures.
  parts.push(
    '<h2 id="windows">Windows</h2>',
    '<p class="meta">Data as points with Garwood (central 68 %) Poisson intervals; the background fit in the sidebands, interpolated into the shaded signal region, ' +
      'as a line through the per-bin predictions with its ±1σ band (the fit-parameter uncertainty); ' +
      'the lower panel shows the pull (data − fit)/σ, σ² the Garwood error on the side of the fit squared plus the fit uncertainty squared.</p>',
  );
  const windowIds = [...new Set(latest.map((l) => l.result.window.id))];
  for (const id of windowIds) {
    const ofWindow = latest.filter((l) => l.result.window.id === id);
    const w = ofWindow[0]!.result.window;
    parts.push(
      `<h3 id="win-${escapeHtml(fileStem(id))}">${escapeHtml(id)}: SR [${w.sr[0]}, ${w.sr[1]}) GeV, SB ${w.sb.map((s) => `[${s[0]}, ${s[1]})`).join(' ')}</h3>`,
      '<div class="grid">',
    );
    // The learned template is one per window (every working point selects against the same one).
    const withTemplate = ofWindow.find((l) => l.result.model?.template?.distributions);
    const tplSpec = withTemplate ? templateFigure(withTemplate.result) : undefined;
    if (tplSpec) {
      const t = withTemplate!.result.model!.template!;
      const auc = t.fidelity
        ? ` Fidelity AUC vs SR data ${num(t.fidelity.aucVsData, 3)}${t.fidelity.aucVsTruth !== undefined ? `, vs true SR background ${num(t.fidelity.aucVsTruth, 3)}` : ''} (null σ ${num(t.fidelity.nullSd, 3)}).`
        : '';
      parts.push(
        await figure(
          `template-${id}`,
          { vegaLite: tplSpec },
          `${escapeHtml(id)}: the ${escapeHtml(t.model)} template (${count(t.templateEvents)} events for ${count(t.srEvents)} SR events, scaled to the SR count) beside the SR data, per feature.${auc}`,
        ),
      );
    }
    for (const { result: r } of ofWindow) {
      const wpStem = r.workingPoint === null ? 'inclusive' : `eps${r.workingPoint}`;
      const spec = hepWindowFigure(r, { label: info.plotLabel });
      if (r.error)
        parts.push(
          `<p class="none">${escapeHtml(workingPointText(r.workingPoint))}: analysis failed: ${escapeHtml(r.error)}</p>`,
        );
      if (r.abcd) parts.push(abcdTable(r));
      if (spec) {
        parts.push(
          await figure(
            `window-${id}-${wpStem}`,
            { vega: spec },
            `${escapeHtml(id)}, ${escapeHtml(workingPointText(r.workingPoint))}, trigger ${escapeHtml(r.trigger)}: ${escapeHtml(windowFacts(r))}.`,
          ),
        );
      } else if (!r.error && !r.abcd) {
        parts.push(`<p class="none">${escapeHtml(workingPointText(r.workingPoint))}: no histogram in this result.</p>`);
      }
    }
    parts.push('</div>');
  }
  if (windowIds.length === 0) parts.push('<p class="none">No window results.</p>');

  // ROC / SIC.
  parts.push('<h2 id="roc">Classifier performance (ROC, SIC)</h2>');
  const evaluated = latest.map((l) => l.result).filter((r) => r.evaluation);
  const roc = rocSicFigure(evaluated);
  if (evaluated.length) {
    if (roc)
      parts.push(
        await figure(
          'roc-sic',
          { vegaLite: roc },
          'Background rejection and significance improvement characteristic against signal efficiency, from truth labels.',
        ),
      );
    // Per window: the SIC curve with the 68 % band over ensemble members, where the result carries the members.
    const sicParts: string[] = [];
    for (const { label, result: r } of distinctEvaluations(evaluated)) {
      const spec = hepSicFigure(r, { label: info.plotLabel });
      if (!spec) continue;
      const m = r.evaluation!.members!;
      sicParts.push(
        await figure(
          `sic-${label}`,
          { vega: spec },
          `${escapeHtml(label)}: SIC over ${m.sic.length} ensemble members (median, 16–84 % band; member max SIC ${m.maxSic.map((v) => num(v, 2)).join(', ')}), the ensemble's own curve and a random selection.`,
        ),
      );
    }
    if (sicParts.length) parts.push('<div class="grid">', ...sicParts, '</div>');
    parts.push(
      '<table><thead><tr><th class="l">Classifier</th><th>AUC</th><th>max SIC</th></tr></thead><tbody>' +
        distinctEvaluations(evaluated)
          .map(
            ({ label, result: r }) =>
              `<tr><td class="l">${escapeHtml(label)}</td><td>${num(r.evaluation!.auc, 3)}</td><td>${num(r.evaluation!.maxSic, 2)}</td></tr>`,
          )
          .join('') +
        '</tbody></table>',
    );
  } else {
    parts.push('<p class="none">No truth labels in this run: no ROC or SIC.</p>');
  }

  // Timings.
  parts.push('<h2 id="timings">Timings</h2>');
  const timings = Object.entries(info.timings ?? {});
  parts.push(
    timings.length
      ? `<table><thead><tr><th class="l">Step</th><th>Seconds</th></tr></thead><tbody>${timings.map(([k, v]) => `<tr><td class="l">${escapeHtml(k)}</td><td>${num(v, 2)}</td></tr>`).join('')}</tbody></table>`
      : '<p class="none">No timings recorded.</p>',
  );

  const html =
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>sideband report: ${escapeHtml(info.topology)} ${escapeHtml(info.runId)}</title><style>${CSS}</style></head>\n<body>\n${parts.join('\n')}\n` +
    `<p class="meta">Generated by sideband at ${escapeHtml(created)}.</p>\n</body></html>\n`;
  const htmlPath = path.join(outDir, 'report.html');
  await fs.writeFile(htmlPath, html);
  return { html: htmlPath, plots, publication };
}

/** A tail search's ABCD (CONRAD): the background predicted into A beside what A holds, with the other regions. */
function abcdTable(r: WindowResult): string {
  const a = r.abcd!;
  const c = a.counts;
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const truth = a.truth
    ? `; truth: ${a.truth.backgroundA} background + ${a.truth.signalA} signal in A, prediction / true background ${f(a.truth.ratio, 3)}`
    : '';
  const z =
    r.significance?.z !== undefined
      ? `Z = ${f(r.significance.z, 2)}, S/√B = ${f(a.sOverSqrtB ?? Number.NaN, 2)}`
      : 'no Z (invalid)';
  const why = r.invalid?.length ? ` (${r.invalid.map((v) => `${v.reason}: ${v.detail}`).join('; ')})` : '';
  return (
    `<table><caption>ABCD in (score, ${escapeHtml(a.tailFeature)}) at false-positive rate ${r.workingPoint}: ` +
    `${escapeHtml(z)}${escapeHtml(why)}</caption>` +
    `<tr><th></th><th>${escapeHtml(a.tailFeature)} &lt; ${a.tailCut}</th><th>${escapeHtml(a.tailFeature)} &gt; ${a.tailCut}</th></tr>` +
    `<tr><th>score above the cut</th><td>B = ${c.B}</td><td>A = ${c.A} observed, ${f(a.predicted)} ± ${f(a.predictedErr)} predicted (N_B N_C / N_D)</td></tr>` +
    `<tr><th>score below the cut</th><td>D = ${c.D}</td><td>C = ${c.C}</td></tr>` +
    `<tr><th>control closure</th><td colspan="2">observed / predicted ${f(a.controlClosure.ratio, 3)} (pull ${f(a.controlClosure.pull, 2)}) on ${a.control.events - a.control.trainEvents} held-out control events${escapeHtml(truth)}</td></tr>` +
    '</table>'
  );
}
