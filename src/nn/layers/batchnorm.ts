/**
 * Batch normalisation over features (torch.nn.BatchNorm1d semantics): in training y = gamma (x - mean) / sqrt(var
 * + eps) + beta with the batch's mean and biased variance, and running statistics updated as running = (1 -
 * momentum) running + momentum batch (unbiased variance); in evaluation the running statistics are used. Under
 * data parallelism the batch statistics and the backward sums are all-reduced over replicas, so every thread
 * normalises with the whole batch's statistics (synchronised batch norm: the same math as one thread). Sums are
 * accumulated in f64 (as ATen's CPU kernel does).
 */
import { SidebandError } from '../../events/errors.js';
import type { Binder, Module, Port } from '../module.js';
import type { Param, ParamStore, StateSlot } from '../params.js';
import { mat, type Shape, type Tensor } from '../tensor.js';

// Math functions bound once: hot loops read module constants instead of the global object (much slower where
// code runs in a vm context, as under jest).
const { max, sqrt } = Math;

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  /** Learnable gamma and beta (default true). */
  affine?: boolean;
}

export class BatchNorm implements Module {
  readonly kind = 'batchnorm';
  readonly inputPad = 0;
  readonly eps: number;
  readonly momentum: number;
  private cols = 0;
  gamma: Param | undefined;
  beta: Param | undefined;
  runMean!: StateSlot;
  runVar!: StateSlot;
  private bd!: Binder;
  private x!: Tensor;
  private dx: Tensor | null = null;
  private y!: Tensor;
  private dy!: Tensor;
  private xhat = -1;
  private invstd = new Float64Array(0);
  private sums = new Float64Array(0);
  private lastTrain = false;

  constructor(readonly opts: BatchNormOptions = {}) {
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
  }

  declare(inp: Shape, ps: ParamStore): Shape {
    if (inp.len !== 1) throw new SidebandError('nn batchnorm: takes feature vectors');
    this.cols = inp.cols;
    const c = inp.cols;
    if (this.opts.affine !== false) {
      this.gamma = ps.param('batchnorm.gamma', c, { kind: 'const', value: 1 });
      this.beta = ps.param('batchnorm.beta', c, { kind: 'const', value: 0 });
    }
    this.runMean = ps.state('batchnorm.running_mean', c, 0);
    this.runVar = ps.state('batchnorm.running_var', c, 1);
    this.invstd = new Float64Array(c);
    this.sums = new Float64Array(2 * c + 1);
    return inp;
  }

  bind(b: Binder, input: Port, out: { place?: Port; pad: number }): Port {
    this.bd = b;
    this.x = input.y;
    this.dx = input.dy;
    const h = b.heap;
    const c = this.cols;
    this.y = out.place ? out.place.y : mat(h.alloc(b.capacity * c), c);
    this.dy = out.place?.dy ?? mat(h.alloc(b.capacity * c), c);
    this.xhat = h.alloc(b.capacity * c);
    return { y: this.y, dy: this.dy };
  }

  forward(n: number): void {
    const f = this.bd.heap.f32;
    const c = this.cols;
    const { x, y } = this;
    const train = this.bd.pass.train;
    this.lastTrain = train;
    const g = this.gamma ? f.subarray(this.gamma.w, this.gamma.w + c) : undefined;
    const bt = this.beta ? f.subarray(this.beta.w, this.beta.w + c) : undefined;
    const rm = this.runMean.off;
    const rv = this.runVar.off;
    const mean = new Float64Array(c);
    if (train) {
      const s = this.sums.fill(0);
      for (let i = 0; i < n; i++) {
        const o = x.off + i * x.ld;
        for (let j = 0; j < c; j++) {
          const v = f[o + j]!;
          s[j] = s[j]! + v;
          s[c + j] = s[c + j]! + v * v;
        }
      }
      s[2 * c] = n;
      this.bd.pass.replica.allReduce(s);
      const N = s[2 * c]!;
      if (N < 2) throw new SidebandError('nn batchnorm: a training batch needs at least 2 rows');
      for (let j = 0; j < c; j++) {
        const m = s[j]! / N;
        const v = max(s[c + j]! / N - m * m, 0);
        mean[j] = m;
        this.invstd[j] = 1 / sqrt(v + this.eps);
        const mom = this.momentum;
        f[rm + j] = (1 - mom) * f[rm + j]! + mom * m;
        f[rv + j] = (1 - mom) * f[rv + j]! + mom * v * (N / (N - 1));
      }
    } else {
      for (let j = 0; j < c; j++) {
        mean[j] = f[rm + j]!;
        this.invstd[j] = 1 / sqrt(f[rv + j]! + this.eps);
      }
    }
    const xh = this.xhat;
    for (let i = 0; i < n; i++) {
      const o = x.off + i * x.ld;
      const oy = y.off + i * y.ld;
      for (let j = 0; j < c; j++) {
        const h = (f[o + j]! - mean[j]!) * this.invstd[j]!;
        f[xh + i * c + j] = h;
        f[oy + j] = g ? g[j]! * f[xh + i * c + j]! + bt![j]! : f[xh + i * c + j]!;
      }
    }
  }

  backward(n: number): void {
    const f = this.bd.heap.f32;
    const c = this.cols;
    const { dy } = this;
    const xh = this.xhat;
    const s = this.sums.fill(0);
    for (let i = 0; i < n; i++) {
      const o = dy.off + i * dy.ld;
      for (let j = 0; j < c; j++) {
        const d = f[o + j]!;
        s[j] = s[j]! + d;
        s[c + j] = s[c + j]! + d * f[xh + i * c + j]!;
      }
    }
    // parameter gradients take the local sums (the gradient reduction adds the other replicas' parts)
    if (this.gamma && this.beta) {
      for (let j = 0; j < c; j++) {
        f[this.beta.g + j] = f[this.beta.g + j]! + s[j]!;
        f[this.gamma.g + j] = f[this.gamma.g + j]! + s[c + j]!;
      }
    }
    const dx = this.dx;
    if (!dx) return;
    const g = this.gamma;
    if (!this.lastTrain) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < c; j++) {
          f[dx.off + i * dx.ld + j] = f[dy.off + i * dy.ld + j]! * (g ? f[g.w + j]! : 1) * this.invstd[j]!;
        }
      }
      return;
    }
    s[2 * c] = n;
    this.bd.pass.replica.allReduce(s);
    const N = s[2 * c]!;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < c; j++) {
        const gj = g ? f[g.w + j]! : 1;
        const d = f[dy.off + i * dy.ld + j]!;
        f[dx.off + i * dx.ld + j] = ((gj * this.invstd[j]!) / N) * (N * d - s[j]! - f[xh + i * c + j]! * s[c + j]!);
      }
    }
  }
}
