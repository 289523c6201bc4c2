/**
 * A chain of modules. At build time it passes shapes forward, asks each module for the zero padding its successor
 * reads (convolutions), and tells each module which module produced its input, so a dense layer can fuse the
 * activation backward of the dense layer below it.
 */
import type { Binder, Module, Port } from '../module.js';
import type { ParamStore } from '../params.js';
import type { Shape } from '../tensor.js';

export class Sequential implements Module {
  readonly kind = 'sequential';

  constructor(readonly modules: Module[]) {}

  get inputPad(): number {
    return this.modules[0]?.inputPad ?? 0;
  }

  maxPad(): number {
    return Math.max(0, ...this.modules.map((m) => m.maxPad?.() ?? m.inputPad));
  }

  declare(inp: Shape, ps: ParamStore): Shape {
    let s = inp;
    for (const m of this.modules) s = m.declare(s, ps);
    return s;
  }

  bind(b: Binder, input: Port, out: { place?: Port; pad: number }): Port {
    let port = input;
    this.modules.forEach((m, i) => {
      const next = this.modules[i + 1];
      port = m.bind(b, port, next ? { pad: next.inputPad } : out);
    });
    return port;
  }

  forward(n: number): void {
    for (const m of this.modules) m.forward(n);
  }

  backward(n: number): void {
    for (let i = this.modules.length - 1; i >= 0; i--) this.modules[i]!.backward(n);
  }
}
