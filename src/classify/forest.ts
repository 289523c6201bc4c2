/**
 * A trained HGB model flattened for scoring: every tree's nodes concatenated into one set of typed arrays (child
 * indices absolute), so that a window's ensemble travels from a training worker as a handful of transferable
 * buffers and scores a column block without touching an object per node or per event.
 *
 * Scoring is tree-outer, event-inner over blocks of events: one tree's nodes (a few hundred bytes for 16 leaves)
 * stay in L1 while a block of events walks it; the block's feature values are read straight from the columns.
 * The comparison is the one predictRaw makes (x <= threshold goes left, NaN right), on the same float64
 * thresholds, so a flattened model scores exactly as the model it came from.
 */
import { SidebandError } from '../events/errors.js';
import type { HgbModel } from './hgb.js';

export interface FlatForest {
  nFeatures: number;
  baseline: number;
  /** First node of each tree. */
  roots: Int32Array;
  /** Split feature per node; -1 marks a leaf. */
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf value per node (0 for split nodes). */
  value: Float64Array;
}

export function flattenHgb(model: HgbModel): FlatForest {
  let total = 0;
  for (const t of model.trees) total += t.feature.length;
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const value = new Float64Array(total);
  const roots = new Int32Array(model.trees.length);
  let at = 0;
  model.trees.forEach((t, k) => {
    roots[k] = at;
    const m = t.feature.length;
    feature.set(t.feature, at);
    threshold.set(t.threshold, at);
    value.set(t.value, at);
    for (let i = 0; i < m; i++) {
      left[at + i] = t.feature[i]! >= 0 ? t.left[i]! + at : -1;
      right[at + i] = t.feature[i]! >= 0 ? t.right[i]! + at : -1;
    }
    at += m;
  });
  return { nFeatures: model.nFeatures, baseline: model.baseline, roots, feature, threshold, left, right, value };
}

/** The buffers of a forest, for a worker's transfer list. */
export function forestBuffers(f: FlatForest): ArrayBuffer[] {
  return [f.roots, f.feature, f.threshold, f.left, f.right, f.value].map((a) => a.buffer as ArrayBuffer);
}

/** Nodes a forest holds (its size: 8 + 8 + 4 + 4 + 4 bytes each). */
export function forestNodes(f: FlatForest): number {
  return f.feature.length;
}

const BLOCK = 512;

/**
 * Raw scores (logits) of events [0, n) of `columns` into `out` (length ≥ n). HOT: the online scorer calls it for
 * every new event and every model of a window's ensemble.
 */
export function scoreForest(f: FlatForest, columns: ArrayLike<number>[], n: number, out: Float64Array): void {
  if (columns.length !== f.nFeatures)
    throw new SidebandError(`forest: model has ${f.nFeatures} features, got ${columns.length} columns`);
  const { roots, feature, threshold, left, right, value } = f;
  out.fill(f.baseline, 0, n);
  for (let b0 = 0; b0 < n; b0 += BLOCK) {
    const b1 = Math.min(n, b0 + BLOCK);
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t]!;
      for (let k = b0; k < b1; k++) {
        let node = root;
        let fi = feature[node]!;
        while (fi >= 0) {
          // NaN fails the comparison and goes right, as the missing bin does in training.
          node = columns[fi]![k]! <= threshold[node]! ? left[node]! : right[node]!;
          fi = feature[node]!;
        }
        out[k] = out[k]! + value[node]!;
      }
    }
  }
}
