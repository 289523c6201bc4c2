/**
 * A pool of worker threads that train classifiers off the event loop, with a bounded queue of pending jobs and
 * visible progress. Workers are unreferenced while idle so that an idle pool never keeps the process alive, and
 * referenced while they train so that a run does not exit under a pending training.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { SidebandError } from '../events/errors.js';
import { runTrainJob, type TrainJob, type TrainResult } from '../classify/train-job.js';
import { histogramThreads } from './hgb-threads.js';
import { loadTf } from './tfjs-backend.js';

export interface PoolStats {
  workers: number;
  queued: number;
  running: number;
  done: number;
  failed: number;
}

interface Pending {
  id: number;
  job: TrainJob;
  resolve: (r: TrainResult) => void;
  reject: (e: Error) => void;
  onProgress?: (done: number, total: number) => void;
}

export class TrainingQueueFullError extends SidebandError {
  constructor(limit: number) {
    super(`training pool: queue full (${limit} pending jobs); the window will be retried on its next trigger`, {
      retriable: true,
    });
  }
}

export class TrainingPool {
  private readonly workers: { w: Worker; busy: Pending | null }[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private done = 0;
  private failed = 0;
  private closed = false;

  /** workers = 0 runs jobs inline on the calling thread (tests, debugging); still asynchronous. */
  constructor(
    readonly size: number = Math.max(1, Math.min(4, os.availableParallelism())),
    readonly maxQueued: number = 4096,
  ) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    const w = new Worker(new URL('./train-worker.js', import.meta.url));
    const slot: { w: Worker; busy: Pending | null } = { w, busy: null };
    w.unref();
    w.on('message', (msg: { id: number; progress?: [number, number]; result?: TrainResult; error?: string }) => {
      const p = slot.busy;
      if (!p || p.id !== msg.id) return;
      if (msg.progress) {
        p.onProgress?.(msg.progress[0], msg.progress[1]);
        return;
      }
      slot.busy = null;
      w.unref();
      if (msg.error !== undefined) {
        this.failed++;
        p.reject(new SidebandError(`training (${p.job.kind}, seed ${p.job.seed}): ${msg.error}`));
      } else {
        this.done++;
        p.resolve(msg.result!);
      }
      this.pump();
    });
    w.on('error', (e) => {
      // A crashed worker fails its job and is replaced.
      const p = slot.busy;
      slot.busy = null;
      const i = this.workers.indexOf(slot);
      if (i >= 0) this.workers.splice(i, 1);
      if (p) {
        this.failed++;
        p.reject(new SidebandError(`training worker crashed: ${e.message}`, { cause: e }));
      }
      if (!this.closed) {
        this.spawn();
        this.pump();
      }
    });
    this.workers.push(slot);
  }

  /** Queue a job; rejects at once with TrainingQueueFullError when the queue is full. */
  submit(job: TrainJob, onProgress?: (done: number, total: number) => void): Promise<TrainResult> {
    if (this.closed) return Promise.reject(new SidebandError('training pool: closed'));
    if (this.size === 0) {
      return runTrainJob(job, { tf: loadTf, histograms: histogramThreads }, onProgress).then(
        (r) => {
          this.done++;
          return r;
        },
        (e: unknown) => {
          this.failed++;
          throw e;
        },
      );
    }
    if (this.queue.length >= this.maxQueued) return Promise.reject(new TrainingQueueFullError(this.maxQueued));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject, onProgress });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.workers) {
      if (slot.busy || this.queue.length === 0) continue;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.w.ref();
      slot.w.postMessage({ id: p.id, job: p.job });
    }
  }

  stats(): PoolStats {
    return {
      workers: this.workers.length,
      queued: this.queue.length,
      running: this.workers.filter((s) => s.busy).length,
      done: this.done,
      failed: this.failed,
    };
  }

  /** The pool as a Trainer for window analyses. */
  readonly train = (job: TrainJob, onProgress?: (done: number, total: number) => void): Promise<TrainResult> =>
    this.submit(job, onProgress);

  /** Stop the workers; queued jobs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new SidebandError('training pool: closed'));
    await Promise.all(this.workers.map((s) => s.w.terminate()));
    this.workers.length = 0;
  }
}
