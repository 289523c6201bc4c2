/**
 * Parameter storage of a model: every trainable tensor lives in one contiguous block of its heap, its gradient at
 * the same relative offset in a parallel block, and non-trainable state (batch-norm running statistics) in a third.
 * One block means the optimizer, gradient clipping, data-parallel reduction and serialisation are each one pass.
 * Initial values are drawn in registration order from one seeded stream, so a seed fixes the whole model.
 */
import { SidebandError } from '../events/errors.js';
import type { Heap } from './backend.js';
import { mulberry32 } from './random.js';

// Math functions bound once: hot loops read module constants instead of the global object (much slower where
// code runs in a vm context, as under jest).
const { ceil, cos, floor, log, max, min, sqrt, PI } = Math;

/** How a parameter is initialised. */
export type InitSpec =
  | { kind: 'uniform'; bound: number }
  | { kind: 'normal'; std: number }
  | { kind: 'const'; value: number }
  /** An in x out weight with a uniform bound per input row (a layer fed by two inputs of different fan-in). */
  | { kind: 'rows'; cols: number; bounds: number[] }
  /**
   * An in x out weight whose input rows split into groups, each group's block initialised as
   * torch.nn.init.orthogonal_ initialises an (out x rows) torch weight (QR of a normal matrix, sign-fixed).
   */
  | { kind: 'orthogonal'; cols: number; groups: number[] };

/** PyTorch's default for Linear / Conv1d weights and biases: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function torchDefault(fanIn: number): InitSpec {
  return { kind: 'uniform', bound: fanIn > 0 ? 1 / sqrt(fanIn) : 0 };
}

/** Glorot (Xavier) uniform, Keras' and TensorFlow.js's default kernel initialiser. */
export function glorotUniform(fanIn: number, fanOut: number): InitSpec {
  return { kind: 'uniform', bound: sqrt(6 / (fanIn + fanOut)) };
}

export class Param {
  constructor(
    readonly store: ParamStore,
    readonly name: string,
    readonly size: number,
    readonly rel: number,
    readonly init: InitSpec,
    /** 0/1 gradient mask (autoregressive layers): masked weights start at 0 and their gradients are zeroed. */
    readonly mask?: Float32Array,
  ) {}
  /** Heap offset of the values. */
  get w(): number {
    return this.store.base + this.rel;
  }
  /** Heap offset of the gradient. */
  get g(): number {
    return this.store.gradBase + this.rel;
  }
  /** Heap offset of the mask (when there is one). */
  get m(): number {
    return this.store.maskBase + this.maskRel;
  }
  maskRel = -1;
}

export class StateSlot {
  constructor(
    readonly store: ParamStore,
    readonly name: string,
    readonly size: number,
    readonly rel: number,
    readonly value: number,
  ) {}
  get off(): number {
    return this.store.stateBase + this.rel;
  }
}

export class ParamStore {
  readonly params: Param[] = [];
  readonly states: StateSlot[] = [];
  size = 0;
  stateSize = 0;
  private maskSize = 0;
  base = -1;
  gradBase = -1;
  stateBase = -1;
  maskBase = -1;

  constructor(readonly heap: Heap) {}

  get finalized(): boolean {
    return this.base >= 0;
  }

  param(name: string, size: number, init: InitSpec, mask?: Float32Array): Param {
    if (this.finalized) throw new SidebandError(`nn params: ${name} registered after the model was built`);
    if (mask && mask.length !== size)
      throw new SidebandError(`nn params: mask of ${name} has ${mask.length} != ${size} entries`);
    // 4-element alignment keeps every tensor's start on a SIMD vector boundary.
    const p = new Param(this, name, size, this.size, init, mask);
    this.size += ceil(size / 4) * 4;
    if (mask) {
      p.maskRel = this.maskSize;
      this.maskSize += ceil(size / 4) * 4;
    }
    this.params.push(p);
    return p;
  }

  state(name: string, size: number, value: number): StateSlot {
    if (this.finalized) throw new SidebandError(`nn params: state ${name} registered after the model was built`);
    const s = new StateSlot(this, name, size, this.stateSize, value);
    this.stateSize += ceil(size / 4) * 4;
    this.states.push(s);
    return s;
  }

  /** Allocate the blocks and draw initial values from mulberry32(seed) in registration order. */
  finalize(seed: number): void {
    const h = this.heap;
    this.base = h.alloc(this.size);
    this.gradBase = h.alloc(this.size);
    this.stateBase = h.alloc(this.stateSize);
    this.maskBase = h.alloc(this.maskSize);
    const f = h.f32;
    const rand = mulberry32(seed);
    for (const p of this.params) {
      const o = p.w;
      const init = p.init;
      const vals = new Float64Array(p.size);
      if (init.kind === 'orthogonal') orthogonalInto(vals, init.cols, init.groups, rand);
      else {
        for (let i = 0; i < p.size; i++) {
          if (init.kind === 'uniform') vals[i] = (2 * rand() - 1) * init.bound;
          else if (init.kind === 'rows') vals[i] = (2 * rand() - 1) * init.bounds[floor(i / init.cols)]!;
          else if (init.kind === 'normal') vals[i] = init.std * gauss(rand);
          else vals[i] = init.value;
        }
      }
      for (let i = 0; i < p.size; i++) f[o + i] = p.mask ? vals[i]! * p.mask[i]! : vals[i]!;
      if (p.mask) f.set(p.mask, p.m);
    }
    for (const s of this.states) f.fill(s.value, s.off, s.off + s.size);
  }

  zeroGrad(): void {
    this.heap.k.fill(this.size, this.gradBase, 0);
  }

  /** Parameter values then state, as one copy (best-epoch snapshots, serialisation). */
  snapshot(): Float32Array {
    const f = this.heap.f32;
    const out = new Float32Array(this.size + this.stateSize);
    out.set(f.subarray(this.base, this.base + this.size));
    out.set(f.subarray(this.stateBase, this.stateBase + this.stateSize), this.size);
    return out;
  }

  restore(snap: Float32Array): void {
    if (snap.length !== this.size + this.stateSize) {
      throw new SidebandError(`nn params: snapshot has ${snap.length} values, the model ${this.size + this.stateSize}`);
    }
    const f = this.heap.f32;
    f.set(snap.subarray(0, this.size), this.base);
    f.set(snap.subarray(this.size), this.stateBase);
  }

  /** Values of one parameter (a copy). */
  read(p: Param): Float32Array {
    return this.heap.f32.slice(p.w, p.w + p.size);
  }

  /** Overwrite one parameter (fixtures, loading); masked entries are forced to 0. */
  write(p: Param, values: ArrayLike<number>): void {
    if (values.length !== p.size)
      throw new SidebandError(`nn params: ${p.name} takes ${p.size} values, got ${values.length}`);
    const f = this.heap.f32;
    for (let i = 0; i < p.size; i++) f[p.w + i] = p.mask ? values[i]! * p.mask[i]! : values[i]!;
  }

  readState(s: StateSlot): Float32Array {
    return this.heap.f32.slice(s.off, s.off + s.size);
  }

  writeState(s: StateSlot, values: ArrayLike<number>): void {
    if (values.length !== s.size)
      throw new SidebandError(`nn params: state ${s.name} takes ${s.size} values, got ${values.length}`);
    this.heap.f32.set(values, s.off);
  }
}

/** A standard normal deviate from two uniform draws (Box-Muller). */
function gauss(rand: () => number): number {
  const a = max(rand(), 1e-300);
  return sqrt(-2 * log(a)) * cos(2 * PI * rand());
}

/**
 * Orthogonal initialisation, group by group of input rows: for a torch weight of shape (out, r), draw an
 * (max(out, r) x min(out, r)) normal matrix row by row, orthonormalise its columns (modified Gram-Schmidt: the
 * Q of a QR with positive diagonal, which is what orthogonal_'s sign fix yields), transpose back when out < r.
 * Stored into our in x out layout: W[i, o] = weight[o, i].
 */
function orthogonalInto(vals: Float64Array, cols: number, groups: number[], rand: () => number): void {
  let row0 = 0;
  for (const r of groups) {
    const out = cols;
    const p = max(out, r);
    const q = min(out, r);
    const A = new Float64Array(p * q);
    for (let i = 0; i < p * q; i++) A[i] = gauss(rand);
    for (let j = 0; j < q; j++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < p; i++) dot += A[i * q + k]! * A[i * q + j]!;
        for (let i = 0; i < p; i++) A[i * q + j] = A[i * q + j]! - dot * A[i * q + k]!;
      }
      let nrm = 0;
      for (let i = 0; i < p; i++) nrm += A[i * q + j]! ** 2;
      nrm = sqrt(nrm) || 1;
      for (let i = 0; i < p; i++) A[i * q + j] = A[i * q + j]! / nrm;
    }
    // weight[o, i] = out >= r ? A[o, i] : A[i, o]
    for (let i = 0; i < r; i++) {
      for (let o = 0; o < out; o++) vals[(row0 + i) * cols + o] = out >= r ? A[o * q + i]! : A[i * q + o]!;
    }
    row0 += r;
  }
}
