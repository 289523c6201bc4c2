/**
 * Vega-Lite specifications of the run report's figures, built from WindowResults (pure: results in, specs out).
 *
 * - windowFigure: the mjj spectrum of one window and working point in the style of seed 000 Fig. 2 — observed
 *   counts with Poisson (Garwood 68 %) error bars, the background fit interpolated from the sidebands as a
 *   histogram with its uncertainty band (dashed edges), vertical dashed lines at the SR edges, and a lower panel
 *   with the per-bin Gaussian-equivalent significance of data over fit.
 * - significanceSummary: local Z of the merged SR bin against the SR centre, one line per working point
 *   (seed 000 Figs. 3–4 as a scan), with the alert threshold.
 * - rocSicFigure: background rejection 1/ε_B and significance improvement ε_S/√ε_B against ε_S, where truth
 *   labels gave an evaluation.
 */
import type { VegaLiteSpec } from './plot.js';
import type { WindowResult } from '../events/result.js';
import { perBinSignificance } from '../stats/per-bin.js';
import { poissonCdfAtMost, poissonSfAtLeast } from '../stats/special.js';

/** One-sided tail of a ±1σ central interval: (1 − 0.6827) / 2. */
const TAIL_1SIGMA = 0.158655253931457;

/**
 * Garwood central 68.27 % interval of a Poisson mean given n observed counts (the error bars the LHC experiments
 * draw on low-count bins: asymmetric, and non-zero above an empty bin). Solved by bisection on the regularized
 * incomplete gamma function; n may be real (an ensemble median).
 */
export function poissonInterval(n: number): [number, number] {
  if (!(n > 0)) return [0, -Math.log(TAIL_1SIGMA)];
  // lower: P(N >= n | mu) = tail, increasing in mu; upper: P(N <= n | mu) = tail, decreasing in mu.
  const solve = (f: (mu: number) => number, lo: number, hi: number): number => {
    for (let i = 0; i < 200 && hi - lo > 1e-10 * Math.max(1, hi); i++) {
      const mid = 0.5 * (lo + hi);
      if (f(mid) < 0) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  };
  const span = 10 * Math.sqrt(n) + 10;
  const lower = solve((mu) => poissonSfAtLeast(n, mu) - TAIL_1SIGMA, 0, n);
  const upper = solve((mu) => TAIL_1SIGMA - poissonCdfAtMost(n, mu), n, n + span);
  return [lower, upper];
}

/** Label of a working point for titles and legends. */
export function workingPointText(wp: number | null): string {
  return wp === null ? 'inclusive' : `ε = ${wp}`;
}

export interface SpectrumBin {
  lo: number;
  hi: number;
  centre: number;
  observed: number;
  obsLo: number;
  obsHi: number;
  /** Background prediction and its ±1σ band (the fit-parameter uncertainty, as the statistics use it). */
  fit?: number;
  fitLo?: number;
  fitHi?: number;
  z: number;
  inSr: boolean;
}

/** Bin table of a window result; undefined when the result has no histogram. */
export function spectrumBins(r: WindowResult): SpectrumBin[] | undefined {
  const h = r.histogram;
  if (!h || h.counts.length === 0 || h.edges.length !== h.counts.length + 1) return undefined;
  const fit = r.fit && r.fit.prediction.length === h.counts.length ? r.fit : undefined;
  const perBin =
    r.significance?.perBin?.length === h.counts.length
      ? r.significance.perBin
      : fit
        ? Array.from(perBinSignificance(h.counts, fit.prediction))
        : undefined;
  return h.counts.map((n, i) => {
    const [obsLo, obsHi] = poissonInterval(n);
    const lo = h.edges[i]!;
    const hi = h.edges[i + 1]!;
    const centre = 0.5 * (lo + hi);
    const bin: SpectrumBin = {
      lo,
      hi,
      centre,
      observed: n,
      obsLo,
      obsHi,
      z: perBin?.[i] ?? 0,
      inSr: centre >= r.window.sr[0] && centre < r.window.sr[1],
    };
    if (fit) {
      // The fit-parameter uncertainty only: the statistics take the ensemble median as Poisson data, so its spread
      // is not counted again (src/classify/ensemble.ts).
      const err = fit.predictionErr[i] ?? 0;
      bin.fit = fit.prediction[i]!;
      bin.fitLo = bin.fit - err;
      bin.fitHi = bin.fit + err;
    }
    return bin;
  });
}

const COLOURS = { data: '#000000', fit: '#d62728', band: '#f4a582', sr: '#1f77b4', sig: '#4c72b0' };

/** Seed-000-Fig.-2-like figure of one window and working point; undefined when the result has no histogram. */
export function windowFigure(r: WindowResult, options: { width?: number } = {}): VegaLiteSpec | undefined {
  const bins = spectrumBins(r);
  if (!bins) return undefined;
  const width = options.width ?? 460;
  const xDomain = [bins[0]!.lo, bins[bins.length - 1]!.hi];
  // Log y from half the smallest positive quantity drawn to twice the largest.
  const positives = bins.flatMap((b) => [b.observed, b.obsHi, b.fit ?? 0, b.fitLo ?? 0]).filter((v) => v > 0);
  const yMin = positives.length ? Math.max(0.1, 0.5 * Math.min(...positives)) : 0.1;
  const yMax = positives.length ? 3 * Math.max(...positives) : 10;
  const clampY = (v: number) => Math.min(yMax, Math.max(yMin, v));
  const data = bins.map((b) => ({
    ...b,
    obsLoDraw: clampY(b.obsLo),
    obsHiDraw: clampY(b.obsHi),
    fitLoDraw: b.fitLo === undefined ? undefined : clampY(b.fitLo),
    fitHiDraw: b.fitHi === undefined ? undefined : clampY(b.fitHi),
  }));
  const hasFit = bins.some((b) => b.fit !== undefined);
  // Fixed colours per element; the legend is drawn by hand (legendLayers) so that each entry shows its own glyph
  // (point with error bar, line, band, dashed edge), as in the paper's figures.
  const colour = (name: keyof typeof COLOURS) => ({ value: COLOURS[name] });
  const x = (field: string, axis: object | null = { title: null, labels: false, ticks: true }) => ({
    field,
    type: 'quantitative',
    scale: { domain: xDomain, nice: false, zero: false },
    axis,
  });
  const widths = bins.map((b) => b.hi - b.lo);
  const uniform = widths.every((w) => Math.abs(w - widths[0]!) < 1e-9);
  const y = {
    type: 'quantitative',
    scale: { type: 'log', domain: [yMin, yMax], nice: false },
    axis: { title: uniform ? `Events / ${fmtWidth(widths[0]!)} GeV` : 'Events / bin' },
  };
  const srEdges = {
    data: { values: [{ edge: r.window.sr[0] }, { edge: r.window.sr[1] }] },
    mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 },
    encoding: { x: x('edge'), color: colour('sr') },
  };

  const upperLayers: object[] = [];
  if (hasFit) {
    const fitData = data.filter((b) => b.fit !== undefined);
    upperLayers.push(
      {
        data: { values: fitData },
        mark: { type: 'rect', opacity: 0.45, clip: true },
        encoding: {
          x: x('lo'),
          x2: { field: 'hi' },
          y: { ...y, field: 'fitLoDraw' },
          y2: { field: 'fitHiDraw' },
          color: colour('band'),
        },
      },
      {
        data: { values: fitData },
        mark: { type: 'rule', strokeDash: [3, 3], strokeWidth: 1, clip: true },
        encoding: { x: x('lo'), x2: { field: 'hi' }, y: { ...y, field: 'fitLoDraw' }, color: colour('band') },
      },
      {
        data: { values: fitData },
        mark: { type: 'rule', strokeDash: [3, 3], strokeWidth: 1, clip: true },
        encoding: { x: x('lo'), x2: { field: 'hi' }, y: { ...y, field: 'fitHiDraw' }, color: colour('band') },
      },
      {
        data: { values: fitData },
        mark: { type: 'rule', strokeWidth: 2, clip: true },
        encoding: { x: x('lo'), x2: { field: 'hi' }, y: { ...y, field: 'fit' }, color: colour('fit') },
      },
    );
  }
  upperLayers.push(
    srEdges,
    {
      data: { values: data },
      mark: { type: 'rule', strokeWidth: 1.2, clip: true },
      encoding: { x: x('centre'), y: { ...y, field: 'obsLoDraw' }, y2: { field: 'obsHiDraw' }, color: colour('data') },
    },
    {
      data: { values: data.filter((b) => b.observed > 0) },
      mark: { type: 'point', filled: true, size: 28, opacity: 1, clip: true },
      encoding: {
        x: x('centre'),
        y: { ...y, field: 'observed' },
        color: colour('data'),
        tooltip: [
          { field: 'lo', title: 'mjj lo [GeV]' },
          { field: 'hi', title: 'mjj hi [GeV]' },
          { field: 'observed' },
          { field: 'fit', format: '.1f' },
          { field: 'z', format: '.2f' },
        ],
      },
    },
  );
  upperLayers.push(...legendLayers(width, hasFit));
  const zAbs = Math.max(3, ...bins.map((b) => Math.abs(b.z)).filter(Number.isFinite));
  const zLim = Math.ceil(zAbs + 0.5);
  const lower = {
    width,
    height: 110,
    layer: [
      {
        data: { values: [{ y: 0 }] },
        mark: { type: 'rule', color: '#888' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: {
          values: data.map((b) => ({ ...b, zDraw: Number.isFinite(b.z) ? Math.max(-zLim, Math.min(zLim, b.z)) : 0 })),
        },
        mark: { type: 'rect', color: COLOURS.sig },
        encoding: {
          x: x('lo', { title: 'm_jj [GeV]', grid: false }),
          x2: { field: 'hi' },
          y: {
            field: 'zDraw',
            type: 'quantitative',
            scale: { domain: [-zLim, zLim], nice: false },
            axis: { title: 'Significance', tickCount: 5 },
          },
          y2: { datum: 0 },
        },
      },
      {
        data: { values: [{ edge: r.window.sr[0] }, { edge: r.window.sr[1] }] },
        mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5, color: COLOURS.sr },
        encoding: { x: x('edge', { title: 'm_jj [GeV]', grid: false }) },
      },
    ],
  };
  const sig = r.significance;
  const subtitle = [
    `${r.model ? `${r.model.background} + ${r.model.classifier}, ` : ''}SR [${r.window.sr[0]}, ${r.window.sr[1]}) GeV, ${workingPointText(r.workingPoint)}`,
    r.valid && sig?.z !== undefined
      ? `Z = ${sig.z.toFixed(2)}${sig.zRaw !== undefined ? ` (calibrated; raw ${sig.zRaw.toFixed(2)})` : ''} (obs ${fmtCount(sig.observed)}, exp ${fmtCount(sig.expected)} ± ${fmtCount(sig.expectedErr)})`
      : `INVALID, no significance: ${(r.invalid ?? []).map((v) => v.reason).join(', ') || r.error || 'no fit'}`,
    r.fit && r.fit.status === 'ok'
      ? `${r.fit.function}: χ²/ndf = ${r.fit.chi2.toFixed(1)}/${r.fit.ndf}, p = ${r.fit.pvalue.toFixed(3)}`
      : `fit failed: ${r.fit?.reason ?? r.error ?? 'no fit'}`,
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Window ${r.window.id}`, subtitle, anchor: 'start', fontSize: 15, subtitleFontSize: 11 },
    background: 'white',
    vconcat: [{ width, height: 280, layer: upperLayers }, lower],
    spacing: 4,
    config: { view: { stroke: '#444' }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11 } },
  } as unknown as VegaLiteSpec;
}

/** Hand-drawn legend in the top-right corner of the upper panel, in pixel coordinates. */
function legendLayers(width: number, hasFit: boolean): object[] {
  const entries: { label: string; glyph: 'data' | 'fit' | 'band' | 'sr' }[] = [{ label: 'Data', glyph: 'data' }];
  if (hasFit) entries.push({ label: 'Background fit', glyph: 'fit' }, { label: 'Fit uncertainty', glyph: 'band' });
  entries.push({ label: 'SR edges', glyph: 'sr' });
  const x0 = width - 128;
  const rows = entries.map((e, i) => ({ ...e, y: 14 + 17 * i, x0, x1: x0 + 22, xm: x0 + 11, xt: x0 + 30 }));
  const px = (field: string) => ({ field, type: 'quantitative', scale: null });
  const of = (glyph: string) => ({
    values: rows
      .filter((r) => r.glyph === glyph)
      .map((r) => ({ ...r, yLo: r.y - 5, yHi: r.y + 5, yTop: r.y - 8, yBottom: r.y + 8 })),
  });
  const layers: object[] = [
    {
      data: { values: [{ x: x0 - 8, x2: width - 4, y: 4, y2: 14 + 17 * (entries.length - 1) + 10 }] },
      mark: { type: 'rect', fill: 'white', opacity: 0.85, stroke: '#ccc' },
      encoding: { x: px('x'), x2: { field: 'x2' }, y: px('y'), y2: { field: 'y2' } },
    },
    {
      data: of('data'),
      mark: { type: 'rule', color: COLOURS.data, strokeWidth: 1.2 },
      encoding: { x: px('xm'), y: px('yLo'), y2: { field: 'yHi' } },
    },
    {
      data: of('data'),
      mark: { type: 'point', filled: true, size: 28, opacity: 1, color: COLOURS.data },
      encoding: { x: px('xm'), y: px('y') },
    },
    {
      data: of('sr'),
      mark: { type: 'rule', color: COLOURS.sr, strokeDash: [4, 3], strokeWidth: 1.5 },
      encoding: { x: px('xm'), y: px('yTop'), y2: { field: 'yBottom' } },
    },
    {
      data: { values: rows },
      mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 11 },
      encoding: { x: px('xt'), y: px('y'), text: { field: 'label' } },
    },
  ];
  if (hasFit) {
    layers.push(
      {
        data: of('band'),
        mark: { type: 'rect', color: COLOURS.band, opacity: 0.45 },
        encoding: { x: px('x0'), x2: { field: 'x1' }, y: px('yLo'), y2: { field: 'yHi' } },
      },
      {
        data: of('fit'),
        mark: { type: 'rule', color: COLOURS.fit, strokeWidth: 2 },
        encoding: { x: px('x0'), x2: { field: 'x1' }, y: px('y') },
      },
    );
  }
  return layers;
}

function fmtWidth(w: number): string {
  return Number.isInteger(w) ? String(w) : w.toFixed(1);
}

function fmtCount(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** Z of the merged SR bin against the SR centre, one line per working point, with the alert threshold. */
export function significanceSummary(
  results: WindowResult[],
  options: { threshold?: number; width?: number } = {},
): VegaLiteSpec | undefined {
  const rows = results
    .filter((r) => r.valid && r.significance?.z !== undefined && Number.isFinite(r.significance.z))
    .map((r) => ({
      window: r.window.id,
      centre: 0.5 * (r.window.sr[0] + r.window.sr[1]),
      z: r.significance!.z,
      p: r.significance!.p,
      wp: workingPointText(r.workingPoint),
    }));
  if (rows.length === 0) return undefined;
  const layers: object[] = [
    {
      data: { values: [{ y: 0 }] },
      mark: { type: 'rule', color: '#888' },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    },
    {
      data: { values: rows },
      mark: { type: 'line', point: { filled: true, size: 50 }, strokeWidth: 1.5 },
      encoding: {
        x: { field: 'centre', type: 'quantitative', scale: { zero: false }, axis: { title: 'SR centre m_jj [GeV]' } },
        y: { field: 'z', type: 'quantitative', axis: { title: 'Local significance Z [σ]' } },
        color: { field: 'wp', type: 'nominal', legend: { title: 'Working point' } },
        tooltip: [{ field: 'window' }, { field: 'wp' }, { field: 'z', format: '.2f' }, { field: 'p', format: '.2e' }],
      },
    },
  ];
  if (options.threshold !== undefined) {
    layers.push({
      data: { values: [{ y: options.threshold, label: `alert threshold Z = ${options.threshold}` }] },
      layer: [
        {
          mark: { type: 'rule', color: '#d62728', strokeDash: [6, 4] },
          encoding: { y: { field: 'y', type: 'quantitative' } },
        },
        {
          mark: { type: 'text', color: '#d62728', align: 'left', dx: 4, dy: -6, x: 0 },
          encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Local significance across windows', anchor: 'start', fontSize: 15 },
    background: 'white',
    width: options.width ?? 560,
    height: 260,
    layer: layers,
  } as unknown as VegaLiteSpec;
}

/**
 * One entry per distinct classifier evaluation. The classifier of a window is trained once and then cut at every
 * working point, so its results usually carry the same evaluation at each ε: show it once, labelled by window.
 */
export function distinctEvaluations(results: WindowResult[]): { label: string; result: WindowResult }[] {
  const byWindow = new Map<string, WindowResult[]>();
  for (const r of results) {
    if (!r.evaluation) continue;
    const list = byWindow.get(r.window.id) ?? [];
    list.push(r);
    byWindow.set(r.window.id, list);
  }
  const out: { label: string; result: WindowResult }[] = [];
  for (const [id, list] of byWindow) {
    const key = (r: WindowResult) => JSON.stringify(r.evaluation);
    if (list.every((r) => key(r) === key(list[0]!))) out.push({ label: id, result: list[0]! });
    else for (const r of list) out.push({ label: `${id} ${workingPointText(r.workingPoint)}`, result: r });
  }
  return out;
}

/** ROC (background rejection) and SIC curves of every evaluated window; undefined when none has a ROC. */
export function rocSicFigure(
  results: WindowResult[],
  options: { width?: number; maxPoints?: number } = {},
): VegaLiteSpec | undefined {
  const maxPoints = options.maxPoints ?? 200;
  const rows: { curve: string; tpr: number; rejection: number; sic: number }[] = [];
  for (const { label, result: r } of distinctEvaluations(results)) {
    const roc = r.evaluation?.roc;
    if (!roc || roc.fpr.length !== roc.tpr.length || roc.fpr.length === 0) continue;
    const curve = `${label} (AUC ${r.evaluation!.auc.toFixed(3)})`;
    // Thin long curves to maxPoints for a light SVG; the curve is monotone, so a stride keeps its shape.
    const stride = Math.max(1, Math.ceil(roc.fpr.length / maxPoints));
    for (let i = 0; i < roc.fpr.length; i += stride) {
      const fpr = roc.fpr[i]!;
      const tpr = roc.tpr[i]!;
      // 1/ε_B and ε_S/√ε_B are undefined at ε_B = 0 (no background left): not drawn.
      if (!(fpr > 0) || !(tpr > 0)) continue;
      rows.push({ curve, tpr, rejection: 1 / fpr, sic: tpr / Math.sqrt(fpr) });
    }
  }
  if (rows.length === 0) return undefined;
  const width = options.width ?? 330;
  const colour = {
    field: 'curve',
    type: 'nominal',
    scale: { scheme: 'tableau20' },
    legend: { title: null, orient: 'bottom', columns: 2, labelLimit: 600 },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Classifier performance (truth labels)', anchor: 'start', fontSize: 15 },
    background: 'white',
    data: { values: rows },
    hconcat: [
      {
        width,
        height: 240,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: {
            field: 'tpr',
            type: 'quantitative',
            scale: { domain: [0, 1] },
            axis: { title: 'Signal efficiency ε_S' },
          },
          y: {
            field: 'rejection',
            type: 'quantitative',
            scale: { type: 'log' },
            axis: { title: 'Background rejection 1/ε_B' },
          },
          color: colour,
          order: { field: 'tpr', type: 'quantitative' },
        },
      },
      {
        width,
        height: 240,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: {
            field: 'tpr',
            type: 'quantitative',
            scale: { domain: [0, 1] },
            axis: { title: 'Signal efficiency ε_S' },
          },
          y: { field: 'sic', type: 'quantitative', axis: { title: 'SIC ε_S/√ε_B' } },
          color: colour,
          order: { field: 'tpr', type: 'quantitative' },
        },
      },
    ],
  } as unknown as VegaLiteSpec;
}
