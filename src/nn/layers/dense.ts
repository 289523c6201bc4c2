/**
 * Dense (fully connected) layer y = dropout(act(x W + b)), W stored in x out row-major, with an optional 0/1 mask
 * on W (MADE's autoregressive connectivity). Hot path: one GEMM with bias, ReLU/LeakyReLU and dropout fused into
 * the tile store; in the backward pass the weight gradient is one C = X^T dZ GEMM and, when the layer below is a
 * dense layer too, its activation/dropout backward is fused into this layer's input-gradient GEMM (read off its
 * output: ReLU'(z) = [y > 0], dropout = [y != 0] / (1 - p)). tanh and sigmoid run as separate elementwise passes.
 */
import { InputError, SidebandError } from '../../events/errors.js';
import { ACT, type Activation } from '../kernels-api.js';
import type { Binder, Module, Port } from '../module.js';
import { glorotUniform, torchDefault, type InitSpec, type Param, type ParamStore } from '../params.js';
import { mixKey } from '../random.js';
import { mat, type Shape, type Tensor } from '../tensor.js';

export type InitScheme = 'torch' | 'glorot';

export interface DenseOptions {
  activation?: Activation;
  /** LeakyReLU negative slope (default 0.01, as torch). */
  slope?: number;
  /** Dropout rate applied after the activation in training (0: none). */
  dropout?: number;
  /** With a bias vector (default true). */
  bias?: boolean;
  /** 'torch' (default): U(+-1/sqrt(fanIn)) for W and b, as torch.nn.Linear; 'glorot': Glorot-uniform W, zero b. */
  init?: InitScheme;
  /** 0/1 connectivity mask, in x out row-major (MADE). */
  mask?: Float32Array;
  /** Explicit initialisers (override `init`; used by modules that build dense layers themselves). */
  weightInit?: InitSpec;
  biasInit?: InitSpec;
}

/** Dropout keep threshold as a u32 and the scale 1 / (1 - p). */
export function dropoutParams(rate: number): { thr: number; scale: number } {
  if (!(rate >= 0 && rate < 1)) throw new InputError(`nn dropout: rate ${rate} is not in [0, 1)`, { field: 'dropout' });
  return {
    thr: rate > 0 ? Math.max(1, Math.min(0xffffffff, Math.round(rate * 2 ** 32))) >>> 0 : 0,
    scale: 1 / (1 - rate),
  };
}

export class Dense implements Module {
  readonly kind = 'dense';
  readonly inputPad = 0;
  readonly act: Activation;
  readonly slope: number;
  readonly rate: number;
  W!: Param;
  b: Param | undefined;
  inDim = 0;
  /** Set by the consumer when it writes this layer's pre-activation gradient directly (fused backward). */
  gradIsPreAct = false;
  private fuse: Dense | undefined;
  private bd!: Binder;
  private id = 0;
  private x!: Tensor;
  private dx: Tensor | null = null;
  y!: Tensor;
  private dy!: Tensor;
  private pre: Tensor | undefined;
  private dz!: Tensor;
  private wt = -1;
  /** Reduction ranges derived from the mask (-1: dense): forward / weight-gradient prefix, input-gradient suffix. */
  private fwdR = -1;
  private bwdR = -1;
  // what the last forward ran with (the backward must use the same masks)
  lastTrain = false;
  private key = 0;
  private rowBase = 0;

  constructor(
    readonly units: number,
    readonly opts: DenseOptions = {},
  ) {
    if (!(Number.isInteger(units) && units > 0))
      throw new InputError(`nn dense: units ${units} is not a positive integer`, { field: 'units' });
    this.act = opts.activation ?? 'linear';
    this.slope = opts.slope ?? 0.01;
    this.rate = opts.dropout ?? 0;
    dropoutParams(this.rate);
  }

  /** Whether this layer's activation backward can be read off its output inside the next layer's GEMM. */
  get fusable(): boolean {
    return this.act === 'relu' || this.act === 'leaky' || this.act === 'linear';
  }

  declare(inp: Shape, ps: ParamStore): Shape {
    if (inp.len !== 1)
      throw new SidebandError(`nn dense: input has ${inp.len} positions; use a kernel-1 conv1d per position`);
    this.inDim = inp.cols;
    const n = this.inDim * this.units;
    if (this.opts.mask && this.opts.mask.length !== n) {
      throw new InputError(
        `nn dense: mask has ${this.opts.mask.length} entries, expected ${this.inDim} x ${this.units}`,
        { field: 'mask' },
      );
    }
    const glorot = this.opts.init === 'glorot';
    const wInit = this.opts.weightInit ?? (glorot ? glorotUniform(this.inDim, this.units) : torchDefault(this.inDim));
    this.W = ps.param('dense.W', n, wInit, this.opts.mask);
    if (this.opts.bias !== false) {
      const bInit = this.opts.biasInit ?? (glorot ? { kind: 'const', value: 0 } : torchDefault(this.inDim));
      this.b = ps.param('dense.b', this.units, bInit);
    }
    return { len: 1, cols: this.units };
  }

  bind(b: Binder, input: Port, out: { place?: Port; pad: number }): Port {
    this.bd = b;
    this.id = b.nextId();
    if (input.y.len !== 1) throw new SidebandError('nn dense: input is not a batch of feature vectors');
    this.x = input.y;
    this.dx = input.dy;
    const cap = b.capacity;
    const h = b.heap;
    if (out.place) {
      this.y = out.place.y;
      this.dy = out.place.dy ?? mat(h.alloc(cap * this.units), this.units);
    } else {
      this.y = mat(h.alloc(cap * this.units), this.units);
      this.dy = mat(h.alloc(cap * this.units), this.units);
    }
    if (!this.fusable && this.rate > 0) this.pre = mat(h.alloc(cap * this.units), this.units);
    this.dz = mat(h.alloc(cap * this.units), this.units);
    if (this.dx) this.wt = h.alloc(this.units * this.inDim);
    if (this.opts.mask) this.bindRanges(this.opts.mask);
    const p = input.producer;
    if (this.dx && p instanceof Dense && p.fusable) {
      this.fuse = p;
      p.gradIsPreAct = true;
    }
    return { y: this.y, dy: this.dy, producer: this };
  }

  /**
   * From the mask: column o of x W reads inputs [0, 1 + last connected input), input i's gradient reads outputs
   * [first connected output, units). Worth passing to the kernels only when they skip enough (MADE with hidden
   * units ordered by degree: about a third of a hidden layer, half of the output layer).
   */
  private bindRanges(mask: Float32Array): void {
    const I = this.inDim;
    const O = this.units;
    const fwd = new Int32Array(O);
    const bwd = new Int32Array(I).fill(O);
    for (let i = 0; i < I; i++) {
      for (let o = 0; o < O; o++) {
        if (mask[i * O + o] === 0) continue;
        fwd[o] = Math.max(fwd[o]!, i + 1);
        bwd[i] = Math.min(bwd[i]!, o);
      }
    }
    let used = 0;
    for (let o = 0; o < O; o++) used += fwd[o]!;
    if (used > 0.85 * I * O) return;
    const h = this.bd.heap;
    this.fwdR = h.alloc(O);
    this.bwdR = h.alloc(I);
    const iv = h.i32;
    iv.set(fwd, this.fwdR);
    iv.set(bwd, this.bwdR);
  }

  /** (pos, neg, zero): d output / d pre-activation where y > 0, y < 0, y = 0. */
  coeffs(train: boolean): [number, number, number] {
    const s = train && this.rate > 0 ? 1 / (1 - this.rate) : 1;
    const drop = s !== 1;
    if (this.act === 'relu') return [s, 0, 0];
    if (this.act === 'leaky') return drop ? [s, s * this.slope, 0] : [1, this.slope, this.slope];
    return drop ? [s, s, 0] : [1, 1, 1];
  }

  forward(n: number): void {
    const k = this.bd.heap.k;
    const pass = this.bd.pass;
    const train = pass.train;
    this.lastTrain = train;
    this.key = mixKey(pass.key, this.id);
    this.rowBase = pass.rowBase;
    const { thr, scale } = dropoutParams(train ? this.rate : 0);
    const x = this.x;
    const y = this.y;
    const bias = this.b ? this.b.w : -1;
    if (this.fusable) {
      if (this.fwdR >= 0) k.setRanges(this.fwdR, 1);
      k.gemmFwd(
        n,
        this.units,
        this.inDim,
        x.off,
        x.ld,
        this.W.w,
        this.units,
        y.off,
        y.ld,
        bias,
        ACT[this.act],
        this.slope,
        thr,
        scale,
        this.key,
        this.rowBase,
      );
      return;
    }
    const dst = thr ? this.pre! : y;
    if (this.fwdR >= 0) k.setRanges(this.fwdR, 1);
    k.gemmFwd(
      n,
      this.units,
      this.inDim,
      x.off,
      x.ld,
      this.W.w,
      this.units,
      dst.off,
      dst.ld,
      bias,
      ACT.linear,
      0,
      0,
      1,
      0,
      0,
    );
    rowsDo(dst, n, this.units, (o, len) => k.actFwd(len, o, o, ACT[this.act], this.slope));
    if (thr) k.dropout(n, this.units, dst.off, dst.ld, y.off, y.ld, thr, scale, this.key, this.rowBase);
  }

  backward(n: number): void {
    const k = this.bd.heap.k;
    const u = this.units;
    const g = this.dy;
    let dz: Tensor = g;
    if (!this.gradIsPreAct) {
      if (this.fusable) {
        const [pos, neg, zero] = this.coeffs(this.lastTrain);
        if (pos !== 1 || neg !== 1 || zero !== 1) {
          k.gradSelect(n, u, this.y.off, this.y.ld, g.off, g.ld, this.dz.off, this.dz.ld, pos, neg, zero);
          dz = this.dz;
        }
      } else {
        const { thr, scale } = dropoutParams(this.lastTrain ? this.rate : 0);
        let src = g;
        if (thr) {
          k.dropout(n, u, g.off, g.ld, this.dz.off, this.dz.ld, thr, scale, this.key, this.rowBase);
          src = this.dz;
        }
        const act = thr ? this.pre! : this.y;
        for (let i = 0; i < n; i++)
          k.actBwd(u, act.off + i * act.ld, src.off + i * src.ld, this.dz.off + i * u, ACT[this.act], this.slope);
        dz = this.dz;
      }
    }
    const x = this.x;
    if (this.fwdR >= 0) k.setRanges(this.fwdR, 3);
    k.gemm(1, this.inDim, u, n, x.off, x.ld, dz.off, dz.ld, this.W.g, u, 1);
    if (this.W.mask) k.mulInPlace(this.inDim * u, this.W.g, this.W.m);
    if (this.b) k.colSum(n, u, dz.off, dz.ld, this.b.g, 1);
    const dx = this.dx;
    if (!dx) return;
    k.transpose(this.inDim, u, this.W.w, u, this.wt, this.inDim);
    if (this.bwdR >= 0) k.setRanges(this.bwdR, 2);
    if (this.fuse) {
      const [pos, neg, zero] = this.fuse.coeffs(this.fuse.lastTrain);
      k.gemmBwd(
        n,
        dx.cols,
        u,
        dz.off,
        dz.ld,
        this.wt,
        this.inDim,
        dx.off,
        dx.ld,
        this.fuse.y.off,
        this.fuse.y.ld,
        pos,
        neg,
        zero,
      );
    } else {
      k.gemm(0, n, dx.cols, u, dz.off, dz.ld, this.wt, this.inDim, dx.off, dx.ld, 0);
    }
  }
}

/** Runs fn over n rows of `cols` elements: one call when the rows are contiguous, else one per row. */
export function rowsDo(t: Tensor, n: number, cols: number, fn: (off: number, len: number) => void): void {
  if (t.ld === cols) fn(t.off, n * cols);
  else for (let i = 0; i < n; i++) fn(t.off + i * t.ld, cols);
}
