/**
 * A network trained on a loss over row-major arrays: the Objective that fit() drives for classifiers and
 * regressors. Rows of X, targets Y and weights w are gathered per batch into the network's input buffer and a
 * small target buffer; batches larger than the network's capacity run as several forward/backward chunks whose
 * gradients add up.
 */
import { InputError } from '../events/errors.js';
import type { Objective } from './fit.js';
import { evaluateLoss, outputsPerTarget, type LossSpec } from './losses.js';
import { gatherRows, type Network } from './network.js';
import type { Replica } from './module.js';

export interface Dataset {
  /** n x inputs, row-major. */
  x: Float32Array;
  /** n x targets, row-major. */
  y: Float32Array;
  /** One weight per row (absent: 1). */
  w?: Float32Array;
}

export class NetworkObjective implements Objective {
  readonly targets: number;
  private yb: Float32Array;
  private wb: Float32Array | undefined;

  constructor(
    readonly net: Network,
    readonly data: Dataset,
    readonly loss: LossSpec,
  ) {
    const per = outputsPerTarget(loss);
    if (net.outputs % per !== 0)
      throw new InputError(`nn objective: ${net.outputs} outputs do not fit loss ${loss.name}`);
    this.targets = net.outputs / per;
    const n = data.x.length / net.inputs;
    if (!Number.isInteger(n))
      throw new InputError(`nn objective: x holds ${data.x.length} values, not rows of ${net.inputs}`, { field: 'x' });
    if (data.y.length !== n * this.targets)
      throw new InputError(`nn objective: y holds ${data.y.length} values for ${n} rows x ${this.targets} targets`, {
        field: 'y',
      });
    if (data.w && data.w.length !== n)
      throw new InputError(`nn objective: w holds ${data.w.length} weights for ${n} rows`, { field: 'w' });
    this.yb = new Float32Array(net.capacity * this.targets);
    this.wb = data.w ? new Float32Array(net.capacity) : undefined;
  }

  useReplica(r: Replica): void {
    this.net.pass.replica = r;
  }

  get params() {
    return this.net.params;
  }

  get capacity(): number {
    return this.net.capacity;
  }

  normalizer(rows: Uint32Array, start: number, end: number): number {
    const w = this.data.w;
    if (!w) return (end - start) * this.targets;
    let s = 0;
    for (let i = start; i < end; i++) s += w[rows[i]!]!;
    return s * this.targets;
  }

  private gather(rows: Uint32Array, start: number, n: number): void {
    this.net.load(this.data.x, rows, start, n);
    gatherRows(this.yb, 0, this.data.y, this.targets, rows, start, n);
    if (this.wb) gatherRows(this.wb, 0, this.data.w!, 1, rows, start, n);
  }

  lossGrad(rows: Uint32Array, start: number, end: number, rowBase: number, norm: number, key: number): number {
    const net = this.net;
    let total = 0;
    for (let s = start; s < end; s += net.capacity) {
      const n = Math.min(net.capacity, end - s);
      this.gather(rows, s, n);
      net.pass.key = key;
      net.pass.rowBase = rowBase + (s - start);
      net.forward(n, true);
      const f = net.heap.f32;
      const out = net.output;
      total += evaluateLoss(this.loss, {
        out: f,
        o: out.y.off,
        ld: out.y.ld,
        n,
        k: this.targets,
        y: this.yb,
        w: this.wb,
        norm,
        grad: f,
        go: out.dy!.off,
        gld: out.dy!.ld,
      });
      net.backward(n);
    }
    return total;
  }

  evalLoss(rows: Uint32Array, start: number, end: number): number {
    const net = this.net;
    let total = 0;
    for (let s = start; s < end; s += net.capacity) {
      const n = Math.min(net.capacity, end - s);
      this.gather(rows, s, n);
      net.forward(n, false);
      const out = net.output;
      total += evaluateLoss(this.loss, {
        out: net.heap.f32,
        o: out.y.off,
        ld: out.y.ld,
        n,
        k: this.targets,
        y: this.yb,
        w: this.wb,
        norm: 1,
      });
    }
    return total;
  }
}
