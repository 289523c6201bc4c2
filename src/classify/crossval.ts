/**
 * Cross-validation so that every event is scored only by models that never saw it.
 *
 * - ATLAS 2024 (seed 000 App. A): five tranches; for test tranche t the classifier trains on three tranches,
 *   early-stops on tranche (t+1) mod k, and scores tranche t.
 * - ATLAS 2020 (seed 001): k parts; for test part t and each validation part v ≠ t, n classifiers train on the
 *   other k−2 parts, the one with the lowest validation loss is kept, its output on part t is mapped to an
 *   efficiency, and the efficiencies are averaged over the k−1 choices of v (k = 5, n = 3: 60 networks per region).
 */
import { mulberry32 } from './random.js';
import { SidebandError } from '../events/errors.js';

export type CvScheme = 'atlas2024' | 'atlas2020';

/**
 * Assign each event to one of k folds, balanced within each stratum (e.g. SR / SB-low / SB-high) so that every
 * fold sees the same mix of regions. Seeded.
 */
export function assignFolds(strata: Uint8Array, k: number, seed: number): Uint8Array {
  if (!(k >= 3 && k <= 255)) throw new SidebandError(`cross-validation: folds must be in [3, 255] (got ${k})`);
  const n = strata.length;
  const fold = new Uint8Array(n);
  const rand = mulberry32(seed);
  const counters = new Map<number, number>();
  // Random order, then deal round-robin per stratum: balanced folds, random membership.
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  for (let q = 0; q < n; q++) {
    const i = order[q]!;
    const s = strata[i]!;
    const c = counters.get(s) ?? 0;
    fold[i] = c % k;
    counters.set(s, c + 1);
  }
  return fold;
}

/** Rows (ascending) whose fold is in `folds`, restricted to rows with `include[i]` when given. */
export function rowsOfFolds(fold: Uint8Array, folds: number[], include?: Uint8Array): Uint32Array {
  const want = new Uint8Array(256);
  for (const f of folds) want[f] = 1;
  let m = 0;
  for (let i = 0; i < fold.length; i++) if (want[fold[i]!] && (!include || include[i])) m++;
  const out = new Uint32Array(m);
  m = 0;
  for (let i = 0; i < fold.length; i++) if (want[fold[i]!] && (!include || include[i])) out[m++] = i;
  return out;
}

export interface CvSplit {
  test: number;
  validation: number;
  train: number[];
}

/** The (train, validation, test) fold assignments a scheme trains, in order. */
export function cvSplits(scheme: CvScheme, k: number): CvSplit[] {
  const all = Array.from({ length: k }, (_, i) => i);
  const out: CvSplit[] = [];
  for (let t = 0; t < k; t++) {
    if (scheme === 'atlas2024') {
      const v = (t + 1) % k;
      out.push({ test: t, validation: v, train: all.filter((f) => f !== t && f !== v) });
    } else {
      for (const v of all)
        if (v !== t) out.push({ test: t, validation: v, train: all.filter((f) => f !== t && f !== v) });
    }
  }
  return out;
}

/**
 * Map scores to efficiencies ε(s) = fraction of reference scores >= s (seed 001): small ε is signal-like, and the
 * meaning of ε is the same across folds and trainings. `reference` is usually the SR events of the test part.
 */
export function efficiencyMap(scores: Float64Array, reference: Float64Array): Float64Array {
  const ref = Float64Array.from(reference).sort();
  const m = ref.length;
  const out = new Float64Array(scores.length);
  if (m === 0) return out.fill(1);
  for (let i = 0; i < scores.length; i++) {
    // count of ref >= s = m − (first index with ref >= s)
    const s = scores[i]!;
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ref[mid]! < s) lo = mid + 1;
      else hi = mid;
    }
    out[i] = (m - lo) / m;
  }
  return out;
}
