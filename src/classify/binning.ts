import { mulberry32 } from './random.js';
import { SidebandError } from '../events/errors.js';

/**
 * Quantile binning of continuous features into at most 255 bins per feature (bin 255 is reserved for missing
 * values), as scikit-learn's HistGradientBoosting does: boosting then works on uint8 columns, so a histogram
 * costs one byte read per sample and feature instead of a sort.
 */
export const MISSING_BIN = 255;
export const MAX_BINS = 255;

export type NumericColumn = Float32Array | Float64Array;

export interface BinMapper {
  /** Per feature, the ascending split values: a value x goes to the first bin b with x <= thresholds[b]. */
  thresholds: Float64Array[];
  /** Per feature, the number of non-missing bins (thresholds.length + 1). */
  nBins: Uint16Array;
}

/**
 * Fit bin edges per feature on (a subsample of) the given rows. With at most maxBins distinct values the edges
 * are the midpoints between them; otherwise the (maxBins−1) interior quantiles, deduplicated.
 * `rows` restricts the fit to a subset (e.g. the training split), `subsample` caps the work as sklearn does.
 */
export function fitBinMapper(
  columns: NumericColumn[],
  rows: Uint32Array,
  opts: { maxBins?: number; subsample?: number; seed?: number } = {},
): BinMapper {
  const maxBins = Math.min(opts.maxBins ?? MAX_BINS, MAX_BINS);
  if (maxBins < 2) throw new SidebandError(`binning: maxBins must be at least 2 (got ${maxBins})`);
  const subsample = opts.subsample ?? 200_000;
  let use = rows;
  if (rows.length > subsample) {
    // Sample without replacement by a partial Fisher–Yates on a copy, seeded.
    const rand = mulberry32(opts.seed ?? 0);
    const copy = rows.slice();
    for (let i = 0; i < subsample; i++) {
      const j = i + Math.floor(rand() * (copy.length - i));
      const t = copy[i]!;
      copy[i] = copy[j]!;
      copy[j] = t;
    }
    use = copy.subarray(0, subsample);
  }
  const thresholds: Float64Array[] = [];
  const nBins = new Uint16Array(columns.length);
  for (let f = 0; f < columns.length; f++) {
    const col = columns[f]!;
    // Float32 input sorts as Float32 (half the memory traffic of a Float64 sort, same values).
    const vals = col instanceof Float32Array ? new Float32Array(use.length) : new Float64Array(use.length);
    let m = 0;
    for (let k = 0; k < use.length; k++) {
      const v = col[use[k]!]!;
      if (v === v) vals[m++] = v; // skip NaN: those go to the missing bin
    }
    const sorted = vals.subarray(0, m).sort();
    const edges = edgesFromSorted(sorted, maxBins);
    thresholds.push(edges);
    nBins[f] = edges.length + 1;
  }
  return { thresholds, nBins };
}

function edgesFromSorted(sorted: Float32Array | Float64Array, maxBins: number): Float64Array {
  const m = sorted.length;
  if (m === 0) return new Float64Array(0);
  // Distinct values.
  const distinct: number[] = [];
  for (let i = 0; i < m; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) {
      distinct.push(sorted[i]!);
      if (distinct.length > maxBins) break;
    }
  }
  if (distinct.length <= maxBins) {
    const e = new Float64Array(Math.max(distinct.length - 1, 0));
    for (let i = 0; i < e.length; i++) e[i] = 0.5 * (distinct[i]! + distinct[i + 1]!);
    return e;
  }
  // Interior percentiles 100·k/maxBins, k = 1..maxBins−1, with numpy's 'midpoint' interpolation.
  const out: number[] = [];
  for (let k = 1; k < maxBins; k++) {
    const pos = (k / maxBins) * (m - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    const v = 0.5 * (sorted[lo]! + sorted[hi]!);
    if (out.length === 0 || v > out[out.length - 1]!) out.push(v);
  }
  return Float64Array.from(out);
}

/**
 * Thresholds padded to 256 entries with +Infinity, so that a fixed 8-step search (no data-dependent loop bound,
 * branch-free steps) finds the bin.
 */
function padded(thr: Float64Array): Float64Array {
  const p = new Float64Array(256).fill(Infinity);
  p.set(thr);
  return p;
}

/** HOT LOOP: bin of v for padded thresholds: the first b with v <= thr[b]; NaN maps to the missing bin. */
function binOf(v: number, p: Float64Array): number {
  if (v !== v) return MISSING_BIN;
  let b = 0;
  b = v > p[b + 127]! ? b + 128 : b;
  b = v > p[b + 63]! ? b + 64 : b;
  b = v > p[b + 31]! ? b + 32 : b;
  b = v > p[b + 15]! ? b + 16 : b;
  b = v > p[b + 7]! ? b + 8 : b;
  b = v > p[b + 3]! ? b + 4 : b;
  b = v > p[b + 1]! ? b + 2 : b;
  b = v > p[b]! ? b + 1 : b;
  return b;
}

/** Bin one feature column (optionally only `rows`, in that order) into a new Uint8Array. */
export function binColumn(col: NumericColumn, thr: Float64Array, rows?: Uint32Array): Uint8Array {
  const n = rows ? rows.length : col.length;
  const out = new Uint8Array(n);
  const p = padded(thr);
  if (rows) for (let k = 0; k < n; k++) out[k] = binOf(col[rows[k]!]!, p);
  else for (let k = 0; k < n; k++) out[k] = binOf(col[k]!, p);
  return out;
}

/**
 * Bin every feature into one row-major matrix (row k's nF bins are adjacent): the histogram loop of a tree node
 * visits a row once and touches all its features from one cache line.
 */
export function binRowMajor(mapper: BinMapper, columns: NumericColumn[], rows?: Uint32Array): Uint8Array {
  const nF = columns.length;
  if (nF !== mapper.thresholds.length) {
    throw new SidebandError(`binning: expected ${mapper.thresholds.length} features, got ${nF}`);
  }
  const n = rows ? rows.length : columns[0]!.length;
  const out = new Uint8Array(n * nF);
  for (let f = 0; f < nF; f++) {
    const col = columns[f]!;
    const p = padded(mapper.thresholds[f]!);
    if (rows) for (let k = 0; k < n; k++) out[k * nF + f] = binOf(col[rows[k]!]!, p);
    else for (let k = 0; k < n; k++) out[k * nF + f] = binOf(col[k]!, p);
  }
  return out;
}

/** Bin every feature; returns one Uint8Array per feature (column-major, as the histogram loop wants). */
export function transform(mapper: BinMapper, columns: NumericColumn[], rows?: Uint32Array): Uint8Array[] {
  if (columns.length !== mapper.thresholds.length) {
    throw new SidebandError(`binning: expected ${mapper.thresholds.length} features, got ${columns.length}`);
  }
  return columns.map((c, f) => binColumn(c, mapper.thresholds[f]!, rows));
}

/**
 * Fit the bin edges and bin the same rows in one go, for Float32 features: an LSD radix sort of the float bits
 * (3 passes of 11 bits, O(n)) gives both the quantiles and, walking the sorted order, every row's bin, without a
 * comparison sort or a search per row. Falls back to fitBinMapper + binRowMajor for Float64 columns or when the
 * rows exceed `subsample` (then the edges come from a subsample, as sklearn does).
 */
export function fitAndBinRowMajor(
  columns: NumericColumn[],
  rows: Uint32Array,
  opts: { maxBins?: number; subsample?: number; seed?: number } = {},
): { mapper: BinMapper; binned: Uint8Array } {
  const maxBins = Math.min(opts.maxBins ?? MAX_BINS, MAX_BINS);
  const subsample = opts.subsample ?? 200_000;
  if (rows.length > subsample || columns.some((c) => !(c instanceof Float32Array))) {
    const mapper = fitBinMapper(columns, rows, opts);
    return { mapper, binned: binRowMajor(mapper, columns, rows) };
  }
  const nF = columns.length;
  const m = rows.length;
  const binned = new Uint8Array(m * nF);
  const thresholds: Float64Array[] = [];
  const nBins = new Uint16Array(nF);
  const vals = new Float32Array(m);
  const bits = new Uint32Array(vals.buffer);
  let keys = new Uint32Array(m);
  let keys2 = new Uint32Array(m);
  let perm = new Uint32Array(m);
  let perm2 = new Uint32Array(m);
  const count = new Uint32Array(2048);
  const sorted = new Float32Array(m);
  const sortedBits = new Uint32Array(sorted.buffer);
  for (let f = 0; f < nF; f++) {
    const col = columns[f] as Float32Array;
    for (let k = 0; k < m; k++) vals[k] = col[rows[k]!]!;
    // Order-preserving map of IEEE-754 bits to unsigned keys (NaNs sort last).
    for (let k = 0; k < m; k++) {
      const b = bits[k]!;
      keys[k] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
      perm[k] = k;
    }
    for (const shift of [0, 11, 22]) {
      count.fill(0);
      for (let k = 0; k < m; k++) count[(keys[k]! >>> shift) & 0x7ff]!++;
      let sum = 0;
      for (let d = 0; d < 2048; d++) {
        const c = count[d]!;
        count[d] = sum;
        sum += c;
      }
      for (let k = 0; k < m; k++) {
        const d = (keys[k]! >>> shift) & 0x7ff;
        const o = count[d]!++;
        keys2[o] = keys[k]!;
        perm2[o] = perm[k]!;
      }
      [keys, keys2] = [keys2, keys];
      [perm, perm2] = [perm2, perm];
    }
    let nValid = 0;
    for (let k = 0; k < m; k++) {
      const key = keys[k]!;
      sortedBits[k] = key & 0x80000000 ? key & 0x7fffffff : ~key >>> 0;
      if (sorted[k] === sorted[k]) nValid = k + 1;
    }
    const edges = edgesFromSorted(sorted.subarray(0, nValid), maxBins);
    thresholds.push(edges);
    nBins[f] = edges.length + 1;
    // Walk the sorted order: the bin only ever moves up.
    let b = 0;
    const nt = edges.length;
    for (let k = 0; k < m; k++) {
      const v = sorted[k]!;
      const row = perm[k]! * nF + f;
      if (k >= nValid) {
        binned[row] = MISSING_BIN;
        continue;
      }
      while (b < nt && v > edges[b]!) b++;
      binned[row] = b;
    }
  }
  return { mapper: { thresholds, nBins }, binned };
}
