/**
 * Per-jet inputs and event scores of seed 003's CMS methods: the jets' feature matrices read from a window
 * snapshot (or the control-region sample) by feature stem (`msd` -> jet1_msd / jet2_msd), percentile ranks of a
 * per-jet score against a reference distribution, the event anomaly score as the larger of the two jets' ranks
 * (seed 003: "convert each score to %ile using their distributions; event anomaly score = max(S1, S2)"), and a
 * fold label computed from an event's own values, so that an event lands in the same cross-validation fold in
 * every window snapshot it appears in.
 */
import { SidebandError } from '../../events/errors.js';

/** Events as named float32 columns (a window snapshot, the control-region sample). */
export interface JetSample {
  features: string[];
  columns: Float32Array[];
  mjj: Float32Array;
  n: number;
  label?: Uint8Array;
}

/** Column index of every `jet{1,2}_<stem>`; a missing one is an error naming the method and the feature. */
export function jetColumns(s: JetSample, stems: string[], what: string): [number[], number[]] {
  const find = (name: string) => {
    const i = s.features.indexOf(name);
    if (i < 0)
      throw new SidebandError(
        `${what}: per-jet feature '${name}' is not stored (features: ${s.features.join(', ')}); list jet1_/jet2_ of every jetFeatures stem in the topology's features`,
      );
    return i;
  };
  return [stems.map((f) => find(`jet1_${f}`)), stems.map((f) => find(`jet2_${f}`))];
}

/** n x d row-major matrix of one jet's features; `logs[j]`: feature j as ln(max(value, 1e-3)). */
export function jetMatrix(s: JetSample, cols: number[], logs?: boolean[]): Float32Array {
  const d = cols.length;
  const out = new Float32Array(s.n * d);
  for (let j = 0; j < d; j++) {
    const c = s.columns[cols[j]!]!;
    if (logs?.[j]) for (let i = 0; i < s.n; i++) out[i * d + j] = Math.log(Math.max(c[i]!, 1e-3));
    else for (let i = 0; i < s.n; i++) out[i * d + j] = c[i]!;
  }
  return out;
}

/** Both jets of every event as 2n rows (jet 1 rows, then jet 2 rows). */
export function bothJets(s: JetSample, cols: [number[], number[]], logs?: boolean[]): Float32Array {
  const a = jetMatrix(s, cols[0], logs),
    b = jetMatrix(s, cols[1], logs);
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Percentile ranks against a reference distribution: the fraction of reference values below x. */
export class PercentileRank {
  private readonly sorted: Float32Array;
  constructor(reference: Float32Array) {
    if (reference.length === 0) throw new SidebandError('percentile rank: empty reference distribution');
    this.sorted = Float32Array.from(reference).sort();
  }
  rank(x: number): number {
    const s = this.sorted;
    let lo = 0,
      hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo / s.length;
  }
}

/** Event anomaly score: max of the two jets' percentile ranks (each score ranked in its own jet's reference). */
export function eventScore(s1: Float32Array, s2: Float32Array, r1: PercentileRank, r2: PercentileRank): Float32Array {
  const out = new Float32Array(s1.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(r1.rank(s1[i]!), r2.rank(s2[i]!));
  return out;
}

/** Fold 0..k-1 of each event from the bits of its mjj and its first jet feature (deterministic, content-based). */
export function contentFolds(s: JetSample, k: number, col: number): Uint8Array {
  const f32 = new Float32Array(2);
  const u32 = new Uint32Array(f32.buffer);
  const c = s.columns[col]!;
  const out = new Uint8Array(s.n);
  for (let i = 0; i < s.n; i++) {
    f32[0] = s.mjj[i]!;
    f32[1] = c[i]!;
    let h = Math.imul(u32[0]! ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(u32[1]! + 0x7f4a7c15, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
    out[i] = ((h ^ (h >>> 16)) >>> 0) % k;
  }
  return out;
}

/** The mjj histogram of the events with pick[i] set (and, with labels, of the picked signal events). */
export function selectedHistogram(
  mjj: Float32Array,
  pick: Uint8Array,
  edges: Float64Array,
  label?: Uint8Array,
): { edges: number[]; counts: number[]; signal?: number[] } {
  const nb = edges.length - 1;
  const counts = new Float64Array(nb),
    signal = new Float64Array(nb);
  const lo = edges[0]!,
    hi = edges[nb]!;
  for (let i = 0; i < mjj.length; i++) {
    if (!pick[i]) continue;
    const m = mjj[i]!;
    if (!(m >= lo && m < hi)) continue;
    let a = 0,
      b = nb;
    while (b - a > 1) {
      const mid = (a + b) >> 1;
      if (m < edges[mid]!) b = mid;
      else a = mid;
    }
    counts[a]!++;
    if (label?.[i]) signal[a]!++;
  }
  return {
    edges: Array.from(edges),
    counts: Array.from(counts),
    ...(label ? { signal: Array.from(signal) } : {}),
  };
}
