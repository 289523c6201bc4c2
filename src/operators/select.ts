import { map, type OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import { applyCuts, type Cut } from '../events/cuts.js';
import type { StageContext } from './context.js';

/** select: apply the cut list as a narrowing index list (no row copies) and add to the run's cut flow. */
export function select(cuts: Cut[], ctx: StageContext): OperatorFunction<EventBatch, EventBatch> {
  return map((batch) => {
    if (batch.length === 0) return batch;
    const before = batch.selection ? batch.selection.length : batch.length;
    const passed = applyCuts(batch, cuts);
    ctx.cutflow?.add(before, passed);
    cuts.forEach((c, i) => ctx.observer.eventsSelected?.(c.name, passed[i]!));
    ctx.counters.selected += batch.selection!.length;
    return batch;
  });
}
