/**
 * Data-parallel training of the neural engine's networks and flows over worker threads (the runtime; the math is
 * in src/nn). Each of T workers builds the same model from the same seed in a shared heap, trains on its share of
 * every batch, and the replicas reduce gradients in replica order (nn-replica.ts), so all hold identical weights
 * and the same seed and thread count give bit-identical results. Data go to the workers once, in
 * SharedArrayBuffers. Resolves with the trained model as a SavedModel (src/nn/serialize.ts).
 */
import { Worker } from 'node:worker_threads';
import { SidebandError } from '../events/errors.js';
import type { BackendChoice } from '../nn/backend.js';
import type { EpochReport, FitOptions, FitResult } from '../nn/fit.js';
import type { FlowSpec } from '../nn/flows/flow.js';
import {
  fitPreprocessor,
  preprocess,
  preprocessContext,
  type PreprocessOptions,
  type Preprocessor,
} from '../nn/flows/preprocess.js';
import type { LossSpec } from '../nn/losses.js';
import type { SavedModel } from '../nn/serialize.js';
import type { NetworkSpec } from '../nn/spec.js';
import { controlBytes } from './nn-replica.js';

/** Fit options that cross a thread boundary (no callbacks, no replica). */
export type PlainFitOptions = Omit<FitOptions, 'onEpoch' | 'replica'>;

export interface NetworkJob {
  kind: 'network';
  spec: NetworkSpec;
  seed: number;
  capacity?: number;
  backend?: BackendChoice;
  loss: LossSpec;
  x: Float32Array;
  y: Float32Array;
  w?: Float32Array;
  train: Uint32Array;
  val?: Uint32Array;
  fit: PlainFitOptions;
  extra?: Record<string, unknown>;
}

export interface FlowJob {
  kind: 'flow';
  spec: FlowSpec;
  seed: number;
  capacity?: number;
  backend?: BackendChoice;
  /** Raw features n x D and context n x C (row-major); validation likewise. */
  X: Float32Array;
  m: Float32Array;
  Xval?: Float32Array;
  mval?: Float32Array;
  preprocess?: PreprocessOptions;
  /** A fitted preprocessing to use instead of fitting one on X. */
  preprocessor?: Preprocessor;
  fit: PlainFitOptions;
  extra?: Record<string, unknown>;
}

export type ParallelJob = NetworkJob | FlowJob;

/** What a worker receives (arrays in shared memory). */
export interface WorkerSetup {
  index: number;
  count: number;
  control: SharedArrayBuffer;
  job: ParallelJob;
  preprocessor?: Preprocessor;
  /** Flows: the first rows of X that are training rows (the rest validate). */
  flowTrainRows?: number;
}

export interface ParallelResult {
  model: SavedModel;
  result: FitResult;
}

function shared<T extends Float32Array | Uint32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const sab = new SharedArrayBuffer(a.byteLength);
  const out = new (a.constructor as new (b: SharedArrayBuffer) => T)(sab);
  out.set(a as never);
  return out;
}

/** Concatenate rows of two row-major arrays into shared memory. */
function joinShared(a: Float32Array, b: Float32Array | undefined): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer((a.length + (b?.length ?? 0)) * 4));
  out.set(a);
  if (b) out.set(b, a.length);
  return out;
}

/** Move a job's arrays into shared memory (flows: preprocessed once here, so every worker sees the same numbers). */
function prepare(job: ParallelJob): { job: ParallelJob; preprocessor?: Preprocessor; flowTrainRows?: number } {
  if (job.kind === 'network') {
    return {
      job: {
        ...job,
        x: shared(job.x),
        y: shared(job.y),
        w: job.w ? shared(job.w) : undefined,
        train: shared(job.train),
        val: job.val ? shared(job.val) : undefined,
      },
    };
  }
  const D = job.spec.features;
  const pre = job.preprocessor ?? fitPreprocessor(job.X, job.m, D, job.spec.context, job.preprocess);
  const z = preprocess(pre, job.X);
  const c = preprocessContext(pre, job.m);
  const zv = job.Xval ? preprocess(pre, job.Xval) : undefined;
  const cv = job.mval ? preprocessContext(pre, job.mval) : undefined;
  if (zv?.some((v) => !Number.isFinite(v)))
    throw new SidebandError('nn threads: a validation event lies outside the training range of a logit feature');
  return {
    job: { ...job, X: joinShared(z, zv), m: joinShared(c, cv), Xval: undefined, mval: undefined },
    preprocessor: pre,
    flowTrainRows: z.length / D,
  };
}

/**
 * Train on `threads` worker threads. threads = 1 still runs in a worker (off the caller's event loop); onEpoch
 * receives replica 0's reports.
 */
export function trainParallel(
  job: ParallelJob,
  threads: number,
  onEpoch?: (r: EpochReport) => void,
): Promise<ParallelResult> {
  if (!(Number.isInteger(threads) && threads >= 1))
    throw new SidebandError(`nn threads: thread count ${threads} must be a positive integer`);
  const { job: sj, preprocessor, flowTrainRows } = prepare(job);
  const control = new SharedArrayBuffer(controlBytes(threads));
  const workers: Worker[] = [];
  const heaps: (SharedArrayBuffer | ArrayBuffer | undefined)[] = Array(threads).fill(undefined);
  return new Promise<ParallelResult>((resolve, reject) => {
    let settled = false;
    let done = 0;
    let out: ParallelResult | undefined;
    const finish = (err?: Error) => {
      if (settled) return;
      if (err) {
        settled = true;
        for (const w of workers) void w.terminate();
        reject(err);
        return;
      }
      if (++done === threads) {
        settled = true;
        for (const w of workers) void w.terminate();
        resolve(out!);
      }
    };
    for (let t = 0; t < threads; t++) {
      const setup: WorkerSetup = { index: t, count: threads, control, job: sj, preprocessor, flowTrainRows };
      const w = new Worker(new URL('./nn-worker.js', import.meta.url), { workerData: setup });
      workers.push(w);
      w.on(
        'message',
        (msg: {
          type: string;
          heap?: SharedArrayBuffer;
          report?: EpochReport;
          model?: SavedModel;
          result?: FitResult;
          error?: string;
        }) => {
          if (msg.type === 'heap') {
            heaps[t] = msg.heap;
            if (heaps.every((h) => h !== undefined)) for (const x of workers) x.postMessage({ type: 'peers', heaps });
          } else if (msg.type === 'epoch' && t === 0) onEpoch?.(msg.report!);
          else if (msg.type === 'done') {
            if (t === 0) out = { model: msg.model!, result: msg.result! };
            finish();
          } else if (msg.type === 'error') finish(new SidebandError(`nn threads: worker ${t} failed: ${msg.error}`));
        },
      );
      w.on('error', (e) => finish(new SidebandError(`nn threads: worker ${t} crashed`, { cause: e })));
      w.on('exit', (code) => {
        if (!settled && code !== 0) finish(new SidebandError(`nn threads: worker ${t} exited with code ${code}`));
      });
    }
  });
}
