/**
 * HGB histogram building on several threads: helper workers that share the fit's bins, partition, gradients and
 * hessians (SharedArrayBuffer) with the training thread, and fill per-block partial histograms that the training
 * thread merges in block order (src/classify/hgb.ts), so trees are identical for any number of threads.
 *
 * fitHgb is synchronous, so the hand-off is too: the training thread publishes a node's row range in a shared
 * control array, wakes the helpers with Atomics.notify, builds its own share of the blocks and waits with
 * Atomics.wait until every helper has reported. Block b goes to thread b mod T (thread 0 is the caller), which
 * spreads a node's rows evenly. A fit's arrays reach the helpers once, by message, read synchronously on their side.
 */
import { Worker } from 'node:worker_threads';
import {
  accumulateBlock,
  HIST_BLOCK,
  histogramLength,
  mergeBlocks,
  type HistogramBuilder,
  type HistogramInputs,
} from '../classify/hgb.js';
import { SidebandError } from '../events/errors.js';

/** Control array slots (Int32). */
export const CTL = { seq: 0, done: 1, start: 2, stop: 3, root: 4, kind: 5, failed: 6 } as const;
export const KIND = { build: 1, attach: 2, exit: 3 } as const;

/** Shared arrays of one fit, as sent to the helpers. */
export interface AttachMessage {
  binned: Uint8Array;
  nFeatures: number;
  idx: Uint32Array;
  grad: Float32Array;
  hess: Float32Array;
  partials: Float64Array;
}

export class ThreadedHistograms implements HistogramBuilder {
  private readonly workers: Worker[] = [];
  private readonly ctl = new Int32Array(new SharedArrayBuffer(4 * 8));
  private inputs?: HistogramInputs;
  private partials: Float64Array = new Float64Array(0);
  private errors: string[] = [];

  /** `threads` in all, the caller's included: threads − 1 helper workers. */
  constructor(readonly threads: number) {
    if (!(Number.isInteger(threads) && threads >= 2))
      throw new SidebandError(`hgb threads: need at least 2 threads (got ${threads})`);
    for (let t = 1; t < threads; t++) {
      const w = new Worker(new URL('./hgb-hist-worker.js', import.meta.url), {
        workerData: { ctl: this.ctl, thread: t, threads },
      });
      w.on('error', (e) => this.errors.push(e.message));
      w.unref();
      this.workers.push(w);
    }
  }

  shared(bytes: number): SharedArrayBuffer {
    return new SharedArrayBuffer(bytes);
  }

  attach(inputs: HistogramInputs): void {
    if (!(inputs.binned.buffer instanceof SharedArrayBuffer) || !(inputs.idx.buffer instanceof SharedArrayBuffer))
      throw new SidebandError('hgb threads: the fit arrays must live in shared memory (HistogramBuilder.shared)');
    this.inputs = inputs;
    const blocks = Math.ceil(inputs.grad.length / HIST_BLOCK) + 1;
    this.partials = new Float64Array(new SharedArrayBuffer(8 * blocks * histogramLength(inputs.nFeatures)));
    const msg: AttachMessage = { ...inputs, partials: this.partials };
    for (const w of this.workers) w.postMessage(msg);
    this.signal(KIND.attach, 0, 0, false);
    this.wait();
  }

  build(start: number, stop: number, isRoot: boolean, out: Float64Array): void {
    const x = this.inputs;
    if (!x) throw new SidebandError('hgb threads: build before attach');
    const len = out.length;
    const blocks = Math.ceil((stop - start) / HIST_BLOCK);
    this.signal(KIND.build, start, stop, isRoot);
    // Thread 0's share: blocks 0, T, 2T, …
    for (let b = 0; b < blocks; b += this.threads) {
      const s = start + b * HIST_BLOCK;
      this.partials.fill(0, b * len, (b + 1) * len);
      accumulateBlock(x, s, Math.min(stop, s + HIST_BLOCK), isRoot, this.partials, b * len);
    }
    this.wait();
    mergeBlocks(this.partials, blocks, out);
  }

  private signal(kind: number, start: number, stop: number, root: boolean): void {
    const c = this.ctl;
    Atomics.store(c, CTL.done, 0);
    Atomics.store(c, CTL.kind, kind);
    Atomics.store(c, CTL.start, start);
    Atomics.store(c, CTL.stop, stop);
    Atomics.store(c, CTL.root, root ? 1 : 0);
    Atomics.add(c, CTL.seq, 1);
    Atomics.notify(c, CTL.seq);
  }

  /** Block until every helper has reported on the current step (errors surface as one clear throw). */
  private wait(): void {
    const c = this.ctl;
    const helpers = this.workers.length;
    for (let d = Atomics.load(c, CTL.done); d < helpers; d = Atomics.load(c, CTL.done)) {
      // A helper that died never reports: time out and say so rather than hang the training thread.
      if (Atomics.wait(c, CTL.done, d, 60_000) === 'timed-out')
        throw new SidebandError(`hgb threads: a helper did not answer within 60 s (${this.errors.join('; ')})`);
    }
    if (Atomics.load(c, CTL.failed) !== 0) throw new SidebandError('hgb threads: a helper failed to build its blocks');
  }

  /** Stop the helpers. */
  close(): void {
    this.signal(KIND.exit, 0, 0, false);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

/** One builder per thread count in this thread, made on first use and kept (its helpers are unref'd). */
const builders = new Map<number, ThreadedHistograms>();
export function histogramThreads(threads: number): ThreadedHistograms {
  let b = builders.get(threads);
  if (!b) {
    b = new ThreadedHistograms(threads);
    builders.set(threads, b);
  }
  return b;
}
