/**
 * The module contract of the neural engine. A network is compiled once for a batch capacity: every module
 * declares its parameters and output shape, then binds its buffers (outputs, gradients, workspace) in the heap, so
 * a training step allocates nothing and every kernel call takes fixed offsets. forward(n) reads the input port
 * bound at build time and writes the output port; backward(n) reads the output gradient, accumulates parameter
 * gradients and, when the input has a gradient buffer, writes it.
 */
import type { Heap } from './backend.js';
import type { ParamStore } from './params.js';
import type { Shape, Tensor } from './tensor.js';

/** Data parallelism hooks (src/training implements them over threads; one replica: both are no-ops). */
export interface Replica {
  readonly index: number;
  readonly count: number;
  /** Sum `data` elementwise over all replicas in replica order, in place: every replica gets the same bits. */
  allReduce(data: Float64Array): void;
  /** Replace this replica's gradient block by the sum over replicas (in replica order). */
  reduceGradients(store: ParamStore): void;
}

export const singleReplica: Replica = {
  index: 0,
  count: 1,
  allReduce() {},
  reduceGradients() {},
};

/** What one forward/backward call runs under (a shared mutable object the modules read). */
export interface Pass {
  train: boolean;
  /** Dropout key of this step (mixed with each module's id). */
  key: number;
  /** Index of the first row of this call within its whole batch (dropout ids; data parallel shards). */
  rowBase: number;
  replica: Replica;
}

/** A buffer and its gradient (null: nobody needs the gradient). */
export interface Port {
  y: Tensor;
  dy: Tensor | null;
  /** The module that writes y, when only the next module reads it (lets a dense layer fuse its producer's
   *  activation backward into its own input-gradient GEMM). */
  producer?: Module;
}

export interface Binder {
  heap: Heap;
  params: ParamStore;
  capacity: number;
  pass: Pass;
  /** Sequential module ids (dropout keys), in build order. */
  nextId(): number;
  /**
   * Zero rows around every sample of every sequence buffer (the widest receptive field in the network): one
   * per-sample period for all convolutions, so each runs as one GEMM over the whole batch. Writers keep these rows
   * zero (in activations and gradients alike).
   */
  seqPad: number;
}

export interface Module {
  readonly kind: string;
  /** Register parameters for input shape `inp`; returns the output shape. */
  declare(inp: Shape, params: ParamStore): Shape;
  /** Zero rows this module needs around each input sample (convolutions). */
  readonly inputPad: number;
  /** The largest inputPad of this module and the modules inside it. */
  maxPad?(): number;
  /** Allocate buffers; `place` is where the output must go (a slice of a concatenation), else the module
   *  allocates it with `outPad` zero rows around each sample. */
  bind(b: Binder, input: Port, out: { place?: Port; pad: number }): Port;
  forward(n: number): void;
  backward(n: number): void;
}
