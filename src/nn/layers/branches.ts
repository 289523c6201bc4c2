/**
 * Parallel branches over one input, concatenated along channels (DDP's Znet3: convolutions with kernel sizes 3, 5,
 * 9 ... side by side, concatenated with the input itself as a skip connection). Each branch's last module writes
 * straight into its channel slice of the output (no copy); in the backward pass every branch reads its slice of
 * the output gradient and the branches' input gradients are summed.
 */
import { SidebandError } from '../../events/errors.js';
import type { Binder, Module, Port } from '../module.js';
import type { ParamStore } from '../params.js';
import { channels, seq, zeroPads, type Shape, type Tensor } from '../tensor.js';

export class Branches implements Module {
  readonly kind = 'branches';
  private widths: number[] = [];
  private inCols = 0;
  private len = 0;
  private bd!: Binder;
  private x!: Tensor;
  private dx: Tensor | null = null;
  private y!: Tensor;
  private dy!: Tensor;
  private branchDx: Tensor[] = [];

  constructor(
    readonly branches: Module[],
    readonly withInput: boolean,
  ) {
    if (branches.length === 0) throw new SidebandError('nn branches: needs at least one branch');
  }

  get inputPad(): number {
    return Math.max(0, ...this.branches.map((m) => m.inputPad));
  }

  maxPad(): number {
    return Math.max(0, ...this.branches.map((m) => m.maxPad?.() ?? m.inputPad));
  }

  declare(inp: Shape, ps: ParamStore): Shape {
    this.inCols = inp.cols;
    this.len = inp.len;
    this.widths = this.branches.map((m) => {
      const s = m.declare(inp, ps);
      if (s.len !== inp.len)
        throw new SidebandError(
          `nn branches: a branch maps ${inp.len} positions to ${s.len}; concatenation needs equal lengths`,
        );
      return s.cols;
    });
    return { len: inp.len, cols: (this.withInput ? inp.cols : 0) + this.widths.reduce((a, w) => a + w, 0) };
  }

  bind(b: Binder, input: Port, out: { place?: Port; pad: number }): Port {
    this.bd = b;
    this.x = input.y;
    this.dx = input.dy;
    const total = (this.withInput ? this.inCols : 0) + this.widths.reduce((a, w) => a + w, 0);
    const h = b.heap;
    if (out.place) throw new SidebandError('nn branches: cannot itself be placed into a concatenation');
    const pad = this.len > 1 ? Math.max(out.pad, b.seqPad) : 0;
    const span = b.capacity * (this.len + 2 * pad) * total;
    this.y = seq(h.alloc(span), this.len, total, pad);
    this.dy = seq(h.alloc(span), this.len, total, pad);
    let c0 = this.withInput ? this.inCols : 0;
    this.branchDx = [];
    this.branches.forEach((m, i) => {
      let bdx: Tensor | null = null;
      if (input.dy) {
        const t = input.y;
        bdx = { ...t, off: h.alloc(b.capacity * t.stride) };
        this.branchDx.push(bdx);
      }
      const w = this.widths[i]!;
      m.bind(
        b,
        { y: input.y, dy: bdx },
        { place: { y: channels(this.y, c0, w), dy: channels(this.dy, c0, w) }, pad: out.pad },
      );
      c0 += w;
    });
    return { y: this.y, dy: this.dy };
  }

  forward(n: number): void {
    const k = this.bd.heap.k;
    if (this.withInput) {
      const x = this.x;
      const y = this.y;
      for (let s = 0; s < n; s++) {
        k.copy2d(
          this.len,
          this.inCols,
          x.off + s * x.stride + x.pad * x.ld,
          x.ld,
          y.off + s * y.stride + y.pad * y.ld,
          y.ld,
        );
      }
    }
    for (const m of this.branches) m.forward(n);
    // branch convolutions computing the whole batch in one GEMM write garbage into the rows between samples
    zeroPads(k, this.y, n);
  }

  backward(n: number): void {
    for (const m of this.branches) m.backward(n);
    const dx = this.dx;
    if (!dx) return;
    const k = this.bd.heap.k;
    // dx = skip-connection slice + the branches' input gradients, in branch order (real rows only)
    const first = this.withInput ? channels(this.dy, 0, this.inCols) : this.branchDx[0]!;
    for (let s = 0; s < n; s++) {
      k.copy2d(
        this.len,
        first.cols,
        first.off + s * first.stride + first.pad * first.ld,
        first.ld,
        dx.off + s * dx.stride + dx.pad * dx.ld,
        dx.ld,
      );
    }
    for (let i = this.withInput ? 0 : 1; i < this.branchDx.length; i++) {
      const src = this.branchDx[i]!;
      for (let s = 0; s < n; s++) {
        const a = src.off + s * src.stride + src.pad * src.ld;
        const d = dx.off + s * dx.stride + dx.pad * dx.ld;
        if (src.ld === src.cols && dx.ld === dx.cols) k.addInPlace(this.len * src.cols, a, d);
        else for (let l = 0; l < this.len; l++) k.addInPlace(src.cols, a + l * src.ld, d + l * dx.ld);
      }
    }
  }
}
