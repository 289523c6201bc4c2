/**
 * Parallel Parquet ingest: worker threads own row groups — each reads, decodes, validates, derives and selects the
 * row groups it is given (src/training/ingest-worker.ts) — and hand back the selected events in shared memory with
 * the row group's tally. The run's thread takes them in file and row-group order, whatever order the workers
 * finish in, so counts, dead letters, the cut flow and the window store are those of the single-threaded path
 * (src/operators/ingest.ts adds the tallies; test/training/ingest-workers.test.ts compares the two).
 *
 * Why this shape: cloning whole decoded batches between threads cost more than the second core gained (measured
 * earlier). Here nothing decoded crosses threads but the selected events' stored columns, in a SharedArrayBuffer
 * (no copy on postMessage), a fifth of the events and a fraction of the columns.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InputError, SourceError } from '../events/errors.js';
import type { IngestedBatch, IngestPlan } from '../events/ingest.js';
import { parquetRowGroups, type ParquetSourceOptions, type RowGroupTask } from '../sources/parquet.js';
import { unpackBatch, type IngestReply, type IngestTask, type IngestWorkerData } from './ingest-protocol.js';

/** Row groups in flight per worker: one being ingested, one waiting, so a worker never idles on the run's thread. */
const IN_FLIGHT_PER_WORKER = 2;

/** The default thread count: the machine's available cores. */
export function defaultIngestThreads(): number {
  return availableParallelism();
}

interface Pending {
  resolve(r: IngestReply): void;
  reject(e: Error): void;
  worker: number;
}

export class IngestWorkers {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[];
  private seq = 0;
  private failure?: Error;

  constructor(
    readonly threads: number,
    plan: IngestPlan,
    source: Pick<ParquetSourceOptions, 'columns' | 'maxRowGroupBytes'>,
  ) {
    if (!(Number.isInteger(threads) && threads >= 1))
      throw new SourceError(`parquet: threads must be a positive integer (got ${threads})`);
    const data: IngestWorkerData = { plan, columns: source.columns, maxRowGroupBytes: source.maxRowGroupBytes };
    this.load = new Array(threads).fill(0);
    for (let t = 0; t < threads; t++) {
      const w = new Worker(new URL('./ingest-worker.js', import.meta.url), { workerData: data });
      w.on('message', (r: IngestReply) => {
        const p = this.pending.get(r.seq);
        if (!p) return;
        this.pending.delete(r.seq);
        if (--this.load[p.worker]! === 0) w.unref();
        p.resolve(r);
      });
      const fail = (e: Error) => {
        this.failure ??= new SourceError(`parquet: ingest worker ${t} failed: ${e.message}`, { cause: e });
        for (const [seq, p] of this.pending) {
          if (p.worker !== t) continue;
          this.pending.delete(seq);
          p.reject(this.failure);
        }
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (code !== 0 || this.pending.size) fail(new Error(`exited with code ${code}`));
      });
      // An idle pool never keeps the process alive; a worker with row groups in flight does (the run's thread only
      // awaits its replies, so nothing else would).
      w.unref();
      this.workers.push(w);
    }
  }

  private submit(file: string, rowGroup: number): Promise<IngestReply> {
    if (this.failure) return Promise.reject(this.failure);
    let worker = 0;
    for (let t = 1; t < this.threads; t++) if (this.load[t]! < this.load[worker]!) worker = t;
    const task: IngestTask = { seq: this.seq++, file, rowGroup };
    return new Promise<IngestReply>((resolve, reject) => {
      this.pending.set(task.seq, { resolve, reject, worker });
      if (this.load[worker]!++ === 0) this.workers[worker]!.ref();
      this.workers[worker]!.postMessage(task);
    });
  }

  /**
   * The Parquet source's batches, ingested: every row group's selected events with its tally, in file and
   * row-group order. Losses (a file or row group that cannot be read) go to `source.onFileError` in their place
   * in that order, as the single-threaded reader reports them.
   */
  async *ingest(source: ParquetSourceOptions, signal?: AbortSignal): AsyncIterable<IngestedBatch> {
    const window: Array<{ task: RowGroupTask; reply?: Promise<IngestReply> }> = [];
    const limit = this.threads * IN_FLIGHT_PER_WORKER;
    const tasks = parquetRowGroups(source, signal)[Symbol.asyncIterator]();
    let done = false;
    try {
      while (true) {
        while (!done && window.filter((w) => w.reply).length < limit) {
          const next = await tasks.next();
          if (next.done) {
            done = true;
            break;
          }
          const t = next.value;
          const reply = t.kind === 'rowGroup' ? this.submit(t.file, t.rowGroup) : undefined;
          // A rejected reply is awaited in order below; until then it must not count as unhandled.
          reply?.catch(() => {});
          window.push({ task: t, reply });
        }
        const head = window.shift();
        if (!head) return;
        if (signal?.aborted) return;
        if (head.task.kind === 'lost') {
          if (!source.onFileError) throw head.task.error;
          source.onFileError(head.task.error, head.task.rowsLost);
          continue;
        }
        const r = await head.reply!;
        if ('lost' in r) {
          const err = new InputError(r.lost.message, r.lost.location, { reason: r.lost.reason });
          if (!source.onFileError) throw err;
          source.onFileError(err, head.task.rows);
          continue;
        }
        yield { ...unpackBatch(r.batch), tally: r.tally };
      }
    } finally {
      await tasks.return?.();
      // Replies still in flight are dropped (the workers finish them and the answers find no one waiting).
      for (const w of window) w.reply?.catch(() => {});
    }
  }

  async close(): Promise<void> {
    // Each worker closes its file and ends; one that does not within a second is terminated.
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.terminate().then(() => resolve()), 1000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.postMessage('close');
          }),
      ),
    );
  }
}
