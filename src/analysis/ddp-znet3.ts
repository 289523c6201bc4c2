/**
 * Znet3, the DDP bump hunter network (seed 002 §5.1, Fig. 4), on the neural engine (src/nn): a binned mass
 * histogram in, per bin the mixed-width significance z (the DMFmw target, ddp-targets.ts) and an auxiliary
 * background prediction out, with no background fit at scan time beyond the fixed preprocessing below.
 *
 * Architecture: the histogram (bins x INPUT_CHANNELS, channels-last) goes through parallel 1-D convolutions with
 * several kernel sizes (small kernels see bumps, large ones the smoothly falling background), their outputs are
 * concatenated with the input itself (the skip connection), and a per-bin head (kernel-1 convolutions, i.e. one
 * dense network applied to every bin) maps each bin's features to [z, background correction]. Every layer after
 * the parallel convolutions is per bin, so the network is fully convolutional: the weights do not depend on the
 * bin count, and one trained model scans a histogram of any length (a network is compiled per bin count and
 * loaded with the same weights).
 *
 * Training pads every histogram to the largest bin count with zero rows. Because the only layer that looks across
 * bins is the first (the parallel convolutions, zero-padded 'same'), the outputs on the real bins are then
 * exactly those of the network compiled at the histogram's own length; the padded bins carry no loss.
 *
 * Input normalisation (seed 002 scales every histogram to [0, 1]; the dynamic range here is 10–10⁵, so the
 * levels are logarithmic and the fluctuations are put in units of their Poisson width):
 *   c0 = 1 on the histogram's bins (0 on padding: the network sees the edges),
 *   c1 = ln(n + 1) / ln 10⁵                              (the level),
 *   c2 = (n − b̂)/√b̂ / 5, clipped to ±6                    (the fluctuation, in σ),
 *   c3 = ln b̂ / ln 10⁵                                   (the smooth level),
 * where b̂ is a weighted least-squares polynomial of degree 4 in ln n over the bin index (weights n, the inverse
 * variance of ln n): a fixed, linear smoother that removes the steep fall so the convolutions see fluctuations of
 * unit size at every dynamic range. A bump pulls b̂ up under it; the network learns to correct that from the
 * shape of the residuals around it. The auxiliary output predicts (b − b̂)/√b̂ (the true background's offset from
 * b̂ in σ), so the predicted background is b̂ + a√b̂.
 */
import { InputError, SidebandError } from '../events/errors.js';
import { fit, type EpochReport, type FitResult, type Objective } from '../nn/fit.js';
import { mixKey, mulberry32, shuffle } from '../nn/random.js';
import type { Replica } from '../nn/module.js';
import { Network } from '../nn/network.js';
import { loadNetwork, type SavedModel } from '../nn/serialize.js';
import { branches, conv1d, flatten, network, toSequence, type LayerSpec, type NetworkSpec } from '../nn/spec.js';

export const INPUT_CHANNELS = 4;
/** Outputs per bin: z and the background correction. */
export const OUTPUT_CHANNELS = 2;
const LN_RANGE = Math.log(1e5);
const POLY_DEGREE = 4;

export interface Znet3Config {
  /** Kernel sizes of the parallel convolutions (odd). */
  kernels: number[];
  /** Channels of each parallel convolution. */
  branchChannels: number;
  /** Widths of the per-bin head's hidden layers. */
  head: number[];
}

export const DEFAULT_ZNET3: Znet3Config = { kernels: [3, 9, 17, 33], branchChannels: 12, head: [48, 24] };

/** The layer specs (independent of the bin count). */
export function znet3Layers(cfg: Znet3Config = DEFAULT_ZNET3): LayerSpec[] {
  for (const k of cfg.kernels) {
    if (!(Number.isInteger(k) && k > 0 && k % 2 === 1))
      throw new InputError(`znet3: kernel ${k} must be an odd positive integer`, { field: 'kernels' });
  }
  return [
    toSequence(INPUT_CHANNELS),
    branches(
      cfg.kernels.map((k) => [conv1d(cfg.branchChannels, k, { activation: 'relu' })]),
      true,
    ),
    ...cfg.head.map((h) => conv1d(h, 1, { activation: 'relu' })),
    conv1d(OUTPUT_CHANNELS, 1),
    flatten(),
  ];
}

/** Znet3 compiled for histograms of `bins` bins. */
export function znet3Spec(bins: number, cfg: Znet3Config = DEFAULT_ZNET3): NetworkSpec {
  return network(bins * INPUT_CHANNELS, znet3Layers(cfg));
}

/**
 * The smooth reference b̂ of a histogram: exp of the weighted least-squares polynomial (degree 4) of ln n over
 * x = bin index mapped to [−1, 1], weights max(n, 1). Writes b̂ into `out` (length ≥ nb).
 */
export function smoothReference(counts: ArrayLike<number>, o: number, nb: number, out: Float64Array): void {
  const d = Math.min(POLY_DEGREE, nb - 1) + 1;
  const A = new Float64Array(d * d);
  const r = new Float64Array(d);
  const p = new Float64Array(d);
  for (let j = 0; j < nb; j++) {
    const n = counts[o + j]!;
    const y = Math.log(Math.max(n, 0.5));
    const w = Math.max(n, 1);
    const x = nb > 1 ? (2 * j) / (nb - 1) - 1 : 0;
    p[0] = 1;
    for (let k = 1; k < d; k++) p[k] = p[k - 1]! * x;
    for (let a = 0; a < d; a++) {
      r[a] = r[a]! + w * p[a]! * y;
      for (let b = 0; b <= a; b++) A[a * d + b] = A[a * d + b]! + w * p[a]! * p[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) A[a * d + b] = A[b * d + a]!;
  // Cholesky solve (A is symmetric positive definite for distinct x and w > 0)
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      let s = A[a * d + b]!;
      for (let k = 0; k < b; k++) s -= A[a * d + k]! * A[b * d + k]!;
      A[a * d + b] = a === b ? Math.sqrt(Math.max(s, 1e-300)) : s / A[b * d + b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    let s = r[a]!;
    for (let k = 0; k < a; k++) s -= A[a * d + k]! * r[k]!;
    r[a] = s / A[a * d + a]!;
  }
  for (let a = d - 1; a >= 0; a--) {
    let s = r[a]!;
    for (let k = a + 1; k < d; k++) s -= A[k * d + a]! * r[k]!;
    r[a] = s / A[a * d + a]!;
  }
  for (let j = 0; j < nb; j++) {
    const x = nb > 1 ? (2 * j) / (nb - 1) - 1 : 0;
    let v = r[d - 1]!;
    for (let k = d - 2; k >= 0; k--) v = v * x + r[k]!;
    out[j] = Math.exp(Math.min(v, 700));
  }
}

/**
 * Hot: the network input of one histogram (counts[o … o+nb)) into x[xo …] as nb rows of INPUT_CHANNELS, and b̂
 * into ref[0 … nb).
 */
export function znet3Input(
  counts: ArrayLike<number>,
  o: number,
  nb: number,
  x: Float32Array,
  xo: number,
  ref: Float64Array,
): void {
  smoothReference(counts, o, nb, ref);
  for (let j = 0; j < nb; j++) {
    const n = counts[o + j]!;
    const b = ref[j]!;
    const q = xo + j * INPUT_CHANNELS;
    x[q] = 1;
    x[q + 1] = Math.log(n + 1) / LN_RANGE;
    x[q + 2] = Math.max(-6, Math.min(6, (n - b) / Math.sqrt(b) / 5));
    x[q + 3] = Math.log(b) / LN_RANGE;
  }
}

/** Histograms as a columnar batch: histogram r spans offsets[r] … offsets[r+1] of counts. */
export interface HistogramColumns {
  counts: ArrayLike<number>;
  offsets: Int32Array;
}

/** Training rows of Znet3, precomputed once: inputs and targets concatenated per bin as the histograms are. */
export interface Znet3Data {
  offsets: Int32Array;
  /** totalBins x INPUT_CHANNELS. */
  x: Float32Array;
  /** totalBins x OUTPUT_CHANNELS: z target, background correction target. */
  y: Float32Array;
  maxBins: number;
}

/** Inputs and targets of a training set (counts, true background, mixed-width z targets). */
export function znet3Data(
  h: HistogramColumns & { background: ArrayLike<number>; zMixed: ArrayLike<number> },
): Znet3Data {
  const rows = h.offsets.length - 1;
  const total = h.offsets[rows]!;
  const x = new Float32Array(total * INPUT_CHANNELS);
  const y = new Float32Array(total * OUTPUT_CHANNELS);
  let maxBins = 0;
  const ref = new Float64Array(1024);
  for (let r = 0; r < rows; r++) {
    const o = h.offsets[r]!;
    const nb = h.offsets[r + 1]! - o;
    if (nb > ref.length) throw new SidebandError(`znet3: histogram ${r} has ${nb} bins (at most ${ref.length})`);
    maxBins = Math.max(maxBins, nb);
    znet3Input(h.counts, o, nb, x, o * INPUT_CHANNELS, ref);
    for (let j = 0; j < nb; j++) {
      const b = ref[j]!;
      y[(o + j) * 2] = h.zMixed[o + j]!;
      y[(o + j) * 2 + 1] = (h.background[o + j]! - b) / Math.sqrt(b);
    }
  }
  return { offsets: h.offsets, x, y, maxBins };
}

/**
 * Masked per-bin MSE of Znet3 over padded histograms: the loss is the mean over real bins of (z − z_PL)² +
 * (a − a_true)²; padded bins get zero gradient. fit() drives it like any Objective.
 */
export class Znet3Objective implements Objective {
  private readonly bins: number;
  constructor(
    readonly net: Network,
    readonly data: Znet3Data,
  ) {
    this.bins = net.inputs / INPUT_CHANNELS;
    if (net.outputs !== this.bins * OUTPUT_CHANNELS)
      throw new SidebandError(`znet3 objective: ${net.outputs} outputs for ${this.bins} bins`);
    if (data.maxBins > this.bins)
      throw new InputError(`znet3 objective: a histogram has ${data.maxBins} bins, the network ${this.bins}`);
  }

  get params() {
    return this.net.params;
  }

  get capacity(): number {
    return this.net.capacity;
  }

  useReplica(r: Replica): void {
    this.net.pass.replica = r;
  }

  normalizer(rows: Uint32Array, start: number, end: number): number {
    const off = this.data.offsets;
    let s = 0;
    for (let i = start; i < end; i++) s += off[rows[i]! + 1]! - off[rows[i]!]!;
    return s;
  }

  /** Hot: padded input rows of histograms rows[start … start+n). */
  private gather(rows: Uint32Array, start: number, n: number): void {
    const f = this.net.heap.f32;
    const base = this.net.input.off;
    const L = this.bins * INPUT_CHANNELS;
    const { x, offsets } = this.data;
    for (let i = 0; i < n; i++) {
      const r = rows[start + i]!;
      const a = offsets[r]! * INPUT_CHANNELS,
        e = offsets[r + 1]! * INPUT_CHANNELS;
      const o = base + i * L;
      f.set(x.subarray(a, e), o);
      f.fill(0, o + e - a, o + L);
    }
  }

  private loss(rows: Uint32Array, start: number, n: number, norm: number, grad: boolean): number {
    const net = this.net;
    const f = net.heap.f32;
    const out = net.output;
    const { y, offsets } = this.data;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[start + i]!;
      const a = offsets[r]!,
        nb = offsets[r + 1]! - a;
      const yo = out.y.off + i * out.y.ld;
      const go = grad ? out.dy!.off + i * out.dy!.ld : 0;
      for (let q = 0; q < nb * OUTPUT_CHANNELS; q++) {
        const d = f[yo + q]! - y[a * OUTPUT_CHANNELS + q]!;
        total += d * d;
        if (grad) f[go + q] = (2 * d) / norm;
      }
      if (grad) f.fill(0, go + nb * OUTPUT_CHANNELS, go + this.bins * OUTPUT_CHANNELS);
    }
    return total;
  }

  lossGrad(rows: Uint32Array, start: number, end: number, rowBase: number, norm: number, key: number): number {
    const net = this.net;
    let total = 0;
    for (let s = start; s < end; s += net.capacity) {
      const n = Math.min(net.capacity, end - s);
      this.gather(rows, s, n);
      net.pass.key = key;
      net.pass.rowBase = rowBase + (s - start);
      net.forward(n, true);
      total += this.loss(rows, s, n, norm, true);
      net.backward(n);
    }
    return total;
  }

  evalLoss(rows: Uint32Array, start: number, end: number): number {
    const net = this.net;
    let total = 0;
    for (let s = start; s < end; s += net.capacity) {
      const n = Math.min(net.capacity, end - s);
      this.gather(rows, s, n);
      net.forward(n, false);
      total += this.loss(rows, s, n, 1, false);
    }
    return total;
  }
}

/** Per-bin predictions of a batch of histograms. */
export interface Znet3Prediction {
  /** Predicted mixed-width z per bin (same layout as the counts). */
  z: Float32Array;
  /** Predicted background per bin. */
  background: Float64Array;
}

/** What a model was trained on: bin counts and entries per background bin (the generator's options). */
export interface TrainingDomain {
  binsMin: number;
  binsMax: number;
  rangeMin: number;
  rangeMax: number;
}

/**
 * A trained Znet3 for scanning: compiles (and caches) one network per bin count with the trained weights and runs
 * whole batches, grouped by bin count, through them.
 */
export class Znet3 {
  private readonly nets = new Map<number, Network>();
  private ref = new Float64Array(256);
  readonly domain: TrainingDomain;

  constructor(
    readonly saved: SavedModel,
    readonly capacity = 256,
  ) {
    if (saved.kind !== 'network') throw new InputError('znet3: the model is not a network', { field: 'kind' });
    const g = ((saved.extra?.source as { generator?: Partial<TrainingDomain> } | undefined)?.generator ??
      {}) as Partial<TrainingDomain>;
    this.domain = { binsMin: 30, binsMax: 100, rangeMin: 10, rangeMax: 1e5, ...g };
  }

  /**
   * Why a histogram lies outside what the model was trained on (its predictions there are extrapolations that
   * cannot be trusted), or undefined: a bin count outside [binsMin, binsMax], or a smooth level (b̂) outside
   * [rangeMin / 2, 2 rangeMax] somewhere.
   */
  outsideDomain(counts: ArrayLike<number>): string | undefined {
    const d = this.domain;
    const nb = counts.length;
    if (nb < d.binsMin || nb > d.binsMax) return `${nb} bins; the model was trained on ${d.binsMin}-${d.binsMax}`;
    const ref = new Float64Array(nb);
    smoothReference(counts, 0, nb, ref);
    let lo = Infinity,
      hi = 0;
    for (const b of ref) {
      lo = Math.min(lo, b);
      hi = Math.max(hi, b);
    }
    if (lo < d.rangeMin / 2 || hi > 2 * d.rangeMax)
      return (
        `smooth level ${lo.toPrecision(3)}-${hi.toPrecision(3)} events per bin; ` +
        `the model was trained on ${d.rangeMin}-${d.rangeMax}`
      );
    return undefined;
  }

  /** The network for histograms of nb bins (the trained weights, compiled at that length). */
  networkFor(nb: number): Network {
    let net = this.nets.get(nb);
    if (!net) {
      if (!(Number.isInteger(nb) && nb > 0)) throw new InputError(`znet3: ${nb} bins`, { field: 'bins' });
      const spec = this.saved.spec as NetworkSpec;
      net = loadNetwork(
        { ...this.saved, spec: { inputs: nb * INPUT_CHANNELS, layers: spec.layers } },
        {
          capacity: this.capacity,
        },
      );
      this.nets.set(nb, net);
    }
    return net;
  }

  /** Scan every histogram of the batch. */
  predict(h: HistogramColumns): Znet3Prediction {
    const rows = h.offsets.length - 1;
    const total = h.offsets[rows]!;
    const z = new Float32Array(total);
    const background = new Float64Array(total);
    // group rows by bin count, in index order within a group (the result does not depend on the grouping)
    const byBins = new Map<number, number[]>();
    for (let r = 0; r < rows; r++) {
      const nb = h.offsets[r + 1]! - h.offsets[r]!;
      if (nb <= 0) throw new InputError(`znet3: histogram ${r} has no bins`, { field: 'offsets', row: r });
      const list = byBins.get(nb);
      if (list) list.push(r);
      else byBins.set(nb, [r]);
    }
    for (const [nb, list] of byBins) {
      const net = this.networkFor(nb);
      if (this.ref.length < nb * net.capacity) this.ref = new Float64Array(nb * net.capacity);
      const f = net.heap.f32;
      for (let s = 0; s < list.length; s += net.capacity) {
        const m = Math.min(net.capacity, list.length - s);
        for (let i = 0; i < m; i++) {
          const o = h.offsets[list[s + i]!]!;
          znet3Input(h.counts, o, nb, f, net.input.off + i * nb * INPUT_CHANNELS, this.ref.subarray(i * nb));
        }
        net.forward(m, false);
        const y = net.output.y;
        for (let i = 0; i < m; i++) {
          const o = h.offsets[list[s + i]!]!;
          const yo = y.off + i * y.ld;
          for (let j = 0; j < nb; j++) {
            const b = this.ref[i * nb + j]!;
            z[o + j] = Math.max(0, f[yo + j * 2]!);
            background[o + j] = Math.max(b + f[yo + j * 2 + 1]! * Math.sqrt(b), 1e-9);
          }
        }
      }
    }
    return { z, background };
  }
}

export interface Znet3TrainOptions {
  config?: Znet3Config;
  /** Seed of the initial weights, the validation split and the shuffles. */
  seed: number;
  epochs: number;
  batchSize?: number;
  lr?: number;
  /** lr x gamma per epoch (default 0.9). */
  gamma?: number;
  /** Share of histograms held out for validation (default 0.05). */
  validation?: number;
  /** Bin count the network is compiled at for training (default: the set's largest). */
  bins?: number;
  /** Weights to start from (resume); `startEpoch` epochs already done. */
  resume?: SavedModel;
  startEpoch?: number;
  onEpoch?: (r: EpochReport, net: Network) => void;
}

export interface Znet3Training {
  net: Network;
  result: FitResult;
  trainRows: number;
  validationRows: number;
}

/**
 * Train Znet3 on precomputed data. Seeded end to end: the weights from `seed`, the validation split from a
 * shuffle with `seed`, the batch order from fit()'s seeded shuffles; resumed runs continue the learning-rate
 * decay from `startEpoch` (Adam's moments restart from zero).
 */
export function trainZnet3(data: Znet3Data, o: Znet3TrainOptions): Znet3Training {
  const cfg = o.config ?? DEFAULT_ZNET3;
  const bins = o.bins ?? data.maxBins;
  const batch = o.batchSize ?? 128;
  const start = o.startEpoch ?? 0;
  const spec = znet3Spec(bins, cfg);
  let net: Network;
  if (o.resume) {
    net = loadNetwork({ ...o.resume, spec }, { capacity: batch });
  } else net = new Network(spec, { seed: o.seed, capacity: batch });
  const rows = data.offsets.length - 1;
  const order = Uint32Array.from({ length: rows }, (_, i) => i);
  shuffle(order, mulberry32(mixKey(o.seed, 0x7a11d)));
  const nVal = Math.floor(rows * (o.validation ?? 0.05));
  const val = order.slice(0, nVal);
  const train = order.slice(nVal);
  const gamma = o.gamma ?? 0.9;
  const obj = new Znet3Objective(net, data);
  const result = fit(obj, train, nVal > 0 ? val : null, {
    epochs: o.epochs - start,
    batchSize: batch,
    optimizer: 'adam',
    lr: (o.lr ?? 1e-3) * gamma ** start,
    schedule: { type: 'exponential', gamma },
    seed: mixKey(o.seed, start),
    restoreBest: false,
    onEpoch: (r) => o.onEpoch?.({ ...r, epoch: r.epoch + start, epochs: o.epochs }, net),
  });
  return { net, result, trainRows: train.length, validationRows: nVal };
}
