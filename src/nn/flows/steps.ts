/**
 * The invertible steps of a conditional normalising flow, each with its forward map x -> y in the density
 * direction (data to latent) and log|det dy/dx| per row, the backward pass of both, and the inverse map for
 * sampling:
 *  - AutoregressiveStep: a MADE conditioned on the context gives, per feature, either affine parameters
 *    (MAF: y = (x - m) e^-a, log det = -sum a) or rational-quadratic spline parameters (y = s(x));
 *  - BatchNormStep: pytorch-flows' BatchNormFlow, y = e^g (x - mu) / sqrt(var) + b, log det = sum (g - log var / 2),
 *    batch statistics in training (all-reduced over replicas), running statistics in evaluation;
 *  - ReverseStep: the feature order reversed (log det 0).
 * Elementwise parts run in plain JS over the heap (D values per row: small next to the MADE's GEMMs).
 */
import { SidebandError } from '../../events/errors.js';
import type { Binder, Port } from '../module.js';
import type { Param, ParamStore, StateSlot } from '../params.js';
import type { Sequential } from '../layers/sequential.js';
import { mat, type Tensor } from '../tensor.js';
import { buildMade, type MadeOptions } from './made.js';
import { knots, splineBackward, splineForward, splineInverse, SplineScratch, type SplineOut } from './spline.js';

// Math functions bound once: hot loops read module constants instead of the global object (much slower where
// code runs in a vm context, as under jest).
const { exp, log, max, sqrt } = Math;

export interface FlowStep {
  readonly kind: string;
  /** Whether the input buffer must carry the context columns right after the features. */
  readonly wantsContext: boolean;
  declare(ps: ParamStore): void;
  /** x: input (D feature columns; ld may be D + C), y: output, dx/dy their gradients (dx null: not needed). */
  bind(b: Binder, x: Tensor, dx: Tensor | null, y: Tensor, dy: Tensor): void;
  forward(n: number, logdet: Float64Array): void;
  backward(n: number, gld: Float64Array): void;
  /** y -> x (evaluation mode); logdet += log|det dx/dy|. */
  inverse(n: number, logdet: Float64Array): void;
}

export interface SplineOptions {
  bins: number;
  tailBound: number;
}

export class AutoregressiveStep implements FlowStep {
  readonly wantsContext = true;
  readonly made: Sequential;
  private bd!: Binder;
  private x!: Tensor;
  private dx: Tensor | null = null;
  private y!: Tensor;
  private dy!: Tensor;
  private out!: Port;
  private dxm: Tensor | null = null;
  private readonly P: number;
  private readonly scratch: SplineScratch | undefined;
  /** Knots of every (row, feature) from the last forward pass, reused by the backward pass. */
  private knotCache: Float64Array = new Float64Array(0);
  private readonly so: SplineOut = { y: 0, logdet: 0 };
  private readonly scale: number;

  constructor(
    readonly kind: 'affine' | 'spline',
    readonly D: number,
    readonly C: number,
    made: Omit<MadeOptions, 'features' | 'context' | 'perFeature' | 'layout'>,
    readonly spline?: SplineOptions,
  ) {
    if (kind === 'spline' && !spline) throw new SidebandError('nn flow: a spline step needs bins and a tail bound');
    this.P = kind === 'affine' ? 2 : 3 * spline!.bins - 1;
    this.made = buildMade({
      ...made,
      features: D,
      context: C,
      perFeature: this.P,
      layout: kind === 'affine' ? 'chunks' : 'feature-major',
    });
    this.scratch = spline ? new SplineScratch(spline.bins) : undefined;
    // nflows divides the unnormalised widths and heights by sqrt(hidden features)
    this.scale = 1 / sqrt(made.hidden);
  }

  declare(ps: ParamStore): void {
    this.made.declare({ len: 1, cols: this.D + this.C }, ps);
  }

  bind(b: Binder, x: Tensor, dx: Tensor | null, y: Tensor, dy: Tensor): void {
    if (x.ld < this.D + this.C) throw new SidebandError('nn flow: autoregressive step input lacks the context columns');
    this.bd = b;
    this.x = x;
    this.dx = dx;
    this.y = y;
    this.dy = dy;
    this.dxm = dx ? mat(b.heap.alloc(b.capacity * this.D), this.D) : null;
    if (this.scratch) this.knotCache = new Float64Array(b.capacity * this.D * this.scratch.stride);
    this.out = this.made.bind(b, { y: mat(x.off, this.D + this.C, x.ld), dy: this.dxm }, { pad: 0 });
  }

  forward(n: number, logdet: Float64Array): void {
    this.made.forward(n);
    const f = this.bd.heap.f32;
    const { D, x, y } = this;
    const p = this.out.y;
    if (this.kind === 'affine') {
      for (let i = 0; i < n; i++) {
        const po = p.off + i * p.ld;
        let s = 0;
        for (let j = 0; j < D; j++) {
          const a = f[po + D + j]!;
          f[y.off + i * y.ld + j] = (f[x.off + i * x.ld + j]! - f[po + j]!) * exp(-a);
          s += a;
        }
        logdet[i] = logdet[i]! - s;
      }
      return;
    }
    const { bins: K, tailBound: B } = this.spline!;
    const w = this.scratch!;
    const so = this.so;
    const cache = this.knotCache;
    const S = w.stride;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < D; j++) {
        w.at(cache, (i * D + j) * S);
        knots(f, p.off + i * p.ld + j * this.P, K, B, this.scale, w);
        splineForward(f[x.off + i * x.ld + j]!, K, B, w, so);
        f[y.off + i * y.ld + j] = so.y;
        s += so.logdet;
      }
      logdet[i] = logdet[i]! + s;
    }
  }

  backward(n: number, gld: Float64Array): void {
    const f = this.bd.heap.f32;
    const { D, x, y, dy } = this;
    const p = this.out.y;
    const dp = this.out.dy!;
    const dx = this.dx;
    if (this.kind === 'affine') {
      for (let i = 0; i < n; i++) {
        const po = p.off + i * p.ld;
        const go = dp.off + i * dp.ld;
        for (let j = 0; j < D; j++) {
          const e = exp(-f[po + D + j]!);
          const g = f[dy.off + i * dy.ld + j]!;
          const u = f[y.off + i * y.ld + j]!;
          f[go + j] = -g * e;
          f[go + D + j] = -g * u - gld[i]!;
          if (dx) f[dx.off + i * dx.ld + j] = g * e;
        }
      }
    } else {
      const { bins: K, tailBound: B } = this.spline!;
      const w = this.scratch!;
      const P = this.P;
      for (let i = 0; i < n; i++) {
        const go = dp.off + i * dp.ld;
        f.fill(0, go, go + D * P);
        for (let j = 0; j < D; j++) {
          // the knots of this element from the forward pass
          w.at(this.knotCache, (i * D + j) * w.stride);
          const gx = splineBackward(
            f[x.off + i * x.ld + j]!,
            f[dy.off + i * dy.ld + j]!,
            gld[i]!,
            K,
            B,
            this.scale,
            w,
            f,
            go + j * P,
          );
          if (dx) f[dx.off + i * dx.ld + j] = gx;
        }
      }
    }
    this.made.backward(n);
    if (dx) {
      const m = this.dxm!;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < D; j++) f[dx.off + i * dx.ld + j] = f[dx.off + i * dx.ld + j]! + f[m.off + i * D + j]!;
    }
  }

  inverse(n: number, logdet: Float64Array): void {
    const { D, x, y } = this;
    const p = this.out.y;
    let f = this.bd.heap.f32;
    for (let i = 0; i < n; i++) f.fill(0, x.off + i * x.ld, x.off + i * x.ld + D);
    const so = this.so;
    for (let j = 0; j < D; j++) {
      // feature j's parameters depend on x_1..x_{j-1} only, which are final by now
      this.made.forward(n);
      f = this.bd.heap.f32;
      for (let i = 0; i < n; i++) {
        const yv = f[y.off + i * y.ld + j]!;
        if (this.kind === 'affine') {
          const a = f[p.off + i * p.ld + D + j]!;
          f[x.off + i * x.ld + j] = yv * exp(a) + f[p.off + i * p.ld + j]!;
          logdet[i] = logdet[i]! + a;
        } else {
          const { bins: K, tailBound: B } = this.spline!;
          const w = this.scratch!.at(this.knotCache, 0);
          knots(f, p.off + i * p.ld + j * this.P, K, B, this.scale, w);
          splineInverse(yv, K, B, w, so);
          f[x.off + i * x.ld + j] = so.y;
          logdet[i] = logdet[i]! + so.logdet;
        }
      }
    }
  }
}

export class BatchNormStep implements FlowStep {
  readonly kind = 'batchnorm';
  readonly wantsContext = false;
  logGamma!: Param;
  beta!: Param;
  runMean!: StateSlot;
  runVar!: StateSlot;
  private bd!: Binder;
  private x!: Tensor;
  private dx: Tensor | null = null;
  private y!: Tensor;
  private dy!: Tensor;
  private mean: Float64Array;
  private v: Float64Array;
  private sums: Float64Array;
  private lastTrain = false;

  constructor(
    readonly D: number,
    readonly momentum = 0,
    readonly eps = 1e-5,
  ) {
    this.mean = new Float64Array(D);
    this.v = new Float64Array(D);
    this.sums = new Float64Array(2 * D + 2);
  }

  declare(ps: ParamStore): void {
    this.logGamma = ps.param('batchnormflow.log_gamma', this.D, { kind: 'const', value: 0 });
    this.beta = ps.param('batchnormflow.beta', this.D, { kind: 'const', value: 0 });
    this.runMean = ps.state('batchnormflow.running_mean', this.D, 0);
    this.runVar = ps.state('batchnormflow.running_var', this.D, 1);
  }

  bind(b: Binder, x: Tensor, dx: Tensor | null, y: Tensor, dy: Tensor): void {
    this.bd = b;
    this.x = x;
    this.dx = dx;
    this.y = y;
    this.dy = dy;
  }

  /** Set the running statistics (mean and variance including eps), e.g. from the whole training set. */
  setRunning(mean: ArrayLike<number>, varWithEps: ArrayLike<number>): void {
    const f = this.bd.heap.f32;
    for (let j = 0; j < this.D; j++) {
      f[this.runMean.off + j] = mean[j]!;
      f[this.runVar.off + j] = varWithEps[j]!;
    }
  }

  forward(n: number, logdet: Float64Array): void {
    const f = this.bd.heap.f32;
    const { D, x, y } = this;
    const train = this.bd.pass.train;
    this.lastTrain = train;
    if (train) {
      const s = this.sums.fill(0);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < D; j++) {
          const v = f[x.off + i * x.ld + j]!;
          s[j] = s[j]! + v;
          s[D + j] = s[D + j]! + v * v;
        }
      }
      s[2 * D] = n;
      this.bd.pass.replica.allReduce(s);
      const N = s[2 * D]!;
      if (N < 2) throw new SidebandError('nn flow batch norm: a training batch needs at least 2 rows');
      for (let j = 0; j < D; j++) {
        const m = s[j]! / N;
        this.mean[j] = m;
        this.v[j] = max(s[D + j]! / N - m * m, 0) + this.eps;
        f[this.runMean.off + j] = this.momentum * f[this.runMean.off + j]! + (1 - this.momentum) * m;
        f[this.runVar.off + j] = this.momentum * f[this.runVar.off + j]! + (1 - this.momentum) * this.v[j]!;
      }
    } else {
      for (let j = 0; j < D; j++) {
        this.mean[j] = f[this.runMean.off + j]!;
        this.v[j] = f[this.runVar.off + j]!;
      }
    }
    let ld = 0;
    for (let j = 0; j < D; j++) ld += f[this.logGamma.w + j]! - 0.5 * log(this.v[j]!);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < D; j++) {
        const xh = (f[x.off + i * x.ld + j]! - this.mean[j]!) / sqrt(this.v[j]!);
        f[y.off + i * y.ld + j] = exp(f[this.logGamma.w + j]!) * xh + f[this.beta.w + j]!;
      }
      logdet[i] = logdet[i]! + ld;
    }
  }

  backward(n: number, gld: Float64Array): void {
    const f = this.bd.heap.f32;
    const { D, x, dy } = this;
    const dx = this.dx;
    const lg = this.logGamma;
    // local sums: dy, dy * xhat, and the log-det gradients
    const s = this.sums.fill(0);
    let G = 0;
    for (let i = 0; i < n; i++) {
      G += gld[i]!;
      for (let j = 0; j < D; j++) {
        const xh = (f[x.off + i * x.ld + j]! - this.mean[j]!) / sqrt(this.v[j]!);
        const g = f[dy.off + i * dy.ld + j]!;
        s[j] = s[j]! + g;
        s[D + j] = s[D + j]! + g * xh;
      }
    }
    for (let j = 0; j < D; j++) {
      const e = exp(f[lg.w + j]!);
      f[this.beta.g + j] = f[this.beta.g + j]! + s[j]!;
      f[lg.g + j] = f[lg.g + j]! + e * s[D + j]! + G;
    }
    if (!dx) return;
    if (!this.lastTrain) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < D; j++) {
          f[dx.off + i * dx.ld + j] = (f[dy.off + i * dy.ld + j]! * exp(f[lg.w + j]!)) / sqrt(this.v[j]!);
        }
      }
      return;
    }
    s[2 * D] = n;
    s[2 * D + 1] = G;
    this.bd.pass.replica.allReduce(s);
    const N = s[2 * D]!;
    const Gt = s[2 * D + 1]!;
    for (let j = 0; j < D; j++) {
      const e = exp(f[lg.w + j]!);
      const sd = sqrt(this.v[j]!);
      // sums of dxhat = e dy over the whole batch
      const sdx = e * s[j]!;
      const sdxh = e * s[D + j]!;
      for (let i = 0; i < n; i++) {
        const xh = (f[x.off + i * x.ld + j]! - this.mean[j]!) / sd;
        const dxh = e * f[dy.off + i * dy.ld + j]!;
        // normalisation path + the log-det's dependence on the batch variance
        f[dx.off + i * dx.ld + j] = (dxh - sdx / N - (xh * sdxh) / N) / sd - (Gt * xh) / (N * sd);
      }
    }
  }

  inverse(n: number, logdet: Float64Array): void {
    const f = this.bd.heap.f32;
    const { D, x, y } = this;
    let ld = 0;
    for (let j = 0; j < D; j++) ld += -f[this.logGamma.w + j]! + 0.5 * log(f[this.runVar.off + j]!);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < D; j++) {
        const v = f[this.runVar.off + j]!;
        f[x.off + i * x.ld + j] =
          ((f[y.off + i * y.ld + j]! - f[this.beta.w + j]!) * sqrt(v)) / exp(f[this.logGamma.w + j]!) +
          f[this.runMean.off + j]!;
      }
      logdet[i] = logdet[i]! + ld;
    }
  }
}

export class ReverseStep implements FlowStep {
  readonly kind = 'reverse';
  readonly wantsContext = false;
  private bd!: Binder;
  private x!: Tensor;
  private dx: Tensor | null = null;
  private y!: Tensor;
  private dy!: Tensor;

  constructor(readonly D: number) {}

  declare(): void {}

  bind(b: Binder, x: Tensor, dx: Tensor | null, y: Tensor, dy: Tensor): void {
    this.bd = b;
    this.x = x;
    this.dx = dx;
    this.y = y;
    this.dy = dy;
  }

  private permute(n: number, a: Tensor, b: Tensor): void {
    const f = this.bd.heap.f32;
    const D = this.D;
    for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) f[b.off + i * b.ld + j] = f[a.off + i * a.ld + D - 1 - j]!;
  }

  forward(n: number): void {
    this.permute(n, this.x, this.y);
  }

  backward(n: number): void {
    if (this.dx) this.permute(n, this.dy, this.dx);
  }

  inverse(n: number): void {
    this.permute(n, this.y, this.x);
  }
}
