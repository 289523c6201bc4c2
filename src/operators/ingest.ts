import { map, type OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import { ingestBatch, type IngestedBatch, type IngestPlan, type IngestTally } from '../events/ingest.js';
import type { StageContext } from './context.js';

/**
 * ingest: decode/validate → derive → select of one batch in one call (src/events/ingest.ts), then its tally added to
 * the run: read = accepted + rejected, dead letters, the cut flow, the selected count. With `ingested` the batches
 * arrive ingested already (worker threads, src/training/ingest-workers.ts) and only their tallies are added, in
 * arrival order, so both ways give the same counts, dead letters and observer calls.
 */
export function ingest(
  plan: IngestPlan,
  ctx: StageContext,
  opts: { onDecoded?: (b: EventBatch) => void; ingested?: boolean } = {},
): OperatorFunction<EventBatch, EventBatch> {
  const cutNames = plan.cuts.map((c) => c.name);
  return map((raw) => {
    if (opts.ingested) {
      const { tally, ...batch } = raw as IngestedBatch;
      addTally(tally, cutNames, ctx);
      return batch;
    }
    const { batch, tally } = ingestBatch(raw, plan, opts.onDecoded);
    addTally(tally, cutNames, ctx);
    return batch;
  });
}

function addTally(t: IngestTally, cutNames: string[], ctx: StageContext): void {
  ctx.counters.read += t.read;
  ctx.counters.accepted += t.accepted;
  ctx.observer.eventsRead?.(t.read);
  ctx.observer.eventsAccepted?.(t.accepted);
  for (const [reason, n] of t.rejected) {
    ctx.counters.reject(reason, n);
    ctx.observer.eventsRejected?.(reason, n);
  }
  for (const d of t.deadLetters) ctx.deadLetter(d);
  if (t.entered === undefined) return;
  ctx.cutflow?.enter(t.entered);
  ctx.cutflow?.add(t.passed, 0);
  t.passed.forEach((n, i) => {
    ctx.observer.eventsSelected?.(cutNames[i]!, n);
  });
  ctx.counters.selected += t.selected;
}
