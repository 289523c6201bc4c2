import { map, type OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import { applyCuts, type Cut } from '../events/cuts.js';
import type { StageContext } from './context.js';

/**
 * select: apply cuts as a narrowing index list (no row copies) and add to the run's cut flow. A topology's cut list
 * may be split over two select stages (before and after the derived features); `offset` is this stage's first cut
 * in the full list; the `first` stage counts the events entering, the `last` the events selected.
 */
export function select(
  cuts: Cut[],
  ctx: StageContext,
  where: { offset: number; first: boolean; last: boolean } = { offset: 0, first: true, last: true },
): OperatorFunction<EventBatch, EventBatch> {
  return map((batch) => {
    if (batch.length === 0) return batch;
    if (where.first) ctx.cutflow?.enter(batch.selection ? batch.selection.length : batch.length);
    const passed = applyCuts(batch, cuts);
    ctx.cutflow?.add(passed, where.offset);
    cuts.forEach((c, i) => {
      ctx.observer.eventsSelected?.(c.name, passed[i]!);
    });
    if (where.last) ctx.counters.selected += batch.selection!.length;
    return batch;
  });
}
