/**
 * Vega-Lite specifications of the run report's figures, built from WindowResults (pure: results in, specs out).
 *
 * - poissonInterval: the Garwood intervals of the data points (the window figure itself is hep-specs.ts's).
 * - significanceSummary: local Z of the merged SR bin against the SR centre, one line per working point
 *   (seed 000 Figs. 3–4 as a scan), with the alert threshold.
 * - rocSicFigure: background rejection 1/ε_B and significance improvement ε_S/√ε_B against ε_S, where truth
 *   labels gave an evaluation.
 */
import type { VegaLiteSpec } from './plot.js';
import type { WindowResult } from '../events/result.js';
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

/**
 * A learned background template beside the SR data it stands for, one panel per feature (the template's
 * `distributions`): data as points with √N bars, the template (scaled to the data's count) as a step line, and
 * the true SR background dashed where truth labels exist. Undefined for results without a learned template.
 */
export function templateFigure(r: WindowResult, options: { width?: number } = {}): VegaLiteSpec | undefined {
  const dists = r.model?.template?.distributions;
  if (!dists?.length) return undefined;
  const rows: { feature: string; x: number; count: number; lo: number; hi: number; sample: string }[] = [];
  for (const d of dists) {
    const centre = (k: number) => 0.5 * (d.edges[k]! + d.edges[k + 1]!);
    const add = (sample: string, counts: number[] | undefined) =>
      counts?.forEach((c, k) => rows.push({ feature: d.feature, x: centre(k), count: c, lo: c, hi: c, sample }));
    d.data.forEach((c, k) =>
      rows.push({
        feature: d.feature,
        x: centre(k),
        count: c,
        lo: c - Math.sqrt(c),
        hi: c + Math.sqrt(c),
        sample: 'SR data',
      }),
    );
    add(`template (${r.model!.template!.model})`, d.template);
    add('true SR background', d.background);
  }
  const colour = {
    field: 'sample',
    type: 'nominal',
    scale: { range: ['#222222', '#d62728', '#1f77b4'] },
    legend: { title: null, orient: 'bottom' },
  };
  const isData = { field: 'sample', equal: 'SR data' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${r.window.id}: template beside the SR data`, anchor: 'start', fontSize: 14 },
    background: 'white',
    data: { values: rows },
    facet: { column: { field: 'feature', type: 'nominal', title: null, sort: dists.map((d) => d.feature) } },
    spec: {
      width: options.width ?? 200,
      height: 160,
      layer: [
        {
          transform: [{ filter: { not: isData } }],
          mark: { type: 'line', interpolate: 'step', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: { zero: false }, axis: { title: null } },
            y: { field: 'count', type: 'quantitative', axis: { title: 'Events / bin' } },
            color: colour,
            strokeDash: {
              condition: { test: "datum.sample === 'true SR background'", value: [5, 3] },
              value: [1, 0],
            },
          },
        },
        {
          transform: [{ filter: isData }],
          mark: { type: 'rule' },
          encoding: {
            x: { field: 'x', type: 'quantitative' },
            y: { field: 'lo', type: 'quantitative' },
            y2: { field: 'hi' },
            color: colour,
          },
        },
        {
          transform: [{ filter: isData }],
          mark: { type: 'point', filled: true, size: 16 },
          encoding: {
            x: { field: 'x', type: 'quantitative' },
            y: { field: 'count', type: 'quantitative' },
            color: colour,
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  } as unknown as VegaLiteSpec;
}
