/**
 * A feed-forward network compiled for a batch capacity in its own heap: parameters, gradients and every
 * activation buffer allocated once. Rows are gathered into the input buffer, forward/backward run over fixed
 * offsets, predictions come back in chunks of the capacity.
 */
import { InputError, SidebandError } from '../events/errors.js';
import { Heap, type BackendChoice } from './backend.js';
import type { Binder, Pass, Port } from './module.js';
import { singleReplica } from './module.js';
import { ParamStore } from './params.js';
import { buildModules, type NetworkSpec } from './spec.js';
import type { Sequential } from './layers/sequential.js';
import { mat, type Tensor } from './tensor.js';

export interface BuildOptions {
  /** Seed of the initial weights (default 0). */
  seed?: number;
  backend?: BackendChoice;
  /** Most rows per forward call (default 512). */
  capacity?: number;
  /** Shared-memory heap (data-parallel training). */
  shared?: boolean;
}

export class Network {
  readonly heap: Heap;
  readonly params: ParamStore;
  readonly root: Sequential;
  readonly input: Tensor;
  readonly output: Port;
  readonly outputs: number;
  readonly capacity: number;
  readonly pass: Pass = { train: false, key: 0, rowBase: 0, replica: singleReplica };
  readonly seed: number;

  constructor(
    readonly spec: NetworkSpec,
    opts: BuildOptions = {},
  ) {
    if (!(Number.isInteger(spec.inputs) && spec.inputs > 0))
      throw new InputError(`nn network: inputs ${spec.inputs} is not a positive integer`, { field: 'inputs' });
    this.capacity = opts.capacity ?? 512;
    this.seed = opts.seed ?? 0;
    this.heap = new Heap({ backend: opts.backend, shared: opts.shared });
    this.params = new ParamStore(this.heap);
    this.root = buildModules(spec.layers);
    const outShape = this.root.declare({ len: 1, cols: spec.inputs }, this.params);
    if (outShape.len !== 1)
      throw new SidebandError('nn network: the last layer must give feature vectors (add flatten())');
    this.outputs = outShape.cols;
    this.params.finalize(this.seed);
    let id = 0;
    const binder: Binder = {
      heap: this.heap,
      params: this.params,
      capacity: this.capacity,
      pass: this.pass,
      nextId: () => id++,
      seqPad: this.root.maxPad(),
    };
    if (this.root.inputPad > 0) throw new SidebandError('nn network: a convolution needs toSequence() before it');
    this.input = mat(this.heap.alloc(this.capacity * spec.inputs), spec.inputs);
    this.output = this.root.bind(binder, { y: this.input, dy: null }, { pad: 0 });
    if (!this.output.dy) throw new SidebandError('nn network: the output has no gradient buffer');
  }

  get inputs(): number {
    return this.spec.inputs;
  }

  /** Copy rows of a row-major matrix X (rows[start + i], or start + i without rows) into the input buffer. */
  load(X: Float32Array | Float64Array, rows: Uint32Array | null, start: number, n: number): void {
    if (n > this.capacity) throw new SidebandError(`nn network: ${n} rows exceed the capacity ${this.capacity}`);
    const f = this.heap.f32;
    const d = this.spec.inputs;
    const o = this.input.off;
    if (!rows) {
      f.set(X.subarray(start * d, (start + n) * d), o);
      return;
    }
    if (X instanceof Float32Array) gatherRows(f, o, X, d, rows, start, n);
    else for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) f[o + i * d + j] = X[rows[start + i]! * d + j]!;
  }

  forward(n: number, train = false): void {
    this.pass.train = train;
    this.root.forward(n);
  }

  backward(n: number): void {
    this.root.backward(n);
  }

  /** Output row i of the last forward (a view into the heap: copy it if you keep it). */
  outputRow(i: number): Float32Array {
    const y = this.output.y;
    return this.heap.f32.subarray(y.off + i * y.ld, y.off + i * y.ld + this.outputs);
  }

  /** Network outputs (evaluation mode) for the n rows of a row-major matrix; n x outputs, row-major. */
  predict(X: Float32Array | Float64Array, n = X.length / this.spec.inputs): Float32Array {
    if (!Number.isInteger(n) || X.length < n * this.spec.inputs)
      throw new InputError(`nn predict: X holds ${X.length} values, not ${n} rows of ${this.spec.inputs}`);
    const out = new Float32Array(n * this.outputs);
    const y = this.output.y;
    for (let s = 0; s < n; s += this.capacity) {
      const m = Math.min(this.capacity, n - s);
      this.load(X, null, s, m);
      this.forward(m, false);
      const f = this.heap.f32;
      for (let i = 0; i < m; i++)
        out.set(f.subarray(y.off + i * y.ld, y.off + i * y.ld + this.outputs), (s + i) * this.outputs);
    }
    return out;
  }
}

/** Hot path of every training step: gather n rows of d values (monomorphic on Float32Array). */
export function gatherRows(
  f: Float32Array,
  o: number,
  X: Float32Array,
  d: number,
  rows: Uint32Array,
  start: number,
  n: number,
): void {
  if (d === 1) {
    for (let i = 0; i < n; i++) f[o + i] = X[rows[start + i]!]!;
    return;
  }
  if (d > 32) {
    for (let i = 0; i < n; i++) {
      const r = rows[start + i]! * d;
      f.set(X.subarray(r, r + d), o + i * d);
    }
    return;
  }
  let p = o;
  for (let i = 0; i < n; i++) {
    const r = rows[start + i]! * d;
    for (let j = 0; j < d; j++) f[p++] = X[r + j]!;
  }
}
