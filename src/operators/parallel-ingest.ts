import { Worker } from 'node:worker_threads';
import type { EventBatch, SourcePosition } from '../events/batch.js';
import type { DeadLetter } from '../events/observer.js';
import type { IngestPlan } from '../topology/ingest.js';
import type { StageContext } from './context.js';

/** What a worker answers for one batch (see ingest-worker.ts). */
export interface IngestReply {
  id: number;
  n: number;
  columns: Record<string, Float32Array>;
  label?: Uint8Array;
  weight?: Float32Array;
  positions: SourcePosition[];
  rowOffset?: number;
  read: number;
  accepted: number;
  selected: number;
  rejected: Array<[string, number]>;
  cutflow: number[];
  selectedByCut: Array<[string, number]>;
  deadLetters: DeadLetter[];
  error?: string;
}

/**
 * parallel ingest: decode/validate, derive and select on `workers` threads, the batches' results taken back in
 * source order, so counts, cut flow, dead letters and buffer contents are exactly those of a single-threaded run.
 * At most two batches per worker are in flight (bounded memory; the source is read ahead that far). The main
 * thread keeps reading, routing and training.
 */
export async function* parallelIngest(source: AsyncIterable<EventBatch>, plan: IngestPlan, workers: number, ctx: StageContext): AsyncIterable<EventBatch> {
  const pool = Array.from({ length: workers }, () => new Worker(new URL('./ingest-worker.js', import.meta.url), { workerData: { plan } }));
  const waiting = new Map<number, { resolve: (r: IngestReply) => void; reject: (e: Error) => void }>();
  for (const w of pool) {
    w.on('message', (r: IngestReply) => {
      const p = waiting.get(r.id);
      waiting.delete(r.id);
      if (r.error) p?.reject(new Error(`ingest worker: ${r.error}`)); else p?.resolve(r);
    });
    w.on('error', (e) => { for (const p of waiting.values()) p.reject(e); waiting.clear(); });
  }
  const inFlight: Array<Promise<IngestReply>> = [];
  let id = 0;
  const take = async (): Promise<EventBatch> => apply(await inFlight.shift()!, ctx);
  try {
    for await (const raw of source) {
      const reply = new Promise<IngestReply>((resolve, reject) => waiting.set(id, { resolve, reject }));
      reply.catch(() => {}); // handled when taken, in order
      pool[id % workers]!.postMessage({ id, batch: raw });
      id++;
      inFlight.push(reply);
      if (inFlight.length >= 2 * workers) yield await take();
    }
    while (inFlight.length) yield await take();
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/** Book a worker's counts on the main thread's context, in source order, and rebuild the selected batch. */
function apply(r: IngestReply, ctx: StageContext): EventBatch {
  const c = ctx.counters;
  c.read += r.read;
  c.accepted += r.accepted;
  c.selected += r.selected;
  ctx.observer.eventsRead?.(r.read);
  ctx.observer.eventsAccepted?.(r.accepted);
  for (const [reason, n] of r.rejected) {
    c.reject(reason, n);
    ctx.observer.eventsRejected?.(reason, n);
  }
  if (ctx.cutflow) {
    ctx.cutflow.enter(r.cutflow[0]!);
    ctx.cutflow.add(r.cutflow.slice(1));
  }
  for (const [cut, n] of r.selectedByCut) ctx.observer.eventsSelected?.(cut, n);
  for (const d of r.deadLetters) ctx.deadLetter(d);
  return { length: r.n, columns: r.columns, label: r.label, weight: r.weight, positions: r.positions, rowOffset: r.rowOffset };
}
