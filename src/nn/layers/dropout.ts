/**
 * Standalone dropout layer (inverted dropout: kept elements scaled by 1 / (1 - p) in training, identity in
 * evaluation). Masks come from the counter hash of (step key, layer id, element id), so the backward pass
 * recomputes them instead of storing them. Dense layers fuse their own dropout; this one is for other places.
 */
import type { Binder, Module, Port } from '../module.js';
import { mixKey } from '../random.js';
import { mat, type Shape, type Tensor } from '../tensor.js';
import { SidebandError } from '../../events/errors.js';
import { dropoutParams } from './dense.js';

export class DropoutLayer implements Module {
  readonly kind = 'dropout';
  readonly inputPad = 0;
  private bd!: Binder;
  private id = 0;
  private x!: Tensor;
  private dx: Tensor | null = null;
  private y!: Tensor;
  private dy!: Tensor;
  private cols = 0;
  private thr = 0;
  private scale = 1;
  private key = 0;
  private rowBase = 0;

  constructor(readonly rate: number) {
    dropoutParams(rate);
  }

  declare(inp: Shape): Shape {
    if (inp.len !== 1) throw new SidebandError('nn dropout: the standalone layer takes feature vectors');
    this.cols = inp.cols;
    return inp;
  }

  bind(b: Binder, input: Port, out: { place?: Port; pad: number }): Port {
    this.bd = b;
    this.id = b.nextId();
    this.x = input.y;
    this.dx = input.dy;
    const h = b.heap;
    this.y = out.place ? out.place.y : mat(h.alloc(b.capacity * this.cols), this.cols);
    this.dy = out.place?.dy ?? mat(h.alloc(b.capacity * this.cols), this.cols);
    return { y: this.y, dy: this.dy };
  }

  forward(n: number): void {
    const k = this.bd.heap.k;
    const pass = this.bd.pass;
    const { thr, scale } = dropoutParams(pass.train ? this.rate : 0);
    this.thr = thr;
    this.scale = scale;
    this.key = mixKey(pass.key, this.id);
    this.rowBase = pass.rowBase;
    if (thr) k.dropout(n, this.cols, this.x.off, this.x.ld, this.y.off, this.y.ld, thr, scale, this.key, this.rowBase);
    else k.copy2d(n, this.cols, this.x.off, this.x.ld, this.y.off, this.y.ld);
  }

  backward(n: number): void {
    if (!this.dx) return;
    const k = this.bd.heap.k;
    if (this.thr)
      k.dropout(
        n,
        this.cols,
        this.dy.off,
        this.dy.ld,
        this.dx.off,
        this.dx.ld,
        this.thr,
        this.scale,
        this.key,
        this.rowBase,
      );
    else k.copy2d(n, this.cols, this.dy.off, this.dy.ld, this.dx.off, this.dx.ld);
  }
}
