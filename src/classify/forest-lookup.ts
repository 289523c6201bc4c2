/**
 * A trained HGB forest tabulated on a grid of the window's feature space, for near-online scoring
 * (`trigger.onlineScoring: lookup`, the default): a new event costs one cell index (shared by every model of the
 * window's ensemble) and one read of its cell, instead of a walk of every tree of every model. The CMS L1
 * endcap muon trigger evaluates its pT-assignment BDT the same way, as a lookup table addressed by the binned inputs.
 *
 * Why: the exact walk (src/classify/forest.ts) costs about 17 ns per tree here (a chain of two dependent loads per
 * level; leaf-wise trees of 31 leaves are ~6 levels deep on average and ~15 at most, so neither lock-step
 * interleaving of 4 events, 17.7 ns, nor a branch-free fixed-depth walk, 117 ns, was faster), i.e. ~1.3 µs per
 * 76-tree model and ~65 µs per event for the 50 models of a ten-member, five-fold ensemble. A table of 65³ cells
 * costs ~11 ns per model per event (measured on this machine, 60k events, 76 trees), the cell index ~20 ns per event
 * (a binary search over the bin edges measured ~130 ns), and ~70 ms per model to build, which the training worker does beside the training. Gathering 50 such
 * tables per event still costs 870–1580 ns (50 cache misses into 50 MB), so the online scorer does not read them
 * per event: the training turns them, with the working points' cuts, into one table of each cell's votes
 * (src/analysis/online-window.ts, voteTable), which an event reads once.
 *
 * The grid: per feature, B quantile bins of the window's events at training time (B = ⌊cells^(1/d)⌋ − 1), plus one cell
 * for NaN; each bin is represented by the quantile at its centre. A cell's value is the forest's exact logit at the
 * cell's representative point (float32): the tabulated model is the forest evaluated at a resolution of 1/B in
 * quantile per feature. Its working-point cuts are set again on the tabulated scores of each fold's reference
 * events (src/analysis/cwola-selection.ts), so the tabulated selection keeps ε as the exact one does; how often the
 * two agree on the reference events is reported with the online results (`lookupAgreement`).
 */
import { SidebandError } from '../events/errors.js';
import type { NumericColumn } from './binning.js';
import type { FlatForest } from './forest.js';

const LEAF = 255;

/** The grid a window's forests are tabulated on (small: it travels to the training workers by copy). */
export interface LookupGrid {
  /** Quantile bins per feature (the NaN cell comes on top). */
  bins: number;
  /** Per feature, the B − 1 inner bin edges, ascending: a value x is in the first bin b with x <= edges[b]. */
  edges: Float64Array[];
  /** Per feature, the B representative values (the quantile at each bin's centre). */
  reps: Float64Array[];
  /**
   * Per feature, a uniform index over [edges[0], edges[B−2]] in FINE steps: entry i is the bin of the step's lower
   * end, so an event's bin is found from its step by a few comparisons instead of a binary search (which measured
   * ~40 ns per feature, most of it mispredicted branches).
   */
  start: Int32Array[];
}

const FINE = 4096;

/** Cells of a grid (B + 1 per feature, NaN included). */
export function gridCells(grid: LookupGrid): number {
  return (grid.bins + 1) ** grid.edges.length;
}

/**
 * The grid of `columns` over `rows` (every row when absent): ⌊cells^(1/d)⌋ quantile bins per feature, at least 2;
 * NaN values are left out of the quantiles.
 */
export function lookupGrid(columns: NumericColumn[], cells: number, rows?: Uint32Array): LookupGrid {
  const d = columns.length;
  if (d === 0) throw new SidebandError('forest lookup: no features');
  const bins = Math.max(2, Math.floor(cells ** (1 / d) + 1e-9) - 1);
  const edges: Float64Array[] = [];
  const reps: Float64Array[] = [];
  const start: Int32Array[] = [];
  for (const col of columns) {
    const n = rows ? rows.length : col.length;
    const v = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const x = col[rows ? rows[i]! : i]!;
      if (x === x) v[k++] = x;
    }
    const s = v.subarray(0, k).sort();
    const at = (q: number) => (k === 0 ? 0 : s[Math.min(k - 1, Math.floor(q * k))]!);
    const e = new Float64Array(bins - 1);
    const r = new Float64Array(bins);
    for (let b = 0; b < bins; b++) r[b] = at((b + 0.5) / bins);
    for (let b = 0; b + 1 < bins; b++) e[b] = at((b + 1) / bins);
    edges.push(e);
    reps.push(r);
    const lo = e[0]!;
    const step = (e[bins - 2]! - lo) / FINE;
    const st = new Int32Array(FINE + 1);
    for (let i = 0, b = 0; i <= FINE; i++) {
      const x = lo + i * step;
      while (b < bins - 1 && e[b]! < x) b++;
      st[i] = b;
    }
    start.push(st);
  }
  return { bins, edges, reps, start };
}

/**
 * The forest's logits at every cell's representative point, float32, row-major (the last feature fastest).
 * Per tree, the tree is descended with a box of cells: a split on feature f at value t sends the bins whose
 * representative is <= t left and the rest (NaN included, as the forest sends NaN right) right, both contiguous
 * because representatives ascend; a leaf adds its value to its box. Every tree's leaves partition the grid, so a
 * tree costs one add per cell, and the cells add the leaves in tree order in float64 as scoreBinned does.
 */
export function tabulateForest(f: FlatForest, grid: LookupGrid): Float32Array {
  const d = grid.edges.length;
  if (d !== f.nFeatures) throw new SidebandError(`forest lookup: grid has ${d} features, forest ${f.nFeatures}`);
  const side = grid.bins + 1;
  const cells = side ** d;
  const stride = new Int32Array(d);
  for (let j = d - 1, s = 1; j >= 0; j--, s *= side) stride[j] = s;
  const acc = new Float64Array(cells).fill(f.baseline);
  const th = f.mapper.thresholds;
  const lo = new Int32Array(d);
  const hi = new Int32Array(d);
  const idx = new Int32Array(d);
  const last = d - 1;
  const addBox = (v: number) => {
    idx.set(lo);
    for (;;) {
      let base = 0;
      for (let j = 0; j < last; j++) base += idx[j]! * stride[j]!;
      for (let c = base + lo[last]!, end = base + hi[last]!; c < end; c++) acc[c] = acc[c]! + v;
      let j = last - 1;
      while (j >= 0) {
        if (++idx[j]! < hi[j]!) break;
        idx[j] = lo[j]!;
        j--;
      }
      if (j < 0) return;
    }
  };
  const descend = (node: number): void => {
    const w = f.nodes[node]!;
    const feat = w & 0xff;
    if (feat === LEAF) {
      addBox(f.value[node]!);
      return;
    }
    const b = (w >>> 8) & 0xff;
    // bin(x) <= b exactly when x <= thresholds[b]; a bin past the last threshold holds every non-missing value.
    const t = b < th[feat]!.length ? th[feat]![b]! : Infinity;
    const r = grid.reps[feat]!;
    const l0 = lo[feat]!;
    const h0 = hi[feat]!;
    let k = l0;
    const hNum = Math.min(h0, grid.bins);
    while (k < hNum && r[k]! <= t) k++;
    if (k > l0) {
      hi[feat] = k;
      descend(node + 1);
      hi[feat] = h0;
    }
    if (h0 > k) {
      lo[feat] = k;
      descend(node + (w >>> 16));
      lo[feat] = l0;
    }
  };
  for (let t = 0; t < f.roots.length; t++) {
    lo.fill(0);
    hi.fill(side);
    descend(f.roots[t]!);
  }
  return Float32Array.from(acc);
}

/** The cell of each event [0, n) of `columns` (or of `rows`), into `out`. HOT: once per new event for the ensemble. */
export function cellIndex(grid: LookupGrid, columns: NumericColumn[], n: number, out: Int32Array, rows?: Uint32Array) {
  const d = grid.edges.length;
  const B = grid.bins;
  out.fill(0, 0, n);
  for (let j = 0, stride = (B + 1) ** (d - 1); j < d; j++, stride /= B + 1) {
    const col = columns[j]!;
    const e = grid.edges[j]!;
    const st = grid.start[j]!;
    const lo = e[0]!;
    const span = e[B - 2]! - lo;
    const scale = span > 0 ? FINE / span : 0;
    for (let i = 0; i < n; i++) {
      const x = col[rows ? rows[i]! : i]!;
      let a: number;
      if (x !== x) a = B;
      else if (x <= lo) a = 0;
      else if (x > e[B - 2]!) a = B - 1;
      else {
        // The first edge >= x, from the bin of x's fine step's lower end.
        a = st[Math.min(FINE, Math.floor((x - lo) * scale))]!;
        while (e[a]! < x) a++;
        while (a > 0 && e[a - 1]! >= x) a--; // x rounded just below its step's lower end
      }
      out[i] = out[i]! + a * stride;
    }
  }
}
