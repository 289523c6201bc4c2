/**
 * Worker-thread entry of the parallel ingest: runs the ingest stages (decode/validate, derive, select) on the raw
 * batches it is sent and answers with only what the window buffers need — the selected events' stored columns,
 * compacted — plus the counts, cut flow and dead letters of the batch, so that the main thread's totals add up
 * exactly as in a single-threaded run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { of } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import { CutFlow } from '../events/cuts.js';
import { gather } from '../events/decode.js';
import { RunCounters, type DeadLetter } from '../events/observer.js';
import { ingestStages, type IngestPlan } from '../topology/ingest.js';
import type { IngestReply } from './parallel-ingest.js';

const plan = (workerData as { plan: IngestPlan }).plan;

parentPort!.on('message', (msg: { id: number; batch: EventBatch }) => {
  try {
    const counters = new RunCounters();
    const cutflow = new CutFlow(plan.cuts);
    const deadLetters: DeadLetter[] = [];
    const selectedByCut = new Map<string, number>();
    let out: EventBatch | undefined;
    of(msg.batch).pipe(ingestStages(plan, {
      counters, cutflow, log: () => {},
      deadLetter: (d) => deadLetters.push(d),
      observer: { eventsSelected: (cut, n) => selectedByCut.set(cut, (selectedByCut.get(cut) ?? 0) + n) },
    })).subscribe((b) => { out = b; });
    const b = out!;
    const idx = b.selection ?? Uint32Array.from({ length: b.length }, (_, i) => i);
    const columns: Record<string, Float32Array> = {};
    if (b.length > 0) for (const f of plan.stored) columns[f] = gather(b.columns[f]!, idx);
    const label = b.label && Uint8Array.from(idx, (i) => b.label![i]!);
    const weight = b.weight && gather(b.weight, idx);
    const reply: IngestReply = {
      id: msg.id,
      n: b.length > 0 ? idx.length : 0,
      columns, label, weight,
      positions: msg.batch.positions,
      rowOffset: msg.batch.rowOffset,
      read: counters.read, accepted: counters.accepted, selected: counters.selected,
      rejected: [...counters.rejectedByReason],
      cutflow: cutflow.entries().map((e) => e.pass),
      selectedByCut: [...selectedByCut],
      deadLetters,
    };
    const arrays: Array<Float32Array | Uint8Array | undefined> = [...Object.values(columns), label, weight];
    const transfer = arrays.flatMap((x) => (x ? [x.buffer as ArrayBuffer] : []));
    parentPort!.postMessage(reply, transfer);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
