/**
 * Standalone activation layer (after batch normalisation, after a convolution whose activation cannot be fused,
 * or inside a custom module). Dense and Conv1d fuse ReLU / LeakyReLU themselves; this layer is for the rest.
 */
import { ACT, type Activation as ActivationName } from '../kernels-api.js';
import type { Binder, Module, Port } from '../module.js';
import { seq, type Shape, type Tensor } from '../tensor.js';

export class ActivationLayer implements Module {
  readonly kind = 'activation';
  readonly inputPad = 0;
  private bd!: Binder;
  private x!: Tensor;
  private dx: Tensor | null = null;
  private y!: Tensor;
  private dy!: Tensor;

  constructor(
    readonly act: ActivationName,
    readonly slope = 0.01,
  ) {}

  declare(inp: Shape): Shape {
    return inp;
  }

  bind(b: Binder, input: Port, out: { place?: Port; pad: number }): Port {
    this.bd = b;
    this.x = input.y;
    this.dx = input.dy;
    const { len, cols } = input.y;
    const h = b.heap;
    if (out.place) {
      this.y = out.place.y;
      this.dy = out.place.dy ?? seq(h.alloc(b.capacity * len * cols), len, cols, 0);
    } else {
      const pad = len > 1 ? Math.max(out.pad, b.seqPad) : 0;
      const span = b.capacity * (len + 2 * pad) * cols;
      this.y = seq(h.alloc(span), len, cols, pad);
      this.dy = seq(h.alloc(span), len, cols, pad);
    }
    return { y: this.y, dy: this.dy };
  }

  forward(n: number): void {
    const k = this.bd.heap.k;
    const x = this.x;
    const y = this.y;
    for (let b = 0; b < n; b++) {
      for (let l = 0; l < x.len; l++) {
        k.actFwd(
          x.cols,
          x.off + b * x.stride + (x.pad + l) * x.ld,
          y.off + b * y.stride + (y.pad + l) * y.ld,
          ACT[this.act],
          this.slope,
        );
      }
    }
  }

  backward(n: number): void {
    if (!this.dx) return;
    const k = this.bd.heap.k;
    const { y, dy, dx } = { y: this.y, dy: this.dy, dx: this.dx };
    for (let b = 0; b < n; b++) {
      for (let l = 0; l < y.len; l++) {
        k.actBwd(
          y.cols,
          y.off + b * y.stride + (y.pad + l) * y.ld,
          dy.off + b * dy.stride + (dy.pad + l) * dy.ld,
          dx.off + b * dx.stride + (dx.pad + l) * dx.ld,
          ACT[this.act],
          this.slope,
        );
      }
    }
  }
}
