/**
 * Vega-Lite figure of a per-bin significance scan in the layout of seed 002 Fig. 5 (pure: numbers in, spec
 * out): top, the observed spectrum (points with Garwood 68 % error bars, log scale) with the smooth background
 * and, for generated histograms, the injected signal; bottom, the per-bin significance of one or more scanners
 * (seed 002 draws the network's Z_pred in red over the PLRT z_PL in blue), optionally over the conventional
 * signed per-bin Z as grey bars.
 */
import type { VegaLiteSpec } from './plot.js';
import { poissonInterval } from './report-specs.js';

export interface ZSeries {
  label: string;
  z: ArrayLike<number>;
  colour?: string;
}

export interface ScanFigureInput {
  title: string;
  subtitle?: string[];
  /** Bin edges (GeV, or bin numbers) and observed counts. */
  lo: ArrayLike<number>;
  hi: ArrayLike<number>;
  observed: ArrayLike<number>;
  background?: { label: string; values: ArrayLike<number> };
  /** Expected signal; drawn stacked on the background. */
  signal?: { label: string; values: ArrayLike<number> };
  series: ZSeries[];
  /** Signed per-bin counting Z, drawn as grey bars under the series. */
  counting?: { label: string; z: ArrayLike<number> };
  xTitle?: string;
  width?: number;
}

const COLOURS = { data: '#1f77b4', background: '#ff7f0e', signal: '#2ca02c', counting: '#bbbbbb' };
const SERIES_COLOURS = ['#1f4e9c', '#d62728', '#9467bd', '#8c564b'];

export function scanFigure(input: ScanFigureInput): VegaLiteSpec {
  const nb = input.observed.length;
  const width = input.width ?? 560;
  const rows = Array.from({ length: nb }, (_, i) => {
    const n = input.observed[i]!;
    const [nLo, nHi] = poissonInterval(n);
    const b = input.background?.values[i];
    const s = input.signal?.values[i];
    const lo = input.lo[i]!,
      hi = input.hi[i]!;
    const bs = b !== undefined && s !== undefined ? b + s : undefined;
    return { lo, hi, centre: 0.5 * (lo + hi), n, nLo, nHi, b, bs };
  });
  const positives = rows.flatMap((r) => [r.n, r.nHi, r.b ?? 0, r.bs ?? 0]).filter((v) => v > 0);
  const yMin = positives.length ? Math.max(0.1, 0.5 * Math.min(...positives)) : 0.1;
  const yMax = positives.length ? 2 * Math.max(...positives) : 10;
  const clampY = (v: number) => Math.min(yMax, Math.max(yMin, v));
  const xDomain = [rows[0]!.lo, rows[nb - 1]!.hi];
  const x = (field: string, axis: object | null) => ({
    field,
    type: 'quantitative',
    scale: { domain: xDomain, nice: false, zero: false },
    axis,
  });
  const decades: number[] = [];
  for (let d = Math.ceil(Math.log10(yMin)); d <= Math.floor(Math.log10(yMax)); d++) decades.push(10 ** d);
  const y = {
    type: 'quantitative',
    scale: { type: 'log', domain: [yMin, yMax], nice: false },
    axis: { title: 'Events / bin', values: decades, format: '~s' },
  };
  const xAxisLower = { title: input.xTitle ?? 'm_jj [GeV]', grid: false };
  // Upper legend inside the empty top-right of a falling spectrum; the lower one beside the panel, where the
  // significance lines can be anywhere.
  const legend = { title: null, orient: 'top-right', labelLimit: 400, fillColor: 'rgba(255,255,255,0.85)' };
  const legendLower = { title: null, orient: 'right', labelLimit: 400 };
  // A horizontal segment per bin, as a histogram is drawn.
  const steps = (values: object[], field: string, label: string) => ({
    data: { values },
    mark: { type: 'rule', strokeWidth: 2, clip: true },
    encoding: { x: x('lo', null), x2: { field: 'hi' }, y: { ...y, field }, color: { datum: label } },
  });

  const legendDomain: string[] = ['Data'];
  const legendRange: string[] = [COLOURS.data];
  const upper: object[] = [];
  if (input.background) {
    legendDomain.push(input.background.label);
    legendRange.push(COLOURS.background);
    upper.push(
      steps(
        rows.filter((r) => r.b !== undefined && r.b > 0),
        'b',
        input.background.label,
      ),
    );
  }
  if (input.signal && input.background) {
    legendDomain.push(input.signal.label);
    legendRange.push(COLOURS.signal);
    // Only the bins where the signal shows above the background line.
    const shows = rows.filter((r) => r.bs !== undefined && r.b !== undefined && r.bs > r.b * 1.0005);
    upper.push(steps(shows, 'bs', input.signal.label));
  }
  upper.push(
    {
      data: { values: rows.map((r) => ({ ...r, nLoDraw: clampY(r.nLo), nHiDraw: clampY(r.nHi) })) },
      mark: { type: 'rule', strokeWidth: 1.2, clip: true },
      encoding: {
        x: x('centre', null),
        y: { ...y, field: 'nLoDraw' },
        y2: { field: 'nHiDraw' },
        color: { datum: 'Data' },
      },
    },
    {
      data: { values: rows.filter((r) => r.n > 0) },
      mark: { type: 'point', filled: true, size: 22, opacity: 1, clip: true },
      encoding: {
        x: x('centre', null),
        y: { ...y, field: 'n' },
        color: { datum: 'Data', scale: { domain: legendDomain, range: legendRange }, legend },
        tooltip: [
          { field: 'lo' },
          { field: 'hi' },
          { field: 'n', title: 'observed' },
          { field: 'b', title: 'background', format: '.1f' },
        ],
      },
    },
  );

  const zRows: { centre: number; lo: number; hi: number; z: number; series: string }[] = [];
  const seriesDomain: string[] = [],
    seriesRange: string[] = [];
  input.series.forEach((s, k) => {
    seriesDomain.push(s.label);
    seriesRange.push(s.colour ?? SERIES_COLOURS[k % SERIES_COLOURS.length]!);
    for (let i = 0; i < nb; i++) {
      const z = s.z[i]!,
        r = rows[i]!;
      zRows.push({ centre: r.centre, lo: r.lo, hi: r.hi, z: Number.isFinite(z) ? z : 0, series: s.label });
    }
  });
  const finite = (z: number) => (Number.isFinite(z) ? z : 0);
  const counting = input.counting ? rows.map((r, i) => ({ lo: r.lo, hi: r.hi, z: finite(input.counting!.z[i]!) })) : [];
  const allZ = [...zRows.map((r) => r.z), ...counting.map((r) => r.z)];
  const zHi = Math.ceil(Math.max(3, ...allZ) + 0.5),
    zLo = Math.floor(Math.min(0, ...allZ) - 0.5);
  const zScale = { domain: [zLo, zHi], nice: false };
  const lower: object[] = [
    {
      data: { values: [{ y: 0 }] },
      mark: { type: 'rule', color: '#888' },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    },
  ];
  if (input.counting) {
    seriesDomain.push(input.counting.label);
    seriesRange.push(COLOURS.counting);
    lower.push({
      data: { values: counting },
      mark: { type: 'rect' },
      encoding: {
        x: x('lo', xAxisLower),
        x2: { field: 'hi' },
        y: { field: 'z', type: 'quantitative', scale: zScale },
        y2: { datum: 0 },
        color: { datum: input.counting.label },
      },
    });
  }
  lower.push({
    data: { values: zRows },
    mark: { type: 'line', interpolate: 'step', strokeWidth: 1.8 },
    encoding: {
      x: x('centre', xAxisLower),
      y: { field: 'z', type: 'quantitative', scale: zScale, axis: { title: 'Significance [σ]', tickCount: 5 } },
      color: {
        field: 'series',
        type: 'nominal',
        scale: { domain: seriesDomain, range: seriesRange },
        legend: legendLower,
      },
      tooltip: [{ field: 'series' }, { field: 'lo' }, { field: 'hi' }, { field: 'z', format: '.2f' }],
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: input.title, subtitle: input.subtitle ?? [], anchor: 'start', fontSize: 15, subtitleFontSize: 11 },
    background: 'white',
    vconcat: [
      { width, height: 260, layer: upper, resolve: { scale: { color: 'shared' } } },
      { width, height: 150, layer: lower },
    ],
    resolve: { scale: { color: 'independent' } },
    spacing: 6,
    config: { view: { stroke: '#444' }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11 } },
  } as unknown as VegaLiteSpec;
}
