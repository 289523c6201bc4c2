/**
 * The template beside the data (issue 13 item 8): per feature, the SR data, the template (weighted, scaled to the
 * SR data's count) and, where truth labels exist, the true SR background, histogrammed on common bins, so the
 * report can draw what the fidelity AUC condenses into one number — where in which feature the template misses.
 * Bins: equal width between the 1st and 99th percentiles of the SR data (a few outliers would otherwise squeeze
 * the bulk into one bin); events outside go into the first or last bin, so every event is counted.
 */
import type { TemplateDistribution } from '../events/result.js';

/** Bins per feature: ~50 SR events a bin for a few thousand SR events, the scale of a window here. */
const BINS = 20;

function percentileRange(v: Float32Array): [number, number] {
  const s = Float32Array.from(v.filter((x) => Number.isFinite(x))).sort();
  if (s.length === 0) return [0, 1];
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!;
  const lo = at(0.01),
    hi = at(0.99);
  return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
}

function histogram(v: Float32Array, w: Float32Array | undefined, lo: number, width: number): number[] {
  const h = new Float64Array(BINS);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) continue;
    const b = Math.min(BINS - 1, Math.max(0, Math.floor((x - lo) / width)));
    h[b]! += w ? w[i]! : 1;
  }
  return Array.from(h);
}

/**
 * Histograms of every feature: `data` (SR data columns), `template` (columns + weights), `background` (the SR
 * data's truth-background rows as columns, optional). Template counts are scaled so they sum to the SR data count.
 */
export function templateDistributions(
  features: string[],
  data: Float32Array[],
  template: { columns: Float32Array[]; weight: Float32Array },
  background?: Float32Array[],
): TemplateDistribution[] {
  let wSum = 0;
  for (const w of template.weight) wSum += w;
  const nData = data[0]?.length ?? 0;
  const scale = wSum > 0 ? nData / wSum : 0;
  return features.map((feature, j) => {
    const [lo, hi] = percentileRange(data[j]!);
    const width = (hi - lo) / BINS;
    const edges = Array.from({ length: BINS + 1 }, (_, k) => lo + k * width);
    const tpl = histogram(template.columns[j]!, template.weight, lo, width).map((c) => c * scale);
    return {
      feature,
      edges,
      data: histogram(data[j]!, undefined, lo, width),
      template: tpl,
      ...(background ? { background: histogram(background[j]!, undefined, lo, width) } : {}),
    };
  });
}
