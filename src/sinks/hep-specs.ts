/**
 * Publication figures in the conventions of the field (mplhep, the CMS and ATLAS styles it implements), as Vega
 * specs (Vega rather than Vega-Lite: inward ticks on all four sides, minor ticks, axis titles at the axis ends and a
 * two-word experiment label need the lower-level grammar):
 *
 * - hepWindowFigure: one window and working point. The experiment label above the frame ("sideband" bold,
 *   the status italic) with "L fb⁻¹ (√s TeV)" on the right, as mplhep's exp_label; data as black points with
 *   Garwood 68 % Poisson intervals; the background fit as a line with its ±1σ band; the SR shaded; log y titled
 *   "Events / N GeV"; a pull panel below sharing the x axis.
 * - hepSicFigure: the SIC curve of one window's classifier, median over the ensemble members with the band of the
 *   16th–84th percentiles of the members, the ensemble's own curve (mean score), and the random-cut reference √ε_S.
 *
 * The figures are drawn in px at screen size; plot.ts printSvg sets their physical size for print (fonts then
 * come out at 8–11 pt at the default 12 cm width).
 */
import type { Spec } from 'vega';
import type { WindowResult } from '../events/result.js';
import { measureText } from './plot.js';
import { poissonInterval, workingPointText } from './report-specs.js';

/** The experiment-style label: `experiment` in bold, `status` in italic, luminosity and √s on the right. */
export interface PlotLabel {
  /** Bold word, e.g. the experiment or the tool ("CMS", "ATLAS", "sideband"). */
  experiment: string;
  /** Italic word after it, e.g. "Simulation", "Preliminary", "Open Data"; none when absent. */
  status?: string;
  /** Centre-of-mass energy in TeV. */
  sqrtS?: number;
  /** Integrated luminosity in fb⁻¹; no luminosity is shown when absent (generated data have none). */
  lumi?: number;
}

export const DEFAULT_LABEL: PlotLabel = { experiment: 'sideband' };

const FONT = 'DejaVu Sans';
const SIZE = { tick: 13, title: 15, label: 17, status: 15, right: 14, legend: 12.5, info: 12.5 };
const COLOURS = { data: '#000000', fit: '#d62728', band: '#fdae6b', sr: '#c6dbef', pull: '#7f7f7f' };

/** Number in the label: up to three significant digits, no trailing zeros. */
function short(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** mplhep's right-hand label: "139 fb⁻¹ (13 TeV)", "(13 TeV)" without a luminosity, "" with neither. */
export function rightLabelText(label: PlotLabel): string {
  const lumi = label.lumi !== undefined ? `${short(label.lumi)} fb⁻¹` : '';
  const com = label.sqrtS !== undefined ? `(${short(label.sqrtS)} TeV)` : '';
  return [lumi, com].filter(Boolean).join(' ');
}

const text = (
  x: number,
  y: number,
  value: string,
  o: {
    size: number;
    weight?: 'normal' | 'bold';
    style?: 'normal' | 'italic';
    align?: 'left' | 'right' | 'center';
    baseline?: 'alphabetic' | 'top' | 'middle' | 'bottom';
    angle?: number;
    name?: string;
  },
) => ({
  type: 'text',
  ...(o.name ? { name: o.name } : {}),
  encode: {
    enter: {
      x: { value: x },
      y: { value: y },
      text: { value },
      font: { value: FONT },
      fontSize: { value: o.size },
      fontWeight: { value: o.weight ?? 'normal' },
      fontStyle: { value: o.style ?? 'normal' },
      align: { value: o.align ?? 'left' },
      baseline: { value: o.baseline ?? 'alphabetic' },
      angle: { value: o.angle ?? 0 },
      fill: { value: '#000000' },
    },
  },
});

/** The experiment label above the frame: bold experiment, italic status (placed by its measured width), right text. */
function labelMarks(label: PlotLabel, width: number): object[] {
  const y = -7;
  const marks: object[] = [
    text(0, y, label.experiment, { size: SIZE.label, weight: 'bold', name: 'label-experiment' }),
  ];
  if (label.status) {
    const x = measureText(`${label.experiment} `, { size: SIZE.label, weight: 'bold', font: FONT });
    marks.push(text(x, y, label.status, { size: SIZE.status, style: 'italic', name: 'label-status' }));
  }
  const right = rightLabelText(label);
  if (right) marks.push(text(width, y, right, { size: SIZE.right, align: 'right', name: 'label-right' }));
  return marks;
}

/** A run of an axis title: plain, italic, or a subscript (smaller, lowered). */
interface TitleRun {
  t: string;
  italic?: boolean;
  sub?: boolean;
}

/**
 * An axis title set at the end of its axis as mplhep does (x: right end, below the axis; y: top end, rotated),
 * from runs of text so that subscripts (m_jj, ε_S) are real subscripts. Runs are placed from the end backwards by
 * their measured widths.
 */
function richTitle(runs: TitleRun[], x: number, y: number, vertical: boolean, name: string): object[] {
  const out: object[] = [];
  let offset = 0;
  for (let k = runs.length - 1; k >= 0; k--) {
    const run = runs[k]!;
    const size = run.sub ? SIZE.title * 0.72 : SIZE.title;
    const style = run.italic ? ('italic' as const) : ('normal' as const);
    const drop = run.sub ? 4 : 0;
    const px = vertical ? x + drop : x - offset;
    const py = vertical ? y + offset : y + drop;
    out.push(
      text(px, py, run.t, {
        size,
        style,
        align: 'right',
        angle: vertical ? -90 : 0,
        baseline: 'alphabetic',
        ...(k === 0 ? { name } : {}),
      }),
    );
    offset += measureText(run.t, { size, style, font: FONT });
  }
  return out;
}

/** Vega expression labelling a power of ten 10ⁿ with a Unicode superscript, as matplotlib labels a log axis. */
const E = 'round(log(datum.value) / LN10)';
const POWER_OF_TEN_LABEL = `'10' + (${E} < 0 ? '⁻' : '') + substring('⁰¹²³⁴⁵⁶⁷⁸⁹', abs(${E}), abs(${E}) + 1)`;

/** Major (powers of ten) and minor (2–9 × 10ⁿ) tick values of a log axis over [lo, hi]. */
function logTicks(lo: number, hi: number): { major: number[]; minor: number[] } {
  const major: number[] = [];
  const minor: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const p = 10 ** e;
    if (p >= lo * (1 - 1e-9) && p <= hi * (1 + 1e-9)) major.push(p);
    for (let k = 2; k <= 9; k++) if (k * p >= lo && k * p <= hi) minor.push(k * p);
  }
  return { major, minor };
}

export interface Ticks {
  major: number[];
  minor: number[];
}

/** Nice linear ticks over [lo, hi] with at most `maxLabels` labelled (major) ticks and 4–5 minor per major. */
export function linearTicks(lo: number, hi: number, maxLabels: number): Ticks {
  const span = hi - lo;
  const raw = span / Math.max(1, maxLabels - 1);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * p).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * p;
  const minorStep = step / (Math.abs(step / p - 2.5) < 1e-9 || Math.abs(step / p - 5) < 1e-9 ? 5 : 4);
  const grid = (d: number) => {
    const out: number[] = [];
    for (let k = Math.ceil(lo / d - 1e-9); k * d <= hi + 1e-9 * span; k++) out.push(Number((k * d).toPrecision(12)));
    return out;
  };
  const major = grid(step);
  return { major, minor: grid(minorStep).filter((v) => !major.some((m) => Math.abs(m - v) < 1e-9 * span)) };
}

/**
 * Frame axes with inward ticks on all four sides (mplhep: direction "in", top and right on), major and minor.
 * `yHide`: major values left unlabelled, where a label would collide with the next panel's.
 */
function frameAxes(
  x: string,
  y: string,
  o: { x: Ticks; y: Ticks; xLabels: boolean; xFormat: string; yFormat: 'power' | string; yHide?: number[] },
): object[] {
  const common = {
    domain: true,
    domainColor: '#000000',
    domainWidth: 1.2,
    tickColor: '#000000',
    tickWidth: 1,
    grid: false,
    labelFont: FONT,
    labelFontSize: SIZE.tick,
    labelColor: '#000000',
    zindex: 1,
  };
  const major = { ...common, tickSize: -7, labelPadding: 11 };
  const minor = { ...common, tickSize: -3.5, labels: false, domain: false };
  const hide = JSON.stringify(o.yHide ?? []);
  const yText = o.yFormat === 'power' ? POWER_OF_TEN_LABEL : `format(datum.value, ${JSON.stringify(o.yFormat)})`;
  const yLabels = {
    labels: { update: { text: { signal: `indexof(${hide}, datum.value) >= 0 ? '' : ${yText}` } } },
  };
  const axis = (orient: string, scale: string, t: Ticks, labels: boolean, extra: object = {}) => [
    { ...major, orient, scale, values: t.major, labels, ...(labels ? extra : {}) },
    { ...minor, orient, scale, values: t.minor },
  ];
  return [
    ...axis('bottom', x, o.x, o.xLabels, { format: o.xFormat }),
    ...axis('top', x, o.x, false),
    ...axis('left', y, o.y, true, { encode: yLabels }),
    ...axis('right', y, o.y, false),
  ];
}

export interface PullBin {
  lo: number;
  hi: number;
  centre: number;
  observed: number;
  obsLo: number;
  obsHi: number;
  fit?: number;
  fitErr?: number;
  /**
   * (data − fit) / σ with σ² = σ_data² + σ_fit², σ_data the Garwood error on the side facing the fit (the upper one
   * when data fall below the fit), so that an empty bin under a fit of a few events pulls by about −b/1.84.
   */
  pull?: number;
}

/** The bins of a result with Garwood intervals and pulls; undefined without a histogram. */
export function pullBins(r: WindowResult): PullBin[] | undefined {
  const h = r.histogram;
  if (!h || h.counts.length === 0 || h.edges.length !== h.counts.length + 1) return undefined;
  const fit = r.fit && r.fit.status === 'ok' && r.fit.prediction.length === h.counts.length ? r.fit : undefined;
  return h.counts.map((n, i) => {
    const [obsLo, obsHi] = poissonInterval(n);
    const lo = h.edges[i]!;
    const hi = h.edges[i + 1]!;
    const bin: PullBin = { lo, hi, centre: 0.5 * (lo + hi), observed: n, obsLo, obsHi };
    if (fit) {
      const b = fit.prediction[i]!;
      const e = fit.predictionErr[i] ?? 0;
      const sd = n >= b ? n - obsLo : obsHi - n;
      const s = Math.hypot(sd, e);
      bin.fit = b;
      bin.fitErr = e;
      if (s > 0 && Number.isFinite(b)) bin.pull = (n - b) / s;
    }
    return bin;
  });
}

export interface HepFigureOptions {
  label?: PlotLabel;
  width?: number;
}

function fmtWidth(w: number): string {
  return Number.isInteger(w) ? String(w) : w.toFixed(1);
}

/** The window figure in mplhep style; undefined when the result has no histogram. */
export function hepWindowFigure(r: WindowResult, options: HepFigureOptions = {}): Spec | undefined {
  const bins = pullBins(r);
  if (!bins) return undefined;
  const label = options.label ?? DEFAULT_LABEL;
  const W = options.width ?? 470;
  const H1 = 330;
  const H2 = 115;
  const xLo = bins[0]!.lo;
  const xHi = bins[bins.length - 1]!.hi;
  const hasFit = bins.some((b) => b.fit !== undefined);
  const positives = bins.flatMap((b) => [b.observed, b.obsHi, b.fit ?? 0]).filter((v) => v > 0);
  const top = positives.length ? Math.max(...positives) : 10;
  const bottom = Math.max(0.1, positives.length ? 0.5 * Math.min(...positives) : 0.1);
  // Headroom above the highest point for the legend and the text (mplhep leaves a third of the frame free).
  const yMin = Math.max(0.1, 10 ** Math.floor(Math.log10(bottom)));
  const yMax = 10 ** (Math.log10(top) + 0.55 * (Math.log10(top) - Math.log10(yMin)));
  const clampY = (v: number) => Math.min(yMax, Math.max(yMin, v));
  const data = bins.map((b) => ({ ...b, obsLoDraw: clampY(b.obsLo), obsHiDraw: clampY(b.obsHi) }));

  // The fit as a line through the per-bin predictions at the bin centres, extended to the outer edges on the log
  // scale, with its ±1σ band (the fit-parameter uncertainty the statistics use).
  const fitPts = bins.filter((b) => b.fit !== undefined && b.fit > 0);
  const fitLine: { m: number; fit: number; lo: number; hi: number }[] = fitPts.map((b) => ({
    m: b.centre,
    fit: b.fit!,
    lo: clampY(b.fit! - b.fitErr!),
    hi: clampY(b.fit! + b.fitErr!),
  }));
  if (fitLine.length >= 2) {
    const ext = (a: (typeof fitLine)[0], b: (typeof fitLine)[0], m: number) => {
      const t = (m - a.m) / (b.m - a.m);
      const g = (u: number, v: number) => Math.exp(Math.log(u) + t * (Math.log(v) - Math.log(u)));
      return { m, fit: g(a.fit, b.fit), lo: clampY(g(a.lo, b.lo)), hi: clampY(g(a.hi, b.hi)) };
    };
    if (fitPts[0]!.lo === xLo) fitLine.unshift(ext(fitLine[0]!, fitLine[1]!, xLo));
    const n = fitLine.length;
    if (fitPts[fitPts.length - 1]!.hi === xHi) fitLine.push(ext(fitLine[n - 2]!, fitLine[n - 1]!, xHi));
  }

  const widths = bins.map((b) => b.hi - b.lo);
  const uniform = widths.every((w) => Math.abs(w - widths[0]!) < 1e-9);
  const yTitle = uniform ? `Events / ${fmtWidth(widths[0]!)} GeV` : 'Events / bin';
  const pulls = bins.map((b) => b.pull).filter((p): p is number => p !== undefined && Number.isFinite(p));
  const pullLim = Math.max(3, Math.ceil(Math.max(0, ...pulls.map(Math.abs)) + 0.5));
  const pullData = bins
    .filter((b) => b.pull !== undefined && Number.isFinite(b.pull))
    .map((b) => ({ lo: b.lo, hi: b.hi, pull: Math.max(-pullLim, Math.min(pullLim, b.pull!)) }));
  const sr = { lo: Math.max(xLo, r.window.sr[0]), hi: Math.min(xHi, r.window.sr[1]) };

  const sig = r.significance;
  const info = [
    `${workingPointText(r.workingPoint)}, SR ${short(r.window.sr[0] / 1000)}–${short(r.window.sr[1] / 1000)} TeV`,
    r.valid && sig?.z !== undefined
      ? `Z = ${sig.z.toFixed(2)} σ (local${sig.zRaw !== undefined ? ', calibrated' : ''})`
      : `invalid: ${(r.invalid ?? []).map((v) => v.reason).join(', ') || r.error || 'no fit'}`,
  ];

  // Legend in the upper right, drawn by hand so that each entry shows its own glyph.
  const entries: { label: string; glyph: 'data' | 'fit' | 'sr' }[] = [
    { label: 'Data', glyph: 'data' },
    ...(hasFit ? [{ label: 'Background fit ± 1σ', glyph: 'fit' as const }] : []),
    { label: 'Signal region', glyph: 'sr' },
  ];
  const legendW = Math.max(...entries.map((e) => measureText(e.label, { size: SIZE.legend, font: FONT }))) + 36;
  const lx = W - legendW - 8;
  const legend: object[] = [];
  entries.forEach((e, k) => {
    const y = 16 + 19 * k;
    if (e.glyph === 'data')
      legend.push(
        {
          type: 'rule',
          encode: {
            enter: {
              x: { value: lx + 11 },
              y: { value: y - 6 },
              y2: { value: y + 6 },
              stroke: { value: COLOURS.data },
              strokeWidth: { value: 1.4 },
            },
          },
        },
        {
          type: 'symbol',
          encode: {
            enter: {
              x: { value: lx + 11 },
              y: { value: y },
              size: { value: 30 },
              fill: { value: COLOURS.data },
              shape: { value: 'circle' },
            },
          },
        },
      );
    if (e.glyph === 'fit')
      legend.push(
        {
          type: 'rect',
          encode: {
            enter: {
              x: { value: lx },
              x2: { value: lx + 22 },
              y: { value: y - 5 },
              y2: { value: y + 5 },
              fill: { value: COLOURS.band },
              opacity: { value: 0.7 },
            },
          },
        },
        {
          type: 'rule',
          encode: {
            enter: {
              x: { value: lx },
              x2: { value: lx + 22 },
              y: { value: y },
              stroke: { value: COLOURS.fit },
              strokeWidth: { value: 2 },
            },
          },
        },
      );
    if (e.glyph === 'sr')
      legend.push({
        type: 'rect',
        encode: {
          enter: {
            x: { value: lx },
            x2: { value: lx + 22 },
            y: { value: y - 6 },
            y2: { value: y + 6 },
            fill: { value: COLOURS.sr },
            opacity: { value: 0.8 },
          },
        },
      });
    legend.push({
      ...text(lx + 30, y, e.label, { size: SIZE.legend, baseline: 'middle' }),
      name: `legend-${e.glyph}`,
    });
  });

  const srRect = (height: number) => ({
    type: 'rect',
    name: 'signal-region',
    clip: true,
    encode: {
      enter: {
        x: { scale: 'x', value: sr.lo },
        x2: { scale: 'x', value: sr.hi },
        y: { value: 0 },
        y2: { value: height },
        fill: { value: COLOURS.sr },
        opacity: { value: 0.55 },
      },
    },
  });

  const upperMarks: object[] = [srRect(H1)];
  if (fitLine.length) {
    upperMarks.push(
      {
        type: 'area',
        name: 'fit-band',
        clip: true,
        from: { data: 'fit' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'm' },
            y: { scale: 'yUp', field: 'lo' },
            y2: { scale: 'yUp', field: 'hi' },
            fill: { value: COLOURS.band },
            opacity: { value: 0.7 },
            interpolate: { value: 'monotone' },
          },
        },
      },
      {
        type: 'line',
        name: 'fit-line',
        clip: true,
        from: { data: 'fit' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'm' },
            y: { scale: 'yUp', field: 'fit' },
            stroke: { value: COLOURS.fit },
            strokeWidth: { value: 2 },
            interpolate: { value: 'monotone' },
          },
        },
      },
    );
  }
  upperMarks.push(
    {
      type: 'rule',
      name: 'data-interval',
      clip: true,
      from: { data: 'bins' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'centre' },
          y: { scale: 'yUp', field: 'obsLoDraw' },
          y2: { scale: 'yUp', field: 'obsHiDraw' },
          stroke: { value: COLOURS.data },
          strokeWidth: { value: 1.4 },
        },
      },
    },
    {
      type: 'symbol',
      name: 'data-points',
      clip: true,
      from: { data: 'binsFilled' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'centre' },
          y: { scale: 'yUp', field: 'observed' },
          size: { value: 30 },
          shape: { value: 'circle' },
          fill: { value: COLOURS.data },
        },
      },
    },
    ...info.map((t, k) => text(12, 22 + 18 * k, t, { size: SIZE.info, name: `info-${k}` })),
    ...legend,
  );

  const lowerMarks: object[] = [
    srRect(H2),
    {
      type: 'rule',
      encode: {
        enter: {
          x: { value: 0 },
          x2: { value: W },
          y: { scale: 'yPull', value: 0 },
          stroke: { value: '#000000' },
          strokeWidth: { value: 0.8 },
        },
      },
    },
    {
      type: 'rect',
      name: 'pulls',
      clip: true,
      from: { data: 'pulls' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'lo', offset: 0.5 },
          x2: { scale: 'x', field: 'hi', offset: -0.5 },
          y: { scale: 'yPull', field: 'pull' },
          y2: { scale: 'yPull', value: 0 },
          fill: { value: COLOURS.pull },
        },
      },
    },
  ];
  const pullTitle = '(Data − Fit) / σ';
  const yTicks = logTicks(yMin, yMax);
  const useMinorOnly = yTicks.major.length < 2;
  const xTicks = linearTicks(xLo, xHi, 6);
  // Pull ticks at even integers inside the panel, so that no label sits on the frame edge.
  const pullTicks: number[] = [];
  for (let v = -2 * Math.floor((pullLim - 0.5) / 2); v < pullLim - 0.4; v += 2) pullTicks.push(v);

  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    description: `Window ${r.window.id}, ${workingPointText(r.workingPoint)}`,
    background: 'white',
    padding: { left: 66, right: 24, top: 30, bottom: 46 },
    autosize: 'none',
    width: W,
    height: H1 + H2,
    data: [
      { name: 'bins', values: data },
      { name: 'binsFilled', values: data.filter((b) => b.observed > 0) },
      { name: 'fit', values: fitLine },
      { name: 'pulls', values: pullData },
    ],
    scales: [{ name: 'x', type: 'linear', domain: [xLo, xHi], range: [0, W], nice: false, zero: false }],
    marks: [
      {
        type: 'group',
        name: 'upper',
        encode: { enter: { x: { value: 0 }, y: { value: 0 }, width: { value: W }, height: { value: H1 } } },
        scales: [{ name: 'yUp', type: 'log', domain: [yMin, yMax], range: [H1, 0], nice: false, zero: false }],
        axes: frameAxes('x', 'yUp', {
          x: xTicks,
          y: useMinorOnly ? { major: [...yTicks.major, ...yTicks.minor].sort((a, b) => a - b), minor: [] } : yTicks,
          xLabels: false,
          xFormat: 'd',
          yFormat: useMinorOnly ? '~g' : 'power',
          // The lowest label would sit on the pull panel's top one.
          yHide: [yMin],
        }),
        marks: upperMarks,
      },
      {
        type: 'group',
        name: 'lower',
        encode: { enter: { x: { value: 0 }, y: { value: H1 }, width: { value: W }, height: { value: H2 } } },
        scales: [
          {
            name: 'yPull',
            type: 'linear',
            domain: [-pullLim, pullLim],
            range: [H2, 0],
            nice: false,
            zero: false,
          },
        ],
        axes: frameAxes('x', 'yPull', {
          x: xTicks,
          y: { major: pullTicks, minor: [] },
          xLabels: true,
          xFormat: 'd',
          yFormat: 'd',
        }),
        marks: lowerMarks,
      },
      ...labelMarks(label, W),
      ...richTitle([{ t: yTitle }], -52, 0, true, 'y-title'),
      text(-50, H1 + H2 / 2, pullTitle, {
        size: SIZE.title * 0.8,
        align: 'center',
        angle: -90,
        baseline: 'bottom',
        name: 'pull-title',
      }),
      ...richTitle(
        [{ t: 'm', italic: true }, { t: 'jj', italic: true, sub: true }, { t: ' [GeV]' }],
        W,
        H1 + H2 + 38,
        false,
        'x-title',
      ),
    ],
  } as unknown as Spec;
}

/** Percentile q (0–1) of sorted values, linear between order statistics (NumPy's default). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i]! + f * (sorted[i + 1]! - sorted[i]!) : sorted[i]!;
}

export interface SicBand {
  tpr: number;
  median: number;
  lo: number;
  hi: number;
  members: number;
}

/**
 * Median and 16th–84th percentiles of the members' SIC at each signal efficiency, where at least two members
 * have a SIC there (the others are under the background guard).
 */
export function sicBands(r: WindowResult): SicBand[] | undefined {
  const m = r.evaluation?.members;
  if (!m || m.sic.length < 2) return undefined;
  const out: SicBand[] = [];
  m.tpr.forEach((t, k) => {
    const v = m.sic
      .map((curve) => curve[k])
      .filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
      .sort((a, b) => a - b);
    if (v.length >= 2)
      out.push({ tpr: t, median: quantile(v, 0.5), lo: quantile(v, 0.16), hi: quantile(v, 0.84), members: v.length });
  });
  return out.length ? out : undefined;
}

/** The SIC figure of one window's classifier in mplhep style; undefined without per-member curves. */
export function hepSicFigure(r: WindowResult, options: HepFigureOptions = {}): Spec | undefined {
  const bands = sicBands(r);
  if (!bands) return undefined;
  const label = options.label ?? DEFAULT_LABEL;
  const W = options.width ?? 470;
  const H = 330;
  const members = r.evaluation!.members!.sic.length;
  // The ensemble's own curve (mean score), guarded like the members'; absent in results written before it existed.
  const ens = r.evaluation!.members!.ensemble;
  const ensemble = (ens ?? [])
    .map((v, k) => ({ tpr: r.evaluation!.members!.tpr[k]!, sic: v }))
    .filter((p): p is { tpr: number; sic: number } => typeof p.sic === 'number' && Number.isFinite(p.sic));
  const random = Array.from({ length: 51 }, (_, k) => ({ tpr: k / 50, sic: Math.sqrt(k / 50) }));
  const yTop = 1.4 * Math.max(1, ...bands.map((b) => b.hi), ...ensemble.map((p) => p.sic));
  const yTicks = linearTicks(0, yTop, 6);
  const yFormat = yTicks.major.every(Number.isInteger) ? 'd' : '.1f';
  const entries = [
    { label: `Median of ${members} members`, kind: 'median' },
    { label: '68 % of members', kind: 'band' },
    ...(ensemble.length ? [{ label: 'Ensemble (mean score)', kind: 'ensemble' }] : []),
    { label: 'Random selection', kind: 'random' },
  ];
  const legendW = Math.max(...entries.map((e) => measureText(e.label, { size: SIZE.legend, font: FONT }))) + 36;
  const lx = W - legendW - 8;
  const lineGlyph = (y: number, stroke: string, dash: number[] = []) => ({
    type: 'rule',
    encode: {
      enter: {
        x: { value: lx },
        x2: { value: lx + 22 },
        y: { value: y },
        stroke: { value: stroke },
        strokeWidth: { value: 2 },
        strokeDash: { value: dash },
      },
    },
  });
  const legend: object[] = [];
  entries.forEach((e, k) => {
    const y = 16 + 19 * k;
    if (e.kind === 'median') legend.push(lineGlyph(y, '#1f77b4'));
    if (e.kind === 'band')
      legend.push({
        type: 'rect',
        encode: {
          enter: {
            x: { value: lx },
            x2: { value: lx + 22 },
            y: { value: y - 6 },
            y2: { value: y + 6 },
            fill: { value: '#1f77b4' },
            opacity: { value: 0.3 },
          },
        },
      });
    if (e.kind === 'ensemble') legend.push(lineGlyph(y, '#000000', [6, 3]));
    if (e.kind === 'random') legend.push(lineGlyph(y, '#7f7f7f', [2, 3]));
    legend.push({ ...text(lx + 30, y, e.label, { size: SIZE.legend, baseline: 'middle' }), name: `legend-${e.kind}` });
  });
  const line = (name: string, from: string, stroke: string, dash: number[], y = 'sic') => ({
    type: 'line',
    name,
    clip: true,
    from: { data: from },
    encode: {
      enter: {
        x: { scale: 'x', field: 'tpr' },
        y: { scale: 'y', field: y },
        stroke: { value: stroke },
        strokeWidth: { value: 2 },
        strokeDash: { value: dash },
      },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    description: `SIC of window ${r.window.id}`,
    background: 'white',
    padding: { left: 66, right: 24, top: 30, bottom: 46 },
    autosize: 'none',
    width: W,
    height: H,
    data: [
      { name: 'bands', values: bands },
      { name: 'ensemble', values: ensemble },
      { name: 'random', values: random },
    ],
    scales: [
      { name: 'x', type: 'linear', domain: [0, 1], range: [0, W], nice: false, zero: false },
      { name: 'y', type: 'linear', domain: [0, yTop], range: [H, 0], nice: false, zero: true },
    ],
    marks: [
      {
        type: 'group',
        name: 'frame',
        encode: { enter: { x: { value: 0 }, y: { value: 0 }, width: { value: W }, height: { value: H } } },
        axes: frameAxes('x', 'y', {
          x: linearTicks(0, 1, 6),
          y: yTicks,
          xLabels: true,
          xFormat: '.1f',
          yFormat,
          yHide: [0],
        }),
        marks: [
          {
            type: 'area',
            name: 'member-band',
            clip: true,
            from: { data: 'bands' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'tpr' },
                y: { scale: 'y', field: 'lo' },
                y2: { scale: 'y', field: 'hi' },
                fill: { value: '#1f77b4' },
                opacity: { value: 0.3 },
              },
            },
          },
          line('member-median', 'bands', '#1f77b4', [], 'median'),
          ...(ensemble.length ? [line('ensemble', 'ensemble', '#000000', [6, 3])] : []),
          line('random', 'random', '#7f7f7f', [2, 3]),
          text(12, 22, `${r.window.id}: SR ${short(r.window.sr[0] / 1000)}–${short(r.window.sr[1] / 1000)} TeV`, {
            size: SIZE.info,
            name: 'info-0',
          }),
          text(12, 40, `${r.model ? `${r.model.classifier}, ` : ''}truth labels in the SR`, {
            size: SIZE.info,
            name: 'info-1',
          }),
          ...legend,
        ],
      },
      ...labelMarks(label, W),
      ...richTitle(
        [{ t: 'SIC = ε' }, { t: 'S', sub: true }, { t: ' / √ε' }, { t: 'B', sub: true }],
        -40,
        0,
        true,
        'y-title',
      ),
      ...richTitle([{ t: 'Signal efficiency ε' }, { t: 'S', sub: true }], W, H + 38, false, 'x-title'),
    ],
  } as unknown as Spec;
}
