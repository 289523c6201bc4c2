/**
 * trigger: after each routed batch, request an analysis for every window whose SR crossed the first threshold or
 * grew by the configured factor or count; at end of stream, request a final analysis of every window. Emits
 * requests only: the stream never waits for an analysis. Buffer fill levels go to the observer after each batch.
 */
import type { OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import type { AnalysisAsOf, TriggerPolicy, WindowBuffers } from '../regions/buffers.js';
import type { StageContext } from './context.js';
import { operate, operatorObserver } from './operate.js';

export interface AnalysisRequest {
  window: number;
  trigger: 'threshold' | 'growth' | 'end';
  /** The request's number among its window's requests (WindowBuffers.nextSequence); names its results. */
  sequence?: number;
  /** A request restored from a checkpoint: the state it was made on (absent: now). */
  asOf?: AnalysisAsOf;
}

export function trigger(
  buffers: WindowBuffers,
  policy: TriggerPolicy,
  ctx: StageContext,
): OperatorFunction<EventBatch, AnalysisRequest> {
  const publishFill = () =>
    buffers.windows.forEach((w, i) => {
      for (const role of ['sr', 'sb_low', 'sb_high'] as const)
        ctx.observer.bufferEvents?.(w.id, role, buffers.count(i, role));
    });
  return operate<EventBatch, AnalysisRequest>((source, subscriber) =>
    source.subscribe(
      operatorObserver<EventBatch>(subscriber, {
        next: () => {
          publishFill();
          for (const d of buffers.due(policy)) subscriber.next({ ...d, sequence: buffers.nextSequence(d.window) });
        },
        complete: () => {
          publishFill();
          for (let w = 0; w < buffers.windows.length; w++)
            subscriber.next({ window: w, trigger: 'end', sequence: buffers.nextSequence(w) });
          subscriber.complete();
        },
      }),
    ),
  );
}
