/**
 * The thread side of data-parallel training: a Replica (src/nn/module.ts) over shared memory. Every replica's
 * heap is a shared WebAssembly memory (or SharedArrayBuffer) whose buffer the others hold. Reducing gradients:
 * copy this replica's gradient block into its outbox, barrier, copy the T outboxes into local slots in replica
 * order, sum the slots in that order with one SIMD kernel call. All-reduce of small f64 vectors (losses,
 * batch-norm statistics) goes through per-replica slots in a control SharedArrayBuffer.
 * Outboxes and slots are double-buffered by call parity, so each exchange needs one barrier, not two: a replica
 * rewrites a buffer only two exchanges later, after a barrier every reader of it has passed.
 * Barriers spin (up to ~10^5 checks), then sleep on Atomics.wait.
 */
import { SidebandError } from '../events/errors.js';
import type { Heap } from '../nn/backend.js';
import type { Replica } from '../nn/module.js';
import type { ParamStore } from '../nn/params.js';

/** Control block layout (Int32 words): [0] arrivals, [1] generation, [2] failure flag; f64 slots after. */
const CTL_WORDS = 16;
/** Largest all-reduce vector (f64 values per replica). */
export const REDUCE_MAX = 4096;

export function controlBytes(replicas: number): number {
  return CTL_WORDS * 4 + 2 * replicas * REDUCE_MAX * 8;
}

export class ThreadReplica implements Replica {
  private readonly ctl: Int32Array;
  private readonly slots: Float64Array;
  private peers: Float32Array[] = [];
  private scratch = -1;
  /** Two outboxes of the gradient block, in this heap (allocated before the heaps are exchanged). */
  private readonly outbox: number;
  private readonly P: number;
  private gradCalls = 0;
  private reduceCalls = 0;

  constructor(
    readonly index: number,
    readonly count: number,
    control: SharedArrayBuffer,
    private readonly heap: Heap,
    store: ParamStore,
  ) {
    this.ctl = new Int32Array(control, 0, CTL_WORDS);
    this.slots = new Float64Array(control, CTL_WORDS * 4, 2 * count * REDUCE_MAX);
    this.P = store.size;
    this.outbox = count > 1 ? heap.alloc(2 * this.P) : -1;
  }

  /** The heaps of all replicas, in replica order (this one's included). */
  setPeers(buffers: (SharedArrayBuffer | ArrayBuffer)[]): void {
    if (buffers.length !== this.count)
      throw new SidebandError(`nn threads: ${buffers.length} peer heaps for ${this.count} replicas`);
    this.peers = buffers.map((b) => new Float32Array(b));
  }

  /** Abort every replica waiting at a barrier (a worker failed). */
  static fail(control: SharedArrayBuffer): void {
    const ctl = new Int32Array(control, 0, CTL_WORDS);
    Atomics.store(ctl, 2, 1);
    Atomics.add(ctl, 1, 1);
    Atomics.notify(ctl, 1);
  }

  barrier(): void {
    const ctl = this.ctl;
    const gen = Atomics.load(ctl, 1);
    if (Atomics.add(ctl, 0, 1) === this.count - 1) {
      Atomics.store(ctl, 0, 0);
      Atomics.add(ctl, 1, 1);
      Atomics.notify(ctl, 1);
    } else {
      // spin first (a step's halves finish within tens of microseconds of each other; a futex wake-up costs about
      // as much as a small step: measured 0.73-0.86 M samples/s on the MLP with 2k spins, 0.91-0.98 M with 100k)
      let spins = 0;
      while (Atomics.load(ctl, 1) === gen) {
        if (++spins > 100000) Atomics.wait(ctl, 1, gen, 50);
      }
    }
    if (Atomics.load(ctl, 2) !== 0) throw new SidebandError('nn threads: another training thread failed');
  }

  allReduce(data: Float64Array): void {
    if (this.count === 1) return;
    const n = data.length;
    if (n > REDUCE_MAX) throw new SidebandError(`nn threads: all-reduce of ${n} values exceeds ${REDUCE_MAX}`);
    const base = (this.reduceCalls++ & 1) * this.count * REDUCE_MAX;
    this.slots.set(data, base + this.index * REDUCE_MAX);
    this.barrier();
    for (let i = 0; i < n; i++) {
      let s = this.slots[base + i]!;
      for (let t = 1; t < this.count; t++) s += this.slots[base + t * REDUCE_MAX + i]!;
      data[i] = s;
    }
  }

  reduceGradients(store: ParamStore): void {
    if (this.count === 1) return;
    const P = this.P;
    if (store.size !== P) throw new SidebandError('nn threads: the gradient block changed size');
    if (this.scratch < 0) this.scratch = this.heap.alloc(P * this.count);
    const box = this.outbox + (this.gradCalls++ & 1) * P;
    const k = this.heap.k;
    k.copy2d(1, P, store.gradBase, P, box, P);
    this.barrier();
    const f = this.heap.f32;
    for (let t = 0; t < this.count; t++) f.set(this.peers[t]!.subarray(box, box + P), this.scratch + t * P);
    k.sumSlots(P, this.count, this.scratch, P, store.gradBase);
  }
}
