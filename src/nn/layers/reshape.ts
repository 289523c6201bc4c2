/**
 * Reshapes between feature vectors and sequences. ToSequence views each input row of len * ch values as len
 * positions of ch channels (a histogram of len bins is len x 1) and copies it into a padded sequence buffer for the
 * convolutions that follow. Flatten views a sequence without padding as rows of len * ch values (no copy).
 */
import { SidebandError } from '../../events/errors.js';
import type { Binder, Module, Port } from '../module.js';
import { mat, seq, type Shape, type Tensor } from '../tensor.js';

export class ToSequence implements Module {
  readonly kind = 'sequence';
  readonly inputPad = 0;
  private bd!: Binder;
  private x!: Tensor;
  private dx: Tensor | null = null;
  private y!: Tensor;
  private dy!: Tensor;

  constructor(readonly channels: number) {}

  declare(inp: Shape): Shape {
    if (inp.len !== 1 || inp.cols % this.channels !== 0) {
      throw new SidebandError(`nn sequence: ${inp.cols} features do not split into ${this.channels} channels`);
    }
    return { len: inp.cols / this.channels, cols: this.channels };
  }

  bind(b: Binder, input: Port, out: { place?: Port; pad: number }): Port {
    if (out.place) throw new SidebandError('nn sequence: cannot be placed into a concatenation');
    this.bd = b;
    this.x = input.y;
    this.dx = input.dy;
    const len = input.y.cols / this.channels;
    const pad = len > 1 ? Math.max(out.pad, b.seqPad) : 0;
    const span = b.capacity * (len + 2 * pad) * this.channels;
    this.y = seq(b.heap.alloc(span), len, this.channels, pad);
    this.dy = seq(b.heap.alloc(span), len, this.channels, pad);
    return { y: this.y, dy: this.dy };
  }

  forward(n: number): void {
    const k = this.bd.heap.k;
    const w = this.x.cols;
    for (let s = 0; s < n; s++)
      k.copy2d(1, w, this.x.off + s * this.x.ld, w, this.y.off + s * this.y.stride + this.y.pad * this.y.ld, w);
  }

  backward(n: number): void {
    if (!this.dx) return;
    const k = this.bd.heap.k;
    const w = this.x.cols;
    for (let s = 0; s < n; s++)
      k.copy2d(1, w, this.dy.off + s * this.dy.stride + this.dy.pad * this.dy.ld, w, this.dx.off + s * this.dx.ld, w);
  }
}

export class Flatten implements Module {
  readonly kind = 'flatten';
  readonly inputPad = 0;
  private bd!: Binder;
  private x!: Tensor;
  private dx: Tensor | null = null;
  private y!: Tensor;
  private dy!: Tensor;
  /** The input is unpadded and owns its rows: the output is a view of it. */
  private view = false;

  declare(inp: Shape): Shape {
    return { len: 1, cols: inp.len * inp.cols };
  }

  bind(b: Binder, input: Port, out: { place?: Port; pad: number }): Port {
    const t = input.y;
    if (out.place) throw new SidebandError('nn flatten: cannot be placed into a concatenation');
    this.bd = b;
    this.x = t;
    this.dx = input.dy;
    const w = t.len * t.cols;
    this.view = t.pad === 0 && t.ld === t.cols && (!input.dy || (input.dy.pad === 0 && input.dy.ld === input.dy.cols));
    if (this.view) return { y: mat(t.off, w), dy: input.dy ? mat(input.dy.off, w) : null };
    // padded sequences (convolutions between) are copied row by row
    this.y = mat(b.heap.alloc(b.capacity * w), w);
    this.dy = mat(b.heap.alloc(b.capacity * w), w);
    return { y: this.y, dy: this.dy };
  }

  forward(n: number): void {
    if (this.view) return;
    const k = this.bd.heap.k;
    const x = this.x;
    for (let s = 0; s < n; s++)
      k.copy2d(x.len, x.cols, x.off + s * x.stride + x.pad * x.ld, x.ld, this.y.off + s * this.y.ld, x.cols);
  }

  backward(n: number): void {
    if (this.view || !this.dx) return;
    const k = this.bd.heap.k;
    const d = this.dx;
    for (let s = 0; s < n; s++)
      k.copy2d(d.len, d.cols, this.dy.off + s * this.dy.ld, d.cols, d.off + s * d.stride + d.pad * d.ld, d.ld);
  }
}
