/**
 * trigger: after each routed batch, request an analysis for every window whose SR crossed the first threshold or
 * grew by the configured factor or count, or (with `every`) whose last analysis is that many seconds old and whose
 * SR has grown since; at end of stream, request a final analysis of every window. Emits requests only: the stream
 * never waits for an analysis. Buffer fill levels go to the observer after each batch.
 *
 * Retraining by time bounds how stale a window's model gets on a slow stream, where growth by a factor can take
 * hours; which batch crosses the time is a matter of the clock, so such intermediate results (like skipped ones)
 * can differ between runs, while the end-of-stream results never do.
 */
import type { OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import type { AnalysisAsOf, TriggerPolicy, WindowBuffers } from '../regions/buffers.js';
import type { StageContext } from './context.js';
import { operate, operatorObserver } from './operate.js';

export interface AnalysisRequest {
  window: number;
  trigger: 'threshold' | 'growth' | 'time' | 'end';
  /** The request's number among its window's requests (WindowBuffers.nextSequence); names its results. */
  sequence?: number;
  /** A request restored from a checkpoint: the state it was made on (absent: now). */
  asOf?: AnalysisAsOf;
  /** Arrival time (Unix ms) of the batch after which the request was made (alert latency). */
  arrivedAt?: number;
}

export function trigger(
  buffers: WindowBuffers,
  policy: TriggerPolicy,
  ctx: StageContext,
  /** Arrival time (Unix ms) of the batch being handled (the run's clock); absent: requests carry none. */
  arrivedAt?: () => number,
): OperatorFunction<EventBatch, AnalysisRequest> {
  const publishFill = () =>
    buffers.windows.forEach((w, i) => {
      for (const role of ['sr', 'sb_low', 'sb_high'] as const)
        ctx.observer.bufferEvents?.(w.id, role, buffers.count(i, role));
    });
  const lastAt = buffers.windows.map(() => Number.NaN);
  return operate<EventBatch, AnalysisRequest>((source, subscriber) =>
    source.subscribe(
      operatorObserver<EventBatch>(subscriber, {
        next: () => {
          publishFill();
          const at = arrivedAt?.();
          const now = at ?? Date.now();
          const due: Array<{ window: number; trigger: AnalysisRequest['trigger'] }> = buffers.due(policy);
          if (policy.every !== undefined) {
            const dueNow = new Set(due.map((d) => d.window));
            for (let w = 0; w < lastAt.length; w++) {
              if (dueNow.has(w) || !(now - lastAt[w]! >= policy.every * 1000)) continue;
              if (buffers.takeGrowth(w)) due.push({ window: w, trigger: 'time' });
            }
          }
          for (const d of due) {
            lastAt[d.window] = now;
            const sequence = buffers.nextSequence(d.window);
            subscriber.next({ ...d, sequence, ...(at !== undefined ? { arrivedAt: at } : {}) });
          }
        },
        complete: () => {
          publishFill();
          const at = arrivedAt?.();
          for (let w = 0; w < buffers.windows.length; w++)
            subscriber.next({
              window: w,
              trigger: 'end',
              sequence: buffers.nextSequence(w),
              ...(at !== undefined ? { arrivedAt: at } : {}),
            });
          subscriber.complete();
        },
      }),
    ),
  );
}
