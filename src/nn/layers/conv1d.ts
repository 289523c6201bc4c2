/**
 * 1-D convolution over channels-last sequences (torch.nn.Conv1d semantics, stride 1, zero padding): output
 * position l of channel o is b[o] + sum over taps t and input channels c of W[t, c, o] x[l + t - p, c]. With the
 * input stored channels-last and `p` zero rows around each sample, the receptive field of output row l is the
 * contiguous block of k * Cin values starting at input row l - p, so the im2col matrix is the input itself read
 * with row stride Cin (overlapping rows): the forward pass is one GEMM per sample with bias, ReLU/LeakyReLU and
 * dropout fused, the weight gradient one C = A^T dZ GEMM per sample, and the input gradient k accumulating GEMMs
 * per sample (one per tap, each shifted by one row).
 * W is stored (k * Cin) x Cout row-major: row t * Cin + c; torch's weight[o, c, t] maps to W[t * Cin + c, o].
 */
import { InputError, SidebandError } from '../../events/errors.js';
import { ACT, type Activation } from '../kernels-api.js';
import type { Binder, Module, Port } from '../module.js';
import { glorotUniform, torchDefault, type Param, type ParamStore } from '../params.js';
import { mixKey } from '../random.js';
import { periodOf, rowOf, seq, zeroPads, type Shape, type Tensor } from '../tensor.js';
import { dropoutParams, type InitScheme } from './dense.js';

export interface Conv1dOptions {
  activation?: 'linear' | 'relu' | 'leaky';
  slope?: number;
  /** 'same' (default; needs an odd kernel) or explicit zero padding on each side. */
  padding?: 'same' | number;
  bias?: boolean;
  dropout?: number;
  init?: InitScheme;
}

export class Conv1d implements Module {
  readonly kind = 'conv1d';
  readonly act: Activation;
  readonly slope: number;
  readonly rate: number;
  readonly inputPad: number;
  W!: Param;
  b: Param | undefined;
  private cin = 0;
  private len = 0;
  private outLen = 0;
  private bd!: Binder;
  private id = 0;
  private x!: Tensor;
  private dx: Tensor | null = null;
  private y!: Tensor;
  private dy!: Tensor;
  private dz = -1;
  private wt = -1;
  private lastTrain = false;
  private key = 0;
  private rowBase = 0;
  private batched = false;
  private placed = false;

  constructor(
    readonly channels: number,
    readonly kernel: number,
    readonly opts: Conv1dOptions = {},
  ) {
    if (!(Number.isInteger(channels) && channels > 0 && Number.isInteger(kernel) && kernel > 0)) {
      throw new InputError(`nn conv1d: channels ${channels} and kernel ${kernel} must be positive integers`, {
        field: 'kernel',
      });
    }
    const pad = opts.padding ?? 'same';
    if (pad === 'same' && kernel % 2 === 0)
      throw new InputError(`nn conv1d: 'same' padding needs an odd kernel, got ${kernel}`, { field: 'padding' });
    this.inputPad = pad === 'same' ? (kernel - 1) / 2 : pad;
    this.act = opts.activation ?? 'linear';
    this.slope = opts.slope ?? 0.01;
    this.rate = opts.dropout ?? 0;
    dropoutParams(this.rate);
  }

  declare(inp: Shape, ps: ParamStore): Shape {
    this.cin = inp.cols;
    this.len = inp.len;
    this.outLen = inp.len + 2 * this.inputPad - this.kernel + 1;
    if (this.outLen < 1)
      throw new SidebandError(`nn conv1d: kernel ${this.kernel} is longer than the padded input ${inp.len}`);
    const fanIn = this.cin * this.kernel;
    const glorot = this.opts.init === 'glorot';
    this.W = ps.param(
      'conv1d.W',
      fanIn * this.channels,
      glorot ? glorotUniform(fanIn, this.channels * this.kernel) : torchDefault(fanIn),
    );
    if (this.opts.bias !== false) {
      this.b = ps.param('conv1d.b', this.channels, glorot ? { kind: 'const', value: 0 } : torchDefault(fanIn));
    }
    return { len: this.outLen, cols: this.channels };
  }

  bind(b: Binder, input: Port, out: { place?: Port; pad: number }): Port {
    this.bd = b;
    this.id = b.nextId();
    const x = input.y;
    if (x.ld !== x.cols) throw new SidebandError('nn conv1d: the input must own its rows (not a channel slice)');
    if (x.pad < this.inputPad)
      throw new SidebandError(`nn conv1d: input has ${x.pad} pad rows, the kernel needs ${this.inputPad}`);
    this.x = x;
    this.dx = input.dy;
    const h = b.heap;
    const cap = b.capacity;
    const co = this.channels;
    if (out.place) {
      this.y = out.place.y;
      this.dy = out.place.dy ?? seq(h.alloc(cap * this.outLen * co), this.outLen, co, 0);
    } else {
      const pad = Math.max(out.pad, b.seqPad);
      const span = cap * (this.outLen + 2 * pad) * co;
      this.y = seq(h.alloc(span), this.outLen, co, pad);
      this.dy = seq(h.alloc(span), this.outLen, co, pad);
    }
    this.placed = !!out.place;
    // one GEMM for the whole batch when input and output have the same rows per sample (see the header)
    this.batched = periodOf(x) === periodOf(this.y) && (!this.dx || periodOf(this.dx) === periodOf(x));
    this.dz = h.alloc((this.batched ? cap * periodOf(x) : this.outLen) * co);
    if (this.dx) this.wt = h.alloc(this.kernel * this.cin * co);
    return { y: this.y, dy: this.dy };
  }

  /** Rows one batched GEMM spans for n samples: every row from the first output to the last. */
  private spanRows(n: number): number {
    return (n - 1) * periodOf(this.x) + this.outLen;
  }

  private coeffs(): [number, number, number] {
    const s = this.lastTrain && this.rate > 0 ? 1 / (1 - this.rate) : 1;
    const drop = s !== 1;
    if (this.act === 'relu') return [s, 0, 0];
    if (this.act === 'leaky') return drop ? [s, s * this.slope, 0] : [1, this.slope, this.slope];
    return drop ? [s, s, 0] : [1, 1, 1];
  }

  forward(n: number): void {
    const k = this.bd.heap.k;
    const pass = this.bd.pass;
    this.lastTrain = pass.train;
    this.key = mixKey(pass.key, this.id);
    this.rowBase = pass.rowBase;
    const { thr, scale } = dropoutParams(pass.train ? this.rate : 0);
    const { x, y } = this;
    const kc = this.kernel * this.cin;
    const co = this.channels;
    const bias = this.b ? this.b.w : -1;
    const shift = (x.pad - this.inputPad) * x.ld;
    if (this.batched) {
      // rows between samples get garbage (windows across two samples' padding): zeroed right after, or by the
      // concatenation this output is placed in
      const P = periodOf(x);
      k.gemmFwd(
        this.spanRows(n),
        co,
        kc,
        x.off + shift,
        this.cin,
        this.W.w,
        co,
        rowOf(y, 0),
        y.ld,
        bias,
        ACT[this.act],
        this.slope,
        thr,
        scale,
        this.key,
        this.rowBase * P,
      );
      if (!this.placed) zeroPads(k, y, n);
      return;
    }
    for (let s = 0; s < n; s++) {
      // receptive field of output row l: input rows l - p ... l - p + k - 1, contiguous, row stride cin
      k.gemmFwd(
        this.outLen,
        co,
        kc,
        x.off + s * x.stride + shift,
        this.cin,
        this.W.w,
        co,
        rowOf(y, s),
        y.ld,
        bias,
        ACT[this.act],
        this.slope,
        thr,
        scale,
        this.key,
        (this.rowBase + s) * this.outLen,
      );
    }
  }

  backward(n: number): void {
    const k = this.bd.heap.k;
    const { x, dy } = this;
    const kc = this.kernel * this.cin;
    const co = this.channels;
    const [pos, neg, zero] = this.coeffs();
    const masked = pos !== 1 || neg !== 1 || zero !== 1;
    const shift = (x.pad - this.inputPad) * x.ld;
    const dx = this.dx;
    if (this.batched) {
      // pad rows of the output gradient are zero (every writer keeps them so), so the rows between samples add
      // nothing to the weight gradient
      const M = this.spanRows(n);
      let dzFull = dy.off;
      let ldz = dy.ld;
      if (masked) {
        k.gradSelect(
          M,
          co,
          rowOf(this.y, 0),
          this.y.ld,
          rowOf(dy, 0),
          dy.ld,
          this.dz + dy.pad * co,
          co,
          pos,
          neg,
          zero,
        );
        // the last sample's trailing pad may hold rows of an earlier, larger batch
        k.fill(dy.pad * co, this.dz + (dy.pad + M) * co, 0);
        dzFull = this.dz;
        ldz = co;
      }
      const dz = dzFull + dy.pad * ldz;
      k.gemm(1, kc, co, M, x.off + shift, this.cin, dz, ldz, this.W.g, co, 1);
      if (this.b) k.colSum(M, co, dz, ldz, this.b.g, 1);
      if (!dx) return;
      if (ldz === co) {
        // input gradient as one correlation of the (zero-padded) output gradient with the flipped kernel:
        // dx[l] = sum_t W_t dz[l + p - t], i.e. windows of k rows of dz against Wflip[t', o, c] = W[k-1-t', c, o]
        for (let t = 0; t < this.kernel; t++) {
          k.transpose(
            this.cin,
            co,
            this.W.w + t * this.cin * co,
            co,
            this.wt + (this.kernel - 1 - t) * co * this.cin,
            this.cin,
          );
        }
        k.gemm(
          0,
          M,
          this.cin,
          this.kernel * co,
          dz - this.inputPad * co,
          co,
          this.wt,
          this.cin,
          rowOf(dx, 0),
          dx.ld,
          0,
        );
      } else {
        k.transpose(kc, co, this.W.w, co, this.wt, kc);
        const base = dx.off + (dx.pad - this.inputPad) * dx.ld;
        k.fill(n * dx.stride, dx.off, 0);
        for (let t = 0; t < this.kernel; t++)
          k.gemm(0, M, this.cin, co, dz, ldz, this.wt + t * this.cin, kc, base + t * dx.ld, dx.ld, 1);
      }
      zeroPads(k, dx, n);
      return;
    }
    if (dx) k.transpose(kc, co, this.W.w, co, this.wt, kc);
    for (let s = 0; s < n; s++) {
      let dz = rowOf(dy, s);
      let ldz = dy.ld;
      if (masked) {
        k.gradSelect(this.outLen, co, rowOf(this.y, s), this.y.ld, dz, ldz, this.dz, co, pos, neg, zero);
        dz = this.dz;
        ldz = co;
      }
      k.gemm(1, kc, co, this.outLen, x.off + s * x.stride + shift, this.cin, dz, ldz, this.W.g, co, 1);
      if (this.b) k.colSum(this.outLen, co, dz, ldz, this.b.g, 1);
      if (!dx) continue;
      // dx rows l - p + t += dz[l] W_t^T for each tap t (rows in the padding collect the gradient of the zero
      // padding, which nothing reads)
      if (dx.pad < this.inputPad)
        throw new SidebandError('nn conv1d: the input gradient buffer lacks the padding rows');
      const base = dx.off + s * dx.stride + (dx.pad - this.inputPad) * dx.ld;
      k.fill((this.len + 2 * this.inputPad) * dx.ld, base, 0);
      for (let t = 0; t < this.kernel; t++) {
        k.gemm(0, this.outLen, this.cin, co, dz, ldz, this.wt + t * this.cin, kc, base + t * dx.ld, dx.ld, 1);
      }
    }
  }
}
