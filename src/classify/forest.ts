/**
 * A trained HGB model flattened for scoring: every tree's nodes packed into one Uint32Array in depth-first order
 * (the left child of a split is the next node), so that a window's ensemble travels from a training worker as two
 * transferable buffers plus its bin edges, and scores a batch without touching an object per node or per event.
 *
 * A node word is `feature | binThreshold << 8 | (right − node) << 16`; feature 255 marks a leaf. Scoring works on
 * the model's own bins (uint8, row-major: one event's features in one cache line): a batch is binned once per bin
 * mapper (members that share a mapper share the bins), then each tree is walked with one 32-bit load and one byte
 * load per level. `bin(x) <= b` holds exactly when `x <= thresholds[b]` (the bin is the first edge ≥ x) and NaN
 * goes to the missing bin 255, above every split bin, so it goes right as in predictRaw; the leaves are added in
 * the model's tree order, so a flattened model scores bit for bit as predictRaw does.
 */
import { SidebandError } from '../events/errors.js';
import { binRowMajor, type BinMapper, type NumericColumn } from './binning.js';
import type { HgbModel } from './hgb.js';

export interface FlatForest {
  nFeatures: number;
  baseline: number;
  /** The bin edges the model was trained on (scoring bins the events with them). */
  mapper: BinMapper;
  /** First node of each tree. */
  roots: Int32Array;
  /** Packed nodes: feature (8 bits, 255 = leaf) | split bin (8 bits) | offset of the right child (16 bits). */
  nodes: Uint32Array;
  /** Leaf value per node (0 for split nodes). */
  value: Float64Array;
}

const LEAF = 255;

export function flattenHgb(model: HgbModel): FlatForest {
  if (model.nFeatures >= LEAF) throw new SidebandError(`forest: at most ${LEAF - 1} features (got ${model.nFeatures})`);
  let total = 0;
  for (const t of model.trees) total += t.feature.length;
  const nodes = new Uint32Array(total);
  const value = new Float64Array(total);
  const roots = new Int32Array(model.trees.length);
  const stack: number[] = [];
  let at = 0;
  model.trees.forEach((t, k) => {
    roots[k] = at;
    // Depth-first, left first: a split's left child lands right after it; its right child is patched when reached.
    const slot = new Int32Array(t.feature.length).fill(-1);
    stack.push(0);
    while (stack.length > 0) {
      const i = stack.pop()!;
      const here = at++;
      slot[i] = here;
      const f = t.feature[i]!;
      if (f < 0) {
        nodes[here] = LEAF;
        value[here] = t.value[i]!;
      } else {
        nodes[here] = f | (t.binThreshold[i]! << 8);
        stack.push(t.right[i]!, t.left[i]!);
      }
    }
    for (let i = 0; i < t.feature.length; i++) {
      if (t.feature[i]! < 0) continue;
      const offset = slot[t.right[i]!]! - slot[i]!;
      if (offset > 0xffff) throw new SidebandError(`forest: tree ${k} too large to pack (${t.feature.length} nodes)`);
      nodes[slot[i]!] = (nodes[slot[i]!]! | (offset << 16)) >>> 0;
    }
  });
  return { nFeatures: model.nFeatures, baseline: model.baseline, mapper: model.mapper, roots, nodes, value };
}

/** The buffers of a forest, for a worker's transfer list (the bin edges are small and travel by copy). */
export function forestBuffers(f: FlatForest): ArrayBuffer[] {
  return [f.roots, f.nodes, f.value].map((a) => a.buffer as ArrayBuffer);
}

/** Nodes a forest holds (its size: 4 + 8 bytes each). */
export function forestNodes(f: FlatForest): number {
  return f.nodes.length;
}

/** Events [0, n) of `columns` in the forest's bins, row-major (the input scoreBinned takes). */
export function binForForest(f: FlatForest, columns: NumericColumn[], n: number): Uint8Array {
  if (columns.length !== f.nFeatures)
    throw new SidebandError(`forest: model has ${f.nFeatures} features, got ${columns.length} columns`);
  const rows = n === columns[0]!.length ? undefined : Uint32Array.from({ length: n }, (_, k) => k);
  return binRowMajor(f.mapper, columns, rows);
}

const BLOCK = 256;

/**
 * Raw scores (logits) of the n events of `bins` (row-major, nFeatures per event, in this forest's bins) into `out`.
 * HOT: the online scorer calls it for every new event and every model of a window's ensemble. Tree-outer over
 * blocks of events, so one tree's nodes stay in L1 while the block walks it; no allocation.
 */
export function scoreBinned(f: FlatForest, bins: Uint8Array, n: number, out: Float64Array): void {
  const nF = f.nFeatures;
  if (bins.length < n * nF) throw new SidebandError(`forest: ${n} events need ${n * nF} bins, got ${bins.length}`);
  const { roots, nodes, value } = f;
  const nTrees = roots.length;
  out.fill(f.baseline, 0, n);
  for (let b0 = 0; b0 < n; b0 += BLOCK) {
    const b1 = Math.min(n, b0 + BLOCK);
    for (let t = 0; t < nTrees; t++) {
      const root = roots[t]!;
      for (let k = b0, row = b0 * nF; k < b1; k++, row += nF) {
        let node = root;
        let w = nodes[node]!;
        while ((w & 0xff) !== LEAF) {
          node = bins[row + (w & 0xff)]! <= ((w >>> 8) & 0xff) ? node + 1 : node + (w >>> 16);
          w = nodes[node]!;
        }
        out[k] = out[k]! + value[node]!;
      }
    }
  }
}

/** Raw scores of events [0, n) of real-valued columns (bins them first; the online scorer shares the bins). */
export function scoreForest(f: FlatForest, columns: NumericColumn[], n: number, out: Float64Array): void {
  scoreBinned(f, binForForest(f, columns, n), n, out);
}
