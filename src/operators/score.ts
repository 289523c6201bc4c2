/**
 * score: near-online triggering between retrainings (`trigger.online`). After each routed batch, every window that
 * holds an ensemble from an intermediate training (analysis/online-window.ts) scores the events stored since it
 * last looked, adds their selection to its histograms and refits, and emits one WindowResult per working point
 * with trigger 'online': Z and alerts move with every batch, not only when a retraining finishes. A window scores
 * all events since its training snapshot the first time (those that arrived while it trained), then each batch's.
 *
 * Cost per batch: one copy of the batch's stored events, one pass of each window's ensemble over its new events,
 * and one fit per working point of the windows that received at least `minEvents` new events since their last
 * online result. Scoring time per batch goes to the observer (sideband_online_scoring_seconds).
 */
import type { OperatorFunction } from 'rxjs';
import type { AnalysisPlan, HistogramStats } from '../analysis/analyse-window.js';
import type { OnlineWindows } from '../analysis/online-window.js';
import type { EventBatch } from '../events/batch.js';
import { resultKey, type WindowResult } from '../events/result.js';
import type { StoredEvents } from '../events/store.js';
import type { WindowBuffers } from '../regions/buffers.js';
import type { StageContext } from './context.js';
import { operate, operatorObserver } from './operate.js';

export interface ScoreOptions {
  /** New window events needed before a window refits and emits (default 1: every batch that brings any). */
  minEvents?: number;
  /** Arrival time (Unix ms) of the batch being handled, as the run's clock saw it leave the source; default now. */
  arrivedAt?: () => number;
}

export function score(
  buffers: WindowBuffers,
  online: OnlineWindows,
  plan: AnalysisPlan,
  stats: HistogramStats,
  ctx: StageContext,
  opts: ScoreOptions = {},
): OperatorFunction<EventBatch, WindowResult> {
  const minEvents = Math.max(1, opts.minEvents ?? 1);
  const arrival = opts.arrivedAt ?? Date.now;
  const store = buffers.store;
  const sequences = new Map<number, number>();
  let seen = 0;
  return operate<EventBatch, WindowResult>((source, subscriber) =>
    source.subscribe(
      operatorObserver<EventBatch>(subscriber, {
        next: () => {
          const arrivedAt = arrival();
          const size = store.size;
          const from = seen;
          seen = size;
          const windows = online.all();
          if (windows.length === 0) return;
          const t0 = performance.now();
          // The batch's stored events, copied once for every window that is up to date; a window trained on an
          // older prefix first catches up on what arrived while it trained.
          let batchEvents: StoredEvents | undefined;
          let scored = 0;
          const out: WindowResult[] = [];
          for (const ow of windows) {
            if (ow.cursor < from) scored += ow.update(store.events(ow.cursor, from), ow.cursor);
            if (size > from) {
              batchEvents ??= store.events(from, size);
              scored += ow.update(batchEvents, from);
            }
            if (ow.pending < minEvents) continue;
            const w = buffers.windows[ow.window]!;
            const sequence = sequences.get(ow.window) ?? 0;
            sequences.set(ow.window, sequence + 1);
            const header = {
              window: { id: w.id, sr: w.sr, sb: w.sb },
              trigger: 'online' as const,
              sequence,
              cutflow: ctx.cutflow?.entries() ?? [],
              counts: {
                sr: buffers.count(ow.window, 'sr'),
                sbLow: buffers.count(ow.window, 'sb_low'),
                sbHigh: buffers.count(ow.window, 'sb_high'),
              },
              batchArrivedAt: arrivedAt,
            };
            for (const r of ow.results(plan, stats, header)) {
              r.key = resultKey(plan.runId, w.id, r.workingPoint, 'online', sequence);
              out.push(r);
            }
          }
          if (scored > 0) ctx.observer.onlineScored?.(scored, (performance.now() - t0) / 1000);
          for (const r of out) subscriber.next(r);
        },
      }),
    ),
  );
}
