import { Observable, type OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import type { TriggerPolicy, WindowBuffers } from '../regions/buffers.js';
import type { StageContext } from './context.js';

export interface AnalysisRequest {
  window: number;
  trigger: 'threshold' | 'growth' | 'end';
}

/**
 * trigger: after each routed batch, request an analysis for every window whose SR crossed the first threshold or
 * grew by the configured factor or count; at end of stream, request a final analysis of every window. Emits
 * requests only: the stream never waits for an analysis.
 */
export function trigger(buffers: WindowBuffers, policy: TriggerPolicy, ctx: StageContext): OperatorFunction<EventBatch, AnalysisRequest> {
  return (source) => new Observable<AnalysisRequest>((sub) => {
    const publishFill = () => buffers.windows.forEach((w, i) => {
      for (const role of ['sr', 'sb_low', 'sb_high'] as const) ctx.observer.bufferEvents?.(w.id, role, buffers.count(i, role));
    });
    return source.subscribe({
      next: () => {
        publishFill();
        for (const d of buffers.due(policy)) sub.next(d);
      },
      error: (e) => sub.error(e),
      complete: () => {
        publishFill();
        for (let w = 0; w < buffers.windows.length; w++) sub.next({ window: w, trigger: 'end' });
        sub.complete();
      },
    });
  });
}
