/**
 * Conditional normalising flows with sk_cathode's contract: fit(X, m, Xval, mval), logProb(x, m),
 * sample(n, m, seed), transform / inverseTransform with log-det Jacobians. Two families, both built from
 * [autoregressive step, optional batch norm, feature reversal] x blocks over a standard-normal base:
 *  - 'maf': affine MADE blocks (CATHODE's density estimator: 15 blocks x 128 hidden with batch norm there);
 *  - 'rqs': rational-quadratic spline MADE transforms (neural spline flows: K bins, tail bound B).
 * Inputs are preprocessed (logit of min-max scaled features, then standardised; see preprocess.ts) and the
 * context standardised; logProb is the density of the raw features, Jacobian of the preprocessing included.
 * Batch norm follows pytorch-flows' recipe, which CATHODE's training uses: batch statistics while training, and
 * before every validation the running statistics are set from the whole training set, layer by layer.
 * The training and validation losses fit() reports are the mean negative log-likelihood of the preprocessed
 * features (the quantity the optimiser sees).
 */
import { InputError, SidebandError } from '../../events/errors.js';
import { Heap, type BackendChoice } from '../backend.js';
import { evaluate, fit, shardOf, type FitOptions, type FitResult, type Objective } from '../fit.js';
import type { Activation } from '../kernels-api.js';
import { singleReplica, type Binder, type Pass, type Replica } from '../module.js';
import { ParamStore } from '../params.js';
import { normalStream } from '../random.js';
import { mat, type Tensor } from '../tensor.js';
import {
  fitPreprocessor,
  preprocess,
  preprocessContext,
  unpreprocess,
  type PreprocessOptions,
  type Preprocessor,
} from './preprocess.js';
import { AutoregressiveStep, BatchNormStep, ReverseStep, type FlowStep } from './steps.js';

// Math functions bound once: hot loops read module constants instead of the global object (much slower where
// code runs in a vm context, as under jest).
const { floor, log, max, min, PI } = Math;

export interface FlowSpec {
  type: 'maf' | 'rqs';
  features: number;
  context: number;
  blocks: number;
  hidden: number;
  /** Hidden layers per MADE (default 2). */
  hiddenLayers?: number;
  activation?: Activation;
  /** Batch norm after every autoregressive step (default false). */
  batchNorm?: boolean;
  /** pytorch-flows' BatchNormFlow momentum (running = momentum running + (1 - momentum) batch; default 0). */
  bnMomentum?: number;
  bnEps?: number;
  /** Reverse the feature order after every block (default true). */
  reverse?: boolean;
  init?: 'torch' | 'orthogonal';
  /** rqs: bins (default 8) and tail bound (default 3). */
  bins?: number;
  tailBound?: number;
}

export interface FlowBuildOptions {
  seed?: number;
  backend?: BackendChoice;
  /** Rows per forward call (the training batch size; default 256). */
  capacity?: number;
  shared?: boolean;
  /** Keep the gradient of the loss with respect to the flow's input (a frozen flow serving as another's base). */
  inputGradient?: boolean;
}

/**
 * A trained, frozen flow as the base distribution of the flow being fitted (flows for flows, CURTAINS): the fitted
 * flow f maps x to u = f(x; c) and its loss is −log p_base(u | c_base) − log|det ∂u/∂x|, in the base's
 * preprocessed space (the fitted flow then has preprocessing 'none' on features, so its inputs and outputs are
 * the base's preprocessed features). `context` holds the base's raw context per training row (n x C_base),
 * `contextVal` per validation row.
 */
export interface FlowBase {
  flow: ConditionalFlow;
  context: Float32Array;
  contextVal?: Float32Array;
}

export interface FlowFitOptions extends FitOptions {
  preprocess?: PreprocessOptions;
  base?: FlowBase;
}

const HALF_LOG_2PI = 0.5 * log(2 * PI);

export class ConditionalFlow {
  readonly heap: Heap;
  readonly params: ParamStore;
  readonly steps: FlowStep[];
  readonly capacity: number;
  readonly seed: number;
  readonly pass: Pass = { train: false, key: 0, rowBase: 0, replica: singleReplica };
  preprocessor: Preprocessor | undefined;
  training: FitResult | undefined;
  private readonly buf: Tensor[] = [];
  private readonly dbuf: (Tensor | null)[] = [];
  private readonly logdet: Float64Array;
  private readonly gld: Float64Array;
  private calibratedAfterValidation = false;

  constructor(
    readonly spec: FlowSpec,
    opts: FlowBuildOptions = {},
  ) {
    const D = spec.features;
    const C = spec.context;
    if (!(Number.isInteger(D) && D >= 1 && Number.isInteger(C) && C >= 0)) {
      throw new InputError(`nn flow: features ${D} / context ${C} must be integers >= 1 / >= 0`, { field: 'features' });
    }
    if (!(Number.isInteger(spec.blocks) && spec.blocks >= 1))
      throw new InputError(`nn flow: blocks ${spec.blocks} must be >= 1`, { field: 'blocks' });
    this.capacity = opts.capacity ?? 256;
    this.seed = opts.seed ?? 0;
    this.heap = new Heap({ backend: opts.backend, shared: opts.shared });
    this.params = new ParamStore(this.heap);
    const made = { hidden: spec.hidden, hiddenLayers: spec.hiddenLayers, activation: spec.activation, init: spec.init };
    const spline = spec.type === 'rqs' ? { bins: spec.bins ?? 8, tailBound: spec.tailBound ?? 3 } : undefined;
    if (spec.type !== 'maf' && spec.type !== 'rqs')
      throw new InputError(`nn flow: unknown type ${String(spec.type)}`, { field: 'type' });
    this.steps = [];
    for (let b = 0; b < spec.blocks; b++) {
      this.steps.push(new AutoregressiveStep(spec.type === 'maf' ? 'affine' : 'spline', D, C, made, spline));
      if (spec.batchNorm) this.steps.push(new BatchNormStep(D, spec.bnMomentum ?? 0, spec.bnEps ?? 1e-5));
      if (spec.reverse !== false && D > 1) this.steps.push(new ReverseStep(D));
    }
    for (const s of this.steps) s.declare(this.params);
    this.params.finalize(this.seed);
    const h = this.heap;
    const cap = this.capacity;
    for (let s = 0; s <= this.steps.length; s++) {
      const ld = s < this.steps.length && this.steps[s]!.wantsContext ? D + C : D;
      this.buf.push(mat(h.alloc(cap * ld), D, ld));
      this.dbuf.push(s === 0 && !opts.inputGradient ? null : mat(h.alloc(cap * D), D));
    }
    let id = 0;
    const binder: Binder = {
      heap: h,
      params: this.params,
      capacity: cap,
      pass: this.pass,
      nextId: () => id++,
      seqPad: 0,
    };
    this.steps.forEach((st, s) => st.bind(binder, this.buf[s]!, this.dbuf[s]!, this.buf[s + 1]!, this.dbuf[s + 1]!));
    this.logdet = new Float64Array(cap);
    this.gld = new Float64Array(cap);
  }

  get features(): number {
    return this.spec.features;
  }

  get context(): number {
    return this.spec.context;
  }

  /** Load preprocessed rows (z: n x D, c: n x C) into the input and every context buffer. */
  private load(
    z: Float32Array,
    c: Float32Array,
    rows: ArrayLike<number> | null,
    start: number,
    n: number,
    into = 0,
  ): void {
    const f = this.heap.f32;
    const D = this.features;
    const C = this.context;
    const x = this.buf[into]!;
    for (let i = 0; i < n; i++) {
      const r = rows ? rows[start + i]! : start + i;
      for (let j = 0; j < D; j++) f[x.off + i * x.ld + j] = z[r * D + j]!;
    }
    if (C === 0) return;
    for (let s = 0; s < this.steps.length; s++) {
      if (!this.steps[s]!.wantsContext) continue;
      const t = this.buf[s]!;
      for (let i = 0; i < n; i++) {
        const r = rows ? rows[start + i]! : start + i;
        for (let j = 0; j < C; j++) f[t.off + i * t.ld + D + j] = c[r * C + j]!;
      }
    }
  }

  /** Forward through every step (n rows loaded); leaves z in the last buffer, log-dets in this.logdet. */
  private run(n: number, train: boolean): void {
    this.pass.train = train;
    this.logdet.fill(0, 0, n);
    for (const s of this.steps) s.forward(n, this.logdet);
  }

  /** Per-row negative log-likelihood of the loaded rows after run(). */
  private nll(n: number, out: Float64Array | null, gradNorm: number): number {
    const f = this.heap.f32;
    const z = this.buf[this.steps.length]!;
    const dz = this.dbuf[this.steps.length]!;
    const D = this.features;
    let total = 0;
    for (let i = 0; i < n; i++) {
      let q = 0;
      for (let j = 0; j < D; j++) {
        const v = f[z.off + i * z.ld + j]!;
        q += v * v;
        if (gradNorm > 0) f[dz.off + i * dz.ld + j] = v / gradNorm;
      }
      const l = 0.5 * q + D * HALF_LOG_2PI - this.logdet[i]!;
      if (out) out[i] = l;
      total += l;
      if (gradNorm > 0) this.gld[i] = -1 / gradNorm;
    }
    return total;
  }

  private backwardAll(n: number): void {
    for (let s = this.steps.length - 1; s >= 0; s--) this.steps[s]!.backward(n, this.gld);
  }

  /**
   * As a frozen base (built with inputGradient): the NLL sum of n preprocessed rows u (from `uOff`, row stride
   * D) with preprocessed context rows c[rows[start + i]], evaluation mode; with gradNorm > 0 also writes
   * ∂(NLL / gradNorm)/∂u into du (same layout).
   */
  baseNll(
    u: Float32Array,
    c: Float32Array,
    rows: ArrayLike<number> | null,
    start: number,
    n: number,
    gradNorm: number,
    du: Float32Array | null,
  ): number {
    const D = this.features;
    const C = this.context;
    const f0 = this.heap.f32;
    const x = this.buf[0]!;
    for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) f0[x.off + i * x.ld + j] = u[i * D + j]!;
    for (let s = 0; s < this.steps.length; s++) {
      if (!this.steps[s]!.wantsContext || C === 0) continue;
      const t = this.buf[s]!;
      for (let i = 0; i < n; i++) {
        const r = rows ? rows[start + i]! : start + i;
        for (let j = 0; j < C; j++) f0[t.off + i * t.ld + D + j] = c[r * C + j]!;
      }
    }
    this.run(n, false);
    const total = this.nll(n, null, gradNorm);
    if (gradNorm > 0 && du) {
      if (!this.dbuf[0]) throw new SidebandError('nn flow: a base flow needs inputGradient at construction');
      this.backwardAll(n);
      // the base is frozen: the parameter gradients its backward pass accumulated are never used
      this.params.zeroGrad();
      const f = this.heap.f32;
      const dx = this.dbuf[0]!;
      for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) du[i * D + j] = f[dx.off + i * dx.ld + j]!;
    }
    return total;
  }

  /** Loss of the rows run through this flow against a frozen base (see FlowBase); sets the output gradients. */
  private nllOnBase(
    base: ConditionalFlow,
    cBase: Float32Array,
    rows: ArrayLike<number> | null,
    start: number,
    n: number,
    gradNorm: number,
  ): number {
    const D = this.features;
    const f = this.heap.f32;
    const z = this.buf[this.steps.length]!;
    const u = new Float32Array(n * D);
    for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) u[i * D + j] = f[z.off + i * z.ld + j]!;
    const du = gradNorm > 0 ? new Float32Array(n * D) : null;
    let total = base.baseNll(u, cBase, rows, start, n, gradNorm, du);
    const g = this.heap.f32;
    const dz = this.dbuf[this.steps.length]!;
    for (let i = 0; i < n; i++) {
      total -= this.logdet[i]!;
      if (!du) continue;
      for (let j = 0; j < D; j++) g[dz.off + i * dz.ld + j] = du[i * D + j]!;
      this.gld[i] = -1 / gradNorm;
    }
    return total;
  }

  /** Training objective over preprocessed arrays (exposed for custom loops and the thread runtime). */
  objective(z: Float32Array, c: Float32Array, base?: { flow: ConditionalFlow; context: Float32Array }): Objective {
    const loss = (rows: ArrayLike<number>, s: number, n: number, norm: number) =>
      base ? this.nllOnBase(base.flow, base.context, rows, s, n, norm) : this.nll(n, null, norm);
    return {
      params: this.params,
      capacity: this.capacity,
      normalizer: (_rows, start, end) => end - start,
      lossGrad: (rows, start, end, rowBase, norm, key) => {
        let total = 0;
        for (let s = start; s < end; s += this.capacity) {
          const n = min(this.capacity, end - s);
          this.load(z, c, rows, s, n);
          this.pass.key = key;
          this.pass.rowBase = rowBase + (s - start);
          this.run(n, true);
          total += loss(rows, s, n, norm);
          this.backwardAll(n);
        }
        return total;
      },
      evalLoss: (rows, start, end) => {
        let total = 0;
        for (let s = start; s < end; s += this.capacity) {
          const n = min(this.capacity, end - s);
          this.load(z, c, rows, s, n);
          this.run(n, false);
          total += loss(rows, s, n, 0);
        }
        return total;
      },
      useReplica: (r: Replica) => {
        this.pass.replica = r;
      },
      beforeValidation: (trainRows: Uint32Array) => this.calibrate(z, c, trainRows),
      // the restored best weights carry the statistics calibrated before their validation; without validation
      // the statistics are set from the training rows here
      afterFit: (trainRows: Uint32Array) => {
        if (!this.calibratedAfterValidation) this.calibrate(z, c, trainRows);
      },
    };
  }

  /**
   * Set every batch norm's running statistics from the rows given (pytorch-flows: one training-mode pass over the
   * whole training set), layer by layer so each sees the previous ones normalised the same way. Rows are split
   * over replicas and the statistics all-reduced.
   */
  calibrate(z: Float32Array, c: Float32Array, rows: Uint32Array): void {
    this.calibratedAfterValidation = true;
    if (!this.steps.some((s) => s instanceof BatchNormStep)) return;
    const rep = this.pass.replica;
    const [a, b] = shardOf(0, rows.length, rep.index, rep.count);
    const D = this.features;
    const n = b - a;
    let cur = new Float32Array(n * D);
    for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) cur[i * D + j] = z[rows[a + i]! * D + j]!;
    const myRows = rows.subarray(a, b);
    this.pass.train = false;
    const scratch = new Float64Array(this.capacity);
    for (let s = 0; s < this.steps.length; s++) {
      const step = this.steps[s]!;
      if (step instanceof BatchNormStep) {
        const sums = new Float64Array(2 * D + 1);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < D; j++) {
            const v = cur[i * D + j]!;
            sums[j] = sums[j]! + v;
            sums[D + j] = sums[D + j]! + v * v;
          }
        }
        sums[2 * D] = n;
        rep.allReduce(sums);
        const N = sums[2 * D]!;
        const mean = new Float64Array(D);
        const v = new Float64Array(D);
        for (let j = 0; j < D; j++) {
          mean[j] = sums[j]! / N;
          v[j] = max(sums[D + j]! / N - mean[j]! ** 2, 0) + step.eps;
        }
        step.setRunning(mean, v);
      }
      // this step in evaluation mode over all rows, chunk by chunk
      const next = new Float32Array(n * D);
      const f0 = this.buf[s]!;
      const f1 = this.buf[s + 1]!;
      for (let s0 = 0; s0 < n; s0 += this.capacity) {
        const m = min(this.capacity, n - s0);
        let f = this.heap.f32;
        for (let i = 0; i < m; i++) for (let j = 0; j < D; j++) f[f0.off + i * f0.ld + j] = cur[(s0 + i) * D + j]!;
        if (step.wantsContext && this.context > 0) {
          const C = this.context;
          for (let i = 0; i < m; i++)
            for (let j = 0; j < C; j++) f[f0.off + i * f0.ld + D + j] = c[myRows[s0 + i]! * C + j]!;
        }
        step.forward(m, scratch);
        f = this.heap.f32;
        for (let i = 0; i < m; i++) for (let j = 0; j < D; j++) next[(s0 + i) * D + j] = f[f1.off + i * f1.ld + j]!;
      }
      cur = next;
      if (!this.steps.slice(s + 1).some((x) => x instanceof BatchNormStep)) break;
    }
  }

  /** Fit on raw features X (n x D, row-major) with context m (n x C); validation rows optional. */
  fit(
    X: Float32Array,
    m: Float32Array,
    Xval: Float32Array | null,
    mval: Float32Array | null,
    o: FlowFitOptions,
  ): FitResult {
    const D = this.features;
    const n = X.length / D;
    if (!Number.isInteger(n))
      throw new InputError(`nn flow fit: X holds ${X.length} values, not rows of ${D}`, { field: 'X' });
    this.preprocessor ??= fitPreprocessor(X, m, D, this.context, o.preprocess);
    const z = preprocess(this.preprocessor, X);
    const c = preprocessContext(this.preprocessor, m);
    let rowsVal: Uint32Array | null = null;
    let zAll = z;
    let cAll = c;
    if (Xval && mval && Xval.length > 0) {
      const zv = preprocess(this.preprocessor, Xval);
      const cv = preprocessContext(this.preprocessor, mval);
      zAll = new Float32Array(z.length + zv.length);
      zAll.set(z);
      zAll.set(zv, z.length);
      cAll = new Float32Array(c.length + cv.length);
      cAll.set(c);
      cAll.set(cv, c.length);
      rowsVal = Uint32Array.from({ length: zv.length / D }, (_, i) => n + i);
      for (let i = 0; i < zv.length; i++) {
        if (!Number.isFinite(zv[i]!))
          throw new InputError('nn flow fit: a validation event lies outside the training range of a logit feature', {
            field: `Xval[${i % D}]`,
            row: floor(i / D),
          });
      }
    }
    const trainRows = Uint32Array.from({ length: n }, (_, i) => i);
    this.calibratedAfterValidation = false;
    let base: { flow: ConditionalFlow; context: Float32Array } | undefined;
    if (o.base) {
      const bp = o.base.flow.requirePre();
      const cb = preprocessContext(bp, o.base.context);
      const cbv = rowsVal ? preprocessContext(bp, o.base.contextVal ?? new Float32Array(0)) : new Float32Array(0);
      const Cb = o.base.flow.context;
      if (cb.length !== n * Cb || (rowsVal && cbv.length !== rowsVal.length * Cb))
        throw new InputError('nn flow fit: the base context does not match the training and validation rows', {
          field: 'base.context',
        });
      const all = new Float32Array(cb.length + cbv.length);
      all.set(cb);
      all.set(cbv, cb.length);
      base = { flow: o.base.flow, context: all };
    }
    this.training = fit(this.objective(zAll, cAll, base), trainRows, rowsVal, o);
    return this.training;
  }

  requirePre(): Preprocessor {
    if (!this.preprocessor)
      throw new SidebandError('nn flow: not fitted (no preprocessing); call fit() or load a trained flow');
    return this.preprocessor;
  }

  private context2(m: Float32Array | number, n: number): Float32Array {
    const C = this.context;
    if (typeof m === 'number') return new Float32Array(n * C).fill(m);
    if (m.length !== n * C)
      throw new InputError(`nn flow: context holds ${m.length} values for ${n} rows x ${C}`, { field: 'm' });
    return m;
  }

  /** Latent z (standard normal under the model) and log|det dz/dx| for raw rows X with context m. */
  transform(X: Float32Array, m: Float32Array | number): { z: Float32Array; logDet: Float64Array } {
    const pre = this.requirePre();
    const D = this.features;
    const n = X.length / D;
    const logDet = new Float64Array(n);
    const z0 = preprocess(pre, X, logDet);
    const c = preprocessContext(pre, this.context2(m, n));
    const out = new Float32Array(n * D);
    const zt = this.buf[this.steps.length]!;
    for (let s = 0; s < n; s += this.capacity) {
      const k = min(this.capacity, n - s);
      this.load(z0, c, null, s, k);
      this.run(k, false);
      const f = this.heap.f32;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < D; j++) out[(s + i) * D + j] = f[zt.off + i * zt.ld + j]!;
        logDet[s + i] = logDet[s + i]! + this.logdet[i]!;
      }
    }
    return { z: out, logDet };
  }

  /** Raw rows x for latent rows z with context m, and log|det dx/dz|. */
  inverseTransform(Z: Float32Array, m: Float32Array | number): { x: Float32Array; logDet: Float64Array } {
    const pre = this.requirePre();
    const D = this.features;
    const n = Z.length / D;
    const c = preprocessContext(pre, this.context2(m, n));
    const z0 = new Float32Array(n * D);
    const logDet = new Float64Array(n);
    const zt = this.buf[this.steps.length]!;
    const x0 = this.buf[0]!;
    this.pass.train = false;
    for (let s = 0; s < n; s += this.capacity) {
      const k = min(this.capacity, n - s);
      // context into every buffer that needs it, latent rows into the last buffer
      this.loadContextOnly(c, s, k);
      let f = this.heap.f32;
      for (let i = 0; i < k; i++) for (let j = 0; j < D; j++) f[zt.off + i * zt.ld + j] = Z[(s + i) * D + j]!;
      this.logdet.fill(0, 0, k);
      for (let t = this.steps.length - 1; t >= 0; t--) this.steps[t]!.inverse(k, this.logdet);
      f = this.heap.f32;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < D; j++) z0[(s + i) * D + j] = f[x0.off + i * x0.ld + j]!;
        logDet[s + i] = this.logdet[i]!;
      }
    }
    const x = unpreprocess(pre, z0, logDet);
    return { x, logDet };
  }

  private loadContextOnly(c: Float32Array, start: number, n: number): void {
    const C = this.context;
    if (C === 0) return;
    const f = this.heap.f32;
    const D = this.features;
    for (let s = 0; s < this.steps.length; s++) {
      if (!this.steps[s]!.wantsContext) continue;
      const t = this.buf[s]!;
      for (let i = 0; i < n; i++) for (let j = 0; j < C; j++) f[t.off + i * t.ld + D + j] = c[(start + i) * C + j]!;
    }
  }

  /** log p(x | m) of raw rows (preprocessing Jacobian included); NaN outside a logit feature's range. */
  logProb(X: Float32Array, m: Float32Array | number): Float64Array {
    const { z, logDet } = this.transform(X, m);
    const D = this.features;
    const n = logDet.length;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let q = 0;
      for (let j = 0; j < D; j++) q += z[i * D + j]! ** 2;
      out[i] = -0.5 * q - D * HALF_LOG_2PI + logDet[i]!;
    }
    return out;
  }

  /** n raw samples (n x D) given the context (one value per row, or one value for all), reproducible by seed. */
  sample(n: number, m: Float32Array | number, seed: number): Float32Array {
    const D = this.features;
    const g = normalStream(seed);
    const Z = new Float32Array(n * D);
    for (let i = 0; i < Z.length; i++) Z[i] = g();
    return this.inverseTransform(Z, m).x;
  }

  /** Mean NLL (preprocessed space) of raw rows, evaluation mode. */
  meanNll(X: Float32Array, m: Float32Array): number {
    const pre = this.requirePre();
    const z = preprocess(pre, X);
    const c = preprocessContext(pre, m);
    const rows = Uint32Array.from({ length: X.length / this.features }, (_, i) => i);
    return evaluate(this.objective(z, c), rows);
  }
}
