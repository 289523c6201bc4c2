/**
 * abcd: a tail search's stage after select (seed 004, CONRAD). Routes the selected events into the window buffers
 * with the tail feature as the window coordinate (the single window: SR = the tail, SB = the region below it) and,
 * at end of stream, analyses the window once (src/analysis/conrad-window.ts): the flow learns the control sample,
 * the classifier and the ABCD estimate run on the data, one result per false-positive-rate working point. A
 * tail search needs every event before it can train, so there are no intermediate analyses. The analysis runs in
 * this process after the stream has ended (nothing is left to ingest); a failure becomes a result carrying the
 * error, never a thrown stream.
 */
import type { OperatorFunction } from 'rxjs';
import { analyseTail, type ConradPlan } from '../analysis/conrad-window.js';
import { selectedIndices, type EventBatch } from '../events/batch.js';
import { SidebandError } from '../events/errors.js';
import { resultKey, type WindowResult } from '../events/result.js';
import type { WindowBuffers } from '../regions/buffers.js';
import type { StageContext } from './context.js';
import { operate, operatorObserver } from './operate.js';

export function abcd(
  buffers: WindowBuffers,
  plan: ConradPlan,
  ctx: StageContext,
): OperatorFunction<EventBatch, WindowResult> {
  const tail = plan.block.tailFeature;
  const stored = [...plan.features, plan.block.control.column];
  return operate<EventBatch, WindowResult>((source, subscriber) =>
    source.subscribe(
      operatorObserver<EventBatch>(subscriber, {
        next: (batch) => {
          if (batch.length === 0) return;
          const m = batch.columns[tail];
          if (!m) throw new SidebandError(`abcd: batch has no tail feature column '${tail}'`);
          // The buffers' window coordinate is the tail feature: an alias, not a copy.
          const columns = { ...batch.columns, mjj: m };
          ctx.counters.stored += buffers.route(columns, selectedIndices(batch), batch.weight, batch.label);
          for (const role of ['sr', 'sb_low'] as const)
            ctx.observer.bufferEvents?.(buffers.windows[0]!.id, role, buffers.count(0, role));
        },
        complete: () => {
          const snap = buffers.snapshot(0, 'end', ctx.cutflow?.entries() ?? [], stored);
          const id = snap.window.id;
          ctx.observer.analysisStarted?.(id, 'end');
          ctx.observer.trainingStarted?.('conrad');
          const t0 = performance.now();
          let results: WindowResult[];
          try {
            results = analyseTail(snap, plan);
          } catch (e) {
            const message = (e as Error).message;
            results = [
              {
                runId: plan.runId,
                topology: plan.topology,
                window: snap.window,
                workingPoint: null,
                trigger: 'end',
                cutflow: snap.cutflow,
                counts: snap.counts,
                error: message,
                valid: false,
                invalid: [{ reason: /too few/.test(message) ? 'too_few_events' : 'analysis_failed', detail: message }],
                key: resultKey(plan.runId, id, 'failed', 'end', undefined),
                createdAt: new Date().toISOString(),
              },
            ];
          }
          ctx.observer.trainingFinished?.('conrad', (performance.now() - t0) / 1000);
          for (const r of results) subscriber.next(r);
          subscriber.complete();
        },
      }),
    ),
  );
}
