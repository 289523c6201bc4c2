import { map, type OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import { selectedIndices } from '../events/batch.js';
import type { WindowBuffers } from '../regions/buffers.js';
import type { StageContext } from './context.js';

/** route: selected events into the window buffers (one shared store; windows are mjj views over it). */
export function route(buffers: WindowBuffers, ctx: StageContext): OperatorFunction<EventBatch, EventBatch> {
  return map((batch) => {
    if (batch.length === 0) return batch;
    ctx.counters.stored += buffers.route(batch.columns, selectedIndices(batch), batch.weight, batch.label);
    return batch;
  });
}
