import { binRowMajor, fitAndBinRowMajor, MISSING_BIN, type BinMapper, type NumericColumn } from './binning.js';
import { deriveSeed, iota, mulberry32, shuffleInPlace } from './random.js';
import { SidebandError } from '../events/errors.js';

/**
 * Histogram gradient boosting for binary classification (log-loss), after scikit-learn's
 * HistGradientBoostingClassifier: features are quantile-binned to uint8, each tree is grown leaf-wise (best gain
 * first) up to maxLeafNodes from per-node gradient/hessian histograms, and a child's histogram is obtained by
 * subtracting its smaller sibling's (which is built) from the parent's. Everything runs over typed arrays; there is
 * no object per sample. Used by the CWoLa ensembles, where tens of models are trained per window (seed 004 §III.B).
 *
 * Stochastic boosting (Friedman 2002; XGBoost's subsample and colsample_bytree): with `subsample` < 1 each tree is
 * grown on a seeded Bernoulli sample of the training rows, with `colsampleByTree` < 1 on a seeded subset of the
 * features. Without them a model is a deterministic function of its training and validation rows, so ensemble
 * members or seed 001's candidates that share their rows would be identical; with them each seed gives a
 * different model. At 1 (the defaults) no random draw is made and the model is exactly the deterministic one.
 */
export interface HgbParams {
  learningRate: number;
  maxIter: number;
  maxLeafNodes: number;
  /** Maximum depth of a tree; 0 means unlimited (sklearn's None). */
  maxDepth: number;
  minSamplesLeaf: number;
  /** L2 regularisation of leaf values. */
  l2: number;
  maxBins: number;
  /** 'auto' enables early stopping above 10,000 samples, as sklearn does. */
  earlyStopping: boolean | 'auto';
  validationFraction: number;
  nIterNoChange: number;
  tol: number;
  /** Fraction of the training rows each tree is grown on (seeded Bernoulli sample per tree); 1 = all rows. */
  subsample: number;
  /** Fraction of the features each tree may split on (seeded, at least one); 1 = all features. */
  colsampleByTree: number;
  seed: number;
  /**
   * Threads that build each node's histograms (the runtime provides them, src/training/hgb-threads.ts; 1 = the
   * caller alone). Trees are identical for every thread count: rows are summed in fixed blocks merged in order.
   */
  threads: number;
}

export const defaultHgbParams: HgbParams = {
  learningRate: 0.1,
  maxIter: 100,
  maxLeafNodes: 31,
  maxDepth: 0,
  minSamplesLeaf: 20,
  l2: 0,
  maxBins: 255,
  earlyStopping: 'auto',
  validationFraction: 0.1,
  nIterNoChange: 10,
  tol: 1e-7,
  subsample: 1,
  colsampleByTree: 1,
  seed: 0,
  threads: 1,
};

/** One tree as flat arrays (structured-clone friendly, for worker transfer). feature = -1 marks a leaf. */
export interface HgbTree {
  feature: Int32Array;
  /** Go left when x <= threshold (NaN goes right). */
  threshold: Float64Array;
  binThreshold: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

export interface HgbModel {
  kind: 'hgb';
  nFeatures: number;
  baseline: number;
  trees: HgbTree[];
  mapper: BinMapper;
  /** Weighted log-loss on the validation split after each iteration (index 0 = baseline), when early stopping. */
  validationLoss: number[];
  nIter: number;
}

export interface TrainingData {
  columns: NumericColumn[];
  /** 0/1 labels. */
  y: Uint8Array;
  weight?: Float32Array | Float64Array;
  /** Restrict training to these rows (indices into the columns); all rows when absent. */
  rows?: Uint32Array;
}

/** Optional explicit validation rows (then no internal split is made), e.g. a cross-validation fold. */
export interface FitOptions {
  validationRows?: Uint32Array;
  /**
   * Warm start: bin with this mapper (a previous model's) instead of fitting one. Binning is label-free, so a mapper
   * fitted on an earlier prefix of the same stream gives valid models; it saves the quantile fit.
   */
  mapper?: BinMapper;
  onIteration?: (iter: number, maxIter: number) => void;
  /** Histogram building on more threads (the runtime's); absent: the caller's thread alone. */
  histograms?: HistogramBuilder;
}

/**
 * Rows per histogram block. A node's histogram is the sum of per-block partial histograms, each accumulated from
 * zero and added in block order, so the floating-point sums (and the trees) do not depend on how many threads
 * filled the blocks. Nodes of at most one block are summed exactly as one sequential pass.
 */
export const HIST_BLOCK = 16384;

/** The arrays a histogram build reads, allocated by `HistogramBuilder.shared` so that its threads can see them. */
export interface HistogramInputs {
  binned: Uint8Array;
  nFeatures: number;
  /** The grower's partition of row indices; a node owns a contiguous range. */
  idx: Uint32Array;
  grad: Float32Array;
  hess: Float32Array;
}

/**
 * Builds node histograms on several threads (implemented by the runtime in src/training/, since math stays free of
 * threads). `build` fills `out` with the histogram of idx[start, stop) (rows start..stop themselves at the root):
 * every block's partial from accumulateBlock, merged in block order with mergeBlocks.
 */
export interface HistogramBuilder {
  readonly threads: number;
  /** Memory the builder's threads can read: a SharedArrayBuffer when it has threads. */
  shared(bytes: number): ArrayBuffer | SharedArrayBuffer;
  attach(inputs: HistogramInputs): void;
  build(start: number, stop: number, isRoot: boolean, out: Float64Array): void;
}

/** Doubles in one histogram: [feature][bin][g, h, count]. */
export function histogramLength(nFeatures: number): number {
  return nFeatures * NB * 3;
}

/**
 * HOT LOOP: accumulate gradient, hessian and count per (feature, bin) over rows idx[s, e) (rows s..e at the root)
 * into `h` from `offset`, which the caller zeroed. One pass; each row's nF bins sit in one cache line (row-major).
 */
export function accumulateBlock(
  x: HistogramInputs,
  s: number,
  e: number,
  isRoot: boolean,
  h: Float64Array,
  offset: number,
): void {
  const X = x.binned,
    nF = x.nFeatures,
    idx = x.idx,
    g = x.grad,
    hs = x.hess;
  for (let k = s; k < e; k++) {
    const r = isRoot ? k : idx[k]!;
    const gi = g[r]!;
    const hi = hs[r]!;
    const row = r * nF;
    for (let f = 0; f < nF; f++) {
      const o = offset + (f * NB + X[row + f]!) * 3;
      h[o] = h[o]! + gi;
      h[o + 1] = h[o + 1]! + hi;
      h[o + 2] = h[o + 2]! + 1;
    }
  }
}

/** out = partial 0 + partial 1 + … in block order (partials laid out one histogram after another). */
export function mergeBlocks(partials: Float64Array, blocks: number, out: Float64Array): void {
  const len = out.length;
  out.set(partials.subarray(0, len));
  for (let b = 1; b < blocks; b++) {
    const o = b * len;
    for (let i = 0; i < len; i++) out[i] = out[i]! + partials[o + i]!;
  }
}

/** The caller's thread alone, in the same blocks as the threaded builders (so trees match theirs exactly). */
function serialHistogram(
  x: HistogramInputs,
  s: number,
  e: number,
  isRoot: boolean,
  h: Float64Array,
  tmp: Float64Array,
) {
  h.fill(0);
  accumulateBlock(x, s, Math.min(e, s + HIST_BLOCK), isRoot, h, 0);
  for (let b = s + HIST_BLOCK; b < e; b += HIST_BLOCK) {
    tmp.fill(0);
    accumulateBlock(x, b, Math.min(e, b + HIST_BLOCK), isRoot, tmp, 0);
    for (let i = 0; i < h.length; i++) h[i] = h[i]! + tmp[i]!;
  }
}

const MIN_HESSIAN = 1e-3;
const NB = 256; // histogram slots per feature (255 bins + missing)

/** Weighted binary cross-entropy of raw scores (logits). */
export function logLoss(raw: Float64Array, y: Uint8Array, w: Float64Array): number {
  let s = 0;
  let sw = 0;
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!;
    // log(1+e^r) − y·r, computed stably.
    const sp = r > 0 ? r + Math.log1p(Math.exp(-r)) : Math.log1p(Math.exp(r));
    s += w[i]! * (sp - y[i]! * r);
    sw += w[i]!;
  }
  return sw > 0 ? s / sw : 0;
}

/** Stratified random split of `rows` into (train, validation), seeded. Both outputs ascending. */
export function stratifiedSplit(
  rows: Uint32Array,
  y: Uint8Array,
  fraction: number,
  seed: number,
): { train: Uint32Array; validation: Uint32Array } {
  let np = 0;
  for (let k = 0; k < rows.length; k++) np += y[rows[k]!]! ? 1 : 0;
  const pos = new Uint32Array(np);
  const neg = new Uint32Array(rows.length - np);
  let a = 0;
  let b = 0;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (y[r]) pos[a++] = r;
    else neg[b++] = r;
  }
  const rand = mulberry32(seed);
  shuffleInPlace(pos, rand);
  shuffleInPlace(neg, rand);
  const nvp = Math.round(pos.length * fraction);
  const nvq = Math.round(neg.length * fraction);
  // Mark validation rows, then emit both sets in ascending row order (cache-friendly gathers later).
  let maxRow = 0;
  for (let k = 0; k < rows.length; k++) if (rows[k]! > maxRow) maxRow = rows[k]!;
  const mark = new Uint8Array(maxRow + 1);
  for (let k = 0; k < nvp; k++) mark[pos[k]!] = 1;
  for (let k = 0; k < nvq; k++) mark[neg[k]!] = 1;
  const validation = new Uint32Array(nvp + nvq);
  const train = new Uint32Array(rows.length - nvp - nvq);
  let t = 0;
  let v = 0;
  const sortedRows = rows.slice().sort();
  for (let k = 0; k < sortedRows.length; k++) {
    const r = sortedRows[k]!;
    if (mark[r]) validation[v++] = r;
    else train[t++] = r;
  }
  return { train, validation };
}

/** Train a boosted-tree classifier. Pure and synchronous: call it from a worker to keep the event loop free. */
export function fitHgb(data: TrainingData, params: Partial<HgbParams> = {}, opts: FitOptions = {}): HgbModel {
  const p: HgbParams = { ...defaultHgbParams, ...params };
  validateParams(p);
  const nFeatures = data.columns.length;
  if (nFeatures === 0) throw new SidebandError('hgb: no features');
  const nAll = data.columns[0]!.length;
  for (const c of data.columns) if (c.length !== nAll) throw new SidebandError('hgb: feature columns differ in length');
  if (data.y.length !== nAll) throw new SidebandError(`hgb: ${data.y.length} labels for ${nAll} rows`);
  const rows = data.rows ?? iota(nAll);

  let trainRows = rows;
  let valRows: Uint32Array | undefined = opts.validationRows;
  const early = p.earlyStopping === 'auto' ? rows.length > 10_000 : p.earlyStopping;
  if (early && !valRows) {
    const s = stratifiedSplit(rows, data.y, p.validationFraction, p.seed);
    trainRows = s.train;
    valRows = s.validation;
  }
  if (!early) valRows = undefined;
  const n = trainRows.length;
  if (n < 2) throw new SidebandError(`hgb: need at least 2 training rows (got ${n})`);

  const { mapper, binned } =
    opts.mapper && opts.mapper.thresholds.length === nFeatures
      ? { mapper: opts.mapper, binned: binRowMajor(opts.mapper, data.columns, trainRows) }
      : fitAndBinRowMajor(data.columns, trainRows, { maxBins: p.maxBins, seed: p.seed });
  const y = new Uint8Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const r = trainRows[k]!;
    y[k] = data.y[r]!;
    w[k] = data.weight ? data.weight[r]! : 1;
  }
  let sw = 0;
  let swy = 0;
  for (let k = 0; k < n; k++) {
    sw += w[k]!;
    swy += w[k]! * y[k]!;
  }
  if (swy <= 0 || swy >= sw)
    throw new SidebandError('hgb: training labels must contain both classes with positive weight');
  const pMean = swy / sw;
  const baseline = Math.log(pMean / (1 - pMean));

  let vBinned: Uint8Array = new Uint8Array(0);
  let vy = new Uint8Array(0);
  let vw = new Float64Array(0);
  let vRaw = new Float64Array(0);
  const validationLoss: number[] = [];
  if (valRows) {
    vBinned = binRowMajor(mapper, data.columns, valRows);
    vy = new Uint8Array(valRows.length);
    vw = new Float64Array(valRows.length);
    for (let k = 0; k < valRows.length; k++) {
      vy[k] = data.y[valRows[k]!]!;
      vw[k] = data.weight ? data.weight[valRows[k]!]! : 1;
    }
    vRaw = new Float64Array(valRows.length).fill(baseline);
    validationLoss.push(logLoss(vRaw, vy, vw));
  }

  const raw = new Float64Array(n).fill(baseline);
  const threads = opts.histograms && opts.histograms.threads > 1 ? opts.histograms : undefined;
  // With threads, what the histogram builds read lives in memory they share (one copy of the bins per fit).
  const alloc = (bytes: number) => (threads ? threads.shared(bytes) : new ArrayBuffer(bytes));
  const grad = new Float32Array(alloc(4 * n));
  const hess = new Float32Array(alloc(4 * n));
  const sharedBinned = threads ? new Uint8Array(alloc(binned.length)) : binned;
  if (threads) sharedBinned.set(binned);
  const grower = new TreeGrower(sharedBinned, nFeatures, mapper, grad, hess, p, threads, alloc);
  const sampler = p.subsample < 1 || p.colsampleByTree < 1 ? new TreeSampler(n, nFeatures, p) : undefined;
  const trees: HgbTree[] = [];
  for (let it = 0; it < p.maxIter; it++) {
    // Log-loss gradients in the logit: g = w(σ(r) − y), h = w σ(r)(1 − σ(r)).
    for (let k = 0; k < n; k++) {
      const prob = 1 / (1 + Math.exp(-raw[k]!));
      grad[k] = w[k]! * (prob - y[k]!);
      hess[k] = w[k]! * prob * (1 - prob);
    }
    const tree = sampler ? grower.grow(raw, sampler.rows(), sampler.features()) : grower.grow(raw);
    trees.push(tree);
    opts.onIteration?.(it + 1, p.maxIter);
    if (valRows) {
      addTreeBinned(tree, vBinned, nFeatures, vRaw);
      validationLoss.push(logLoss(vRaw, vy, vw));
      if (shouldStop(validationLoss, p.nIterNoChange, p.tol)) break;
    }
    // A single leaf: nothing left to learn (with sampling, only nothing in this tree's draw).
    if (tree.feature.length === 1 && !sampler) break;
  }
  return { kind: 'hgb', nFeatures, baseline, trees, mapper, validationLoss, nIter: trees.length };
}

/** sklearn's rule: stop when none of the last nIterNoChange scores beats the one before them by more than tol. */
function shouldStop(losses: number[], nIterNoChange: number, tol: number): boolean {
  const ref = nIterNoChange + 1;
  if (losses.length < ref) return false;
  const refScore = -losses[losses.length - ref]! + tol;
  for (let i = losses.length - ref + 1; i < losses.length; i++) if (-losses[i]! > refScore) return false;
  return true;
}

function validateParams(p: HgbParams): void {
  const bad = (m: string) => {
    throw new SidebandError(`hgb: ${m}`);
  };
  if (!(p.learningRate > 0)) bad(`learningRate must be > 0 (got ${p.learningRate})`);
  if (!(p.maxIter >= 1)) bad(`maxIter must be >= 1 (got ${p.maxIter})`);
  if (!(p.maxLeafNodes >= 2)) bad(`maxLeafNodes must be >= 2 (got ${p.maxLeafNodes})`);
  if (!(p.minSamplesLeaf >= 1)) bad(`minSamplesLeaf must be >= 1 (got ${p.minSamplesLeaf})`);
  if (!(p.l2 >= 0)) bad(`l2 must be >= 0 (got ${p.l2})`);
  if (!(p.maxBins >= 2 && p.maxBins <= 255)) bad(`maxBins must be in [2, 255] (got ${p.maxBins})`);
  if (!(p.validationFraction > 0 && p.validationFraction < 1)) bad(`validationFraction must be in (0, 1)`);
  if (!(p.subsample > 0 && p.subsample <= 1)) bad(`subsample must be in (0, 1] (got ${p.subsample})`);
  if (!(Number.isInteger(p.threads) && p.threads >= 1)) bad(`threads must be an integer >= 1 (got ${p.threads})`);
  if (!(p.colsampleByTree > 0 && p.colsampleByTree <= 1))
    bad(`colsampleByTree must be in (0, 1] (got ${p.colsampleByTree})`);
}

/**
 * The per-tree random draws of stochastic boosting, from one stream seeded by the model's seed (apart from the
 * binning's and the validation split's streams): a Bernoulli(subsample) sample of the training rows, ascending,
 * and a uniform subset of round(colsampleByTree · features) features (at least one).
 */
class TreeSampler {
  private readonly rand: () => number;
  private readonly sample: Uint32Array;
  private readonly perm: Uint32Array;
  private readonly allowed: Uint8Array;
  private readonly nPick: number;

  constructor(
    private readonly n: number,
    private readonly nF: number,
    private readonly p: HgbParams,
  ) {
    this.rand = mulberry32(deriveSeed(p.seed, 0x5b5));
    this.sample = new Uint32Array(n);
    this.perm = iota(nF);
    this.allowed = new Uint8Array(nF).fill(1);
    this.nPick = Math.max(1, Math.round(p.colsampleByTree * nF));
  }

  /** This tree's rows (a view, valid until the next call), or undefined for all rows. */
  rows(): Uint32Array | undefined {
    if (this.p.subsample >= 1) return undefined;
    const f = this.p.subsample;
    let m = 0;
    for (let k = 0; k < this.n; k++) if (this.rand() < f) this.sample[m++] = k;
    // A tree needs two rows to split; with tiny inputs fall back to all rows rather than grow nothing.
    return m >= 2 ? this.sample.subarray(0, m) : undefined;
  }

  /** This tree's allowed features (1 = may split on it), or undefined for all. */
  features(): Uint8Array | undefined {
    if (this.nPick >= this.nF) return undefined;
    // Partial Fisher–Yates: the first nPick entries of the permutation are the chosen features.
    const perm = this.perm;
    for (let i = 0; i < this.nPick; i++) {
      const j = i + Math.floor(this.rand() * (this.nF - i));
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
    }
    this.allowed.fill(0);
    for (let i = 0; i < this.nPick; i++) this.allowed[perm[i]!] = 1;
    return this.allowed;
  }
}

/** Add a tree's output to raw scores of binned rows. */
function addTreeBinned(tree: HgbTree, binned: Uint8Array, nF: number, raw: Float64Array): void {
  const { feature, binThreshold, left, right, value } = tree;
  for (let k = 0; k < raw.length; k++) {
    let node = 0;
    const row = k * nF;
    while (feature[node]! >= 0) {
      node = binned[row + feature[node]!]! <= binThreshold[node]! ? left[node]! : right[node]!;
    }
    raw[k] = raw[k]! + value[node]!;
  }
}

/** Events per block of predictRaw (a block's four float32 features in a few kB of L1). */
const PREDICT_BLOCK = 256;

/** Raw scores (logits) for rows of real-valued feature columns. */
export function predictRaw(model: HgbModel, columns: NumericColumn[], rows?: Uint32Array): Float64Array {
  if (columns.length !== model.nFeatures) {
    throw new SidebandError(`hgb: model has ${model.nFeatures} features, got ${columns.length} columns`);
  }
  const n = rows ? rows.length : columns[0]!.length;
  const out = new Float64Array(n).fill(model.baseline);
  // Hot (every event of a window, every model of its ensemble): blocks of events walk every tree in turn, so a
  // block's feature values stay in cache across the trees instead of streaming the whole column once per tree.
  // Each event still adds the trees' values in tree order, so the scores are those of a tree-by-tree pass.
  for (let b0 = 0; b0 < n; b0 += PREDICT_BLOCK) {
    const b1 = Math.min(n, b0 + PREDICT_BLOCK);
    for (const tree of model.trees) {
      const { feature, threshold, left, right, value } = tree;
      for (let k = b0; k < b1; k++) {
        const r = rows ? rows[k]! : k;
        let node = 0;
        while (feature[node]! >= 0) {
          // NaN fails the comparison and goes right, as the missing bin does in training.
          node = columns[feature[node]!]![r]! <= threshold[node]! ? left[node]! : right[node]!;
        }
        out[k] = out[k]! + value[node]!;
      }
    }
  }
  return out;
}

/** Probabilities σ(raw). */
export function predictProba(model: HgbModel, columns: NumericColumn[], rows?: Uint32Array): Float64Array {
  const raw = predictRaw(model, columns, rows);
  for (let k = 0; k < raw.length; k++) raw[k] = 1 / (1 + Math.exp(-raw[k]!));
  return raw;
}

/**
 * Leaf-wise tree growth over one partition array of sample indices: every node owns a contiguous range of it.
 * Node histograms are kept in a pool of Float64Arrays laid out [feature][bin][g, h, count].
 */
class TreeGrower {
  private readonly nF: number;
  private readonly n: number;
  private readonly idx: Uint32Array;
  private readonly scratch: Uint32Array;
  private readonly hists: Float64Array[];
  private readonly maxNodes: number;
  // Per-node state (index = node id in the tree being grown).
  private readonly start: Int32Array;
  private readonly stop: Int32Array;
  private readonly depth: Int32Array;
  private readonly sumG: Float64Array;
  private readonly sumH: Float64Array;
  private readonly histOf: Int32Array;
  private readonly bestGain: Float64Array;
  private readonly bestFeature: Int32Array;
  private readonly bestBin: Int32Array;
  private readonly bestGL: Float64Array;
  private readonly bestHL: Float64Array;
  private readonly inputs: HistogramInputs;
  private readonly blockScratch: Float64Array;

  constructor(
    /** Row-major bins: row r's feature f at r·nF + f. */
    private readonly binned: Uint8Array,
    nFeatures: number,
    private readonly mapper: BinMapper,
    private readonly grad: Float32Array,
    private readonly hess: Float32Array,
    private readonly p: HgbParams,
    private readonly threads?: HistogramBuilder,
    alloc: (bytes: number) => ArrayBuffer | SharedArrayBuffer = (b) => new ArrayBuffer(b),
  ) {
    this.nF = nFeatures;
    this.n = grad.length;
    this.idx = new Uint32Array(alloc(4 * this.n));
    this.inputs = { binned, nFeatures, idx: this.idx, grad, hess };
    this.blockScratch = new Float64Array(histogramLength(nFeatures));
    threads?.attach(this.inputs);
    this.scratch = new Uint32Array(this.n);
    this.maxNodes = 2 * p.maxLeafNodes - 1;
    const m = this.maxNodes;
    this.hists = [];
    this.start = new Int32Array(m);
    this.stop = new Int32Array(m);
    this.depth = new Int32Array(m);
    this.sumG = new Float64Array(m);
    this.sumH = new Float64Array(m);
    this.histOf = new Int32Array(m);
    this.bestGain = new Float64Array(m);
    this.bestFeature = new Int32Array(m);
    this.bestBin = new Int32Array(m);
    this.bestGL = new Float64Array(m);
    this.bestHL = new Float64Array(m);
  }

  private freeHists: number[] = [];
  /** Features the current tree may split on (1 = allowed); undefined = all. */
  private allowed: Uint8Array | undefined;

  private allocHist(): number {
    const h = this.freeHists.pop();
    if (h !== undefined) return h;
    this.hists.push(new Float64Array(histogramLength(this.nF)));
    return this.hists.length - 1;
  }

  /**
   * Grow one tree on the current gradients; adds its leaf values to `raw` of all training rows. With `sample`
   * (ascending rows) the tree is grown on those rows only; with `allowed` it splits only on those features.
   */
  grow(raw: Float64Array, sample?: Uint32Array, allowed?: Uint8Array): HgbTree {
    const p = this.p;
    const idx = this.idx;
    const nRoot = sample ? sample.length : this.n;
    if (sample) idx.set(sample);
    else for (let i = 0; i < this.n; i++) idx[i] = i;
    this.allowed = allowed;
    this.freeHists = [];
    for (let i = 0; i < this.hists.length; i++) this.freeHists.push(i);

    const feature: number[] = [-1];
    const thrBin: number[] = [0];
    const left: number[] = [-1];
    const right: number[] = [-1];
    const value: number[] = [0];

    let nNodes = 1;
    this.start[0] = 0;
    this.stop[0] = nRoot;
    this.depth[0] = 0;
    let G = 0;
    let H = 0;
    for (let k = 0; k < nRoot; k++) {
      const i = idx[k]!;
      G += this.grad[i]!;
      H += this.hess[i]!;
    }
    this.sumG[0] = G;
    this.sumH[0] = H;
    this.histOf[0] = this.allocHist();
    this.buildHist(0, !sample);
    this.findSplit(0);

    const leaves: number[] = [0];
    while (leaves.length < p.maxLeafNodes) {
      // Leaf-wise: split the open leaf with the largest gain (at most maxLeafNodes candidates, a linear scan).
      let bestLeafPos = -1;
      let bestGain = 0;
      for (let li = 0; li < leaves.length; li++) {
        const g = this.bestGain[leaves[li]!]!;
        if (g > bestGain) {
          bestGain = g;
          bestLeafPos = li;
        }
      }
      if (bestLeafPos < 0) break;
      const node = leaves[bestLeafPos]!;
      const f = this.bestFeature[node]!;
      const b = this.bestBin[node]!;
      const mid = this.partition(node, f, b);
      const l = nNodes++;
      const r = nNodes++;
      feature[node] = f;
      thrBin[node] = b;
      left[node] = l;
      right[node] = r;
      for (const c of [l, r]) {
        feature.push(-1);
        thrBin.push(0);
        left.push(-1);
        right.push(-1);
        value.push(0);
        this.depth[c] = this.depth[node]! + 1;
        this.bestGain[c] = 0;
      }
      this.start[l] = this.start[node]!;
      this.stop[l] = mid;
      this.start[r] = mid;
      this.stop[r] = this.stop[node]!;
      this.sumG[l] = this.bestGL[node]!;
      this.sumH[l] = this.bestHL[node]!;
      this.sumG[r] = this.sumG[node]! - this.bestGL[node]!;
      this.sumH[r] = this.sumH[node]! - this.bestHL[node]!;
      leaves.splice(bestLeafPos, 1, l, r);

      const willSplitMore = leaves.length < p.maxLeafNodes;
      const parentHist = this.histOf[node]!;
      if (willSplitMore && (this.canSplit(l) || this.canSplit(r))) {
        // Build the smaller child's histogram, derive the larger one by subtraction (reusing the parent's slot).
        const nl = mid - this.start[node]!;
        const nr = this.stop[node]! - mid;
        const small = nl <= nr ? l : r;
        const large = small === l ? r : l;
        this.histOf[small] = this.allocHist();
        this.buildHist(small, false);
        const ph = this.hists[parentHist]!;
        const sh = this.hists[this.histOf[small]!]!;
        for (let i = 0; i < ph.length; i++) ph[i] = ph[i]! - sh[i]!;
        this.histOf[large] = parentHist;
        this.findSplit(l);
        this.findSplit(r);
      } else {
        this.freeHists.push(parentHist);
      }
    }

    // Leaf values, and the training raw-score update straight from the partition (no traversal needed).
    const lr = p.learningRate;
    for (const leaf of leaves) {
      const v = (-lr * this.sumG[leaf]!) / (this.sumH[leaf]! + p.l2);
      value[leaf] = Number.isFinite(v) ? v : 0;
      if (sample) continue;
      const s = this.stop[leaf]!;
      for (let k = this.start[leaf]!; k < s; k++) raw[idx[k]!] = raw[idx[k]!]! + value[leaf]!;
    }
    const m = feature.length;
    const threshold = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      if (feature[i]! >= 0) threshold[i] = this.mapper.thresholds[feature[i]!]![thrBin[i]!]!;
    }
    const tree: HgbTree = {
      feature: Int32Array.from(feature),
      threshold,
      binThreshold: Uint8Array.from(thrBin),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      value: Float64Array.from(value),
    };
    // Rows outside the sample are not in the partition: every training row's score comes from the tree.
    if (sample) addTreeBinned(tree, this.binned, this.nF, raw);
    return tree;
  }

  private canSplit(node: number): boolean {
    const p = this.p;
    if (p.maxDepth > 0 && this.depth[node]! >= p.maxDepth) return false;
    if (this.stop[node]! - this.start[node]! < 2 * p.minSamplesLeaf) return false;
    return this.sumH[node]! >= 2 * MIN_HESSIAN;
  }

  /** A node's histogram: on the builder's threads when it has many rows, else in fixed blocks on this thread. */
  private buildHist(node: number, isRoot: boolean): void {
    const h = this.hists[this.histOf[node]!]!;
    const s = this.start[node]!;
    const e = this.stop[node]!;
    if (this.threads && e - s > HIST_BLOCK) this.threads.build(s, e, isRoot, h);
    else serialHistogram(this.inputs, s, e, isRoot, h, this.blockScratch);
  }

  /** Best (feature, bin) split of a node from its histogram; bins <= threshold go left, missing goes right. */
  private findSplit(node: number): void {
    this.bestGain[node] = 0;
    if (!this.canSplit(node)) return;
    const p = this.p;
    const h = this.hists[this.histOf[node]!]!;
    const G = this.sumG[node]!;
    const H = this.sumH[node]!;
    const C = this.stop[node]! - this.start[node]!;
    const lam = p.l2;
    const parentScore = (G * G) / (H + lam);
    let best = 1e-12;
    let bf = -1;
    let bb = 0;
    let bgl = 0;
    let bhl = 0;
    const allowed = this.allowed;
    for (let f = 0; f < this.nF; f++) {
      if (allowed && !allowed[f]) continue;
      const base = f * NB * 3;
      const nb = this.mapper.nBins[f]!;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb - 1; b++) {
        const o = base + b * 3;
        gl += h[o]!;
        hl += h[o + 1]!;
        cl += h[o + 2]!;
        if (cl < p.minSamplesLeaf || hl < MIN_HESSIAN) continue;
        const cr = C - cl;
        if (cr < p.minSamplesLeaf) break;
        const hr = H - hl;
        if (hr < MIN_HESSIAN) break;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + lam) + (gr * gr) / (hr + lam) - parentScore;
        if (gain > best) {
          best = gain;
          bf = f;
          bb = b;
          bgl = gl;
          bhl = hl;
        }
      }
    }
    if (bf >= 0) {
      this.bestGain[node] = best;
      this.bestFeature[node] = bf;
      this.bestBin[node] = bb;
      this.bestGL[node] = bgl;
      this.bestHL[node] = bhl;
    }
  }

  /** Stable partition of the node's range: rows with bin <= b first. Returns the boundary. Branch-free. */
  private partition(node: number, f: number, b: number): number {
    const X = this.binned;
    const nF = this.nF;
    const idx = this.idx;
    const sc = this.scratch;
    const s = this.start[node]!;
    const e = this.stop[node]!;
    let w = s;
    let nr = 0;
    for (let k = s; k < e; k++) {
      const r = idx[k]!;
      const goLeft = X[r * nF + f]! <= b ? 1 : 0;
      idx[w] = r;
      sc[nr] = r;
      w += goLeft;
      nr += 1 - goLeft;
    }
    for (let k = 0; k < nr; k++) idx[w + k] = sc[k]!;
    return w;
  }
}

export { MISSING_BIN };
