/**
 * analyse: run each requested window analysis off the stream (src/analysis/analyse-window.ts), scheduled by
 * boundedMerge: at most `concurrency` at once; up to `queue` intermediate requests wait, further intermediate
 * requests are skipped (logged and counted: a newer one for the same window will cover its events), and with
 * trigger.online a window's newest request takes the place of its older waiting one; end-of-stream
 * requests always run. An admitted request is fixed at once to the store's content at that moment (its snapshot is
 * taken from that prefix of the store when it starts), so its result depends only on the data and the seed;
 * whether an intermediate request finds room in the queue can depend on timing, the end-of-stream results never do. An analysis that fails becomes a result carrying the error; the stream goes on.
 */
import type { OperatorFunction } from 'rxjs';
import {
  analyseSnapshot,
  failedResult,
  type AnalysisPlan,
  type HistogramSelector,
  type HistogramStats,
  type Selection,
} from '../analysis/analyse-window.js';
import type { WindowResult } from '../events/result.js';
import type { WindowSnapshot } from '../events/snapshot.js';
import type { AnalysisAsOf, WindowBuffers } from '../regions/buffers.js';
import { windowSpan } from '../regions/scheme.js';
import { boundedMerge } from './bounded-merge.js';
import type { StageContext } from './context.js';
import type { AnalysisRequest } from './trigger.js';
import { OnlineWindow, type OnlineWindows } from '../analysis/online-window.js';

export function analyse(
  buffers: WindowBuffers,
  plan: AnalysisPlan,
  selectHistograms: HistogramSelector,
  stats: HistogramStats,
  ctx: StageContext,
  /** trigger.online: where each intermediate training leaves its ensemble for the `score` operator. */
  online?: OnlineWindows,
): OperatorFunction<AnalysisRequest, WindowResult> {
  let skipped = 0;
  let superseded = 0;
  const featureIndex = plan.features.map((f) => buffers.store.features.indexOf(f));
  const mjjIndex = buffers.store.features.indexOf('mjj');
  const unavailable = new Set<string>();
  const run = async (admitted: AnalysisAsOf): Promise<WindowResult[]> => {
    // The snapshot is taken when the analysis starts, of the store as it was when the analysis was admitted (the
    // store only grows): the result is the same as with a copy taken at admission, and waiting analyses hold none.
    const snap = buffers.snapshotOf(admitted, plan.features, plan.binning.range, plan.binning.width);
    ctx.observer.analysisStarted?.(snap.window.id, snap.trigger);
    ctx.observer.trainingStarted?.(plan.model);
    const t0 = performance.now();
    try {
      const schemeWp = buffers.windows.find((w) => w.id === snap.window.id)?.workingPoints;
      const edges = windowEdges(snap, plan.binning);
      const w = admitted.window;
      // The end-of-stream analysis keeps nothing: nothing arrives after it.
      const keep =
        online && snap.trigger !== 'end'
          ? (selections: Selection[], fitFrom: number | undefined, results: WindowResult[]) => {
              if (selections.some((s) => s.workingPoint !== null && !s.online)) {
                if (!unavailable.has(snap.window.id))
                  ctx.log(
                    `window ${snap.window.id}: no online scoring (it needs an HGB ensemble with atlas2024 folds)`,
                  );
                unavailable.add(snap.window.id);
                return;
              }
              const kept = online.offer(
                new OnlineWindow({
                  window: w,
                  header: snap,
                  storeEvents: admitted.storeEvents,
                  trainedSequence: admitted.sequence,
                  edges,
                  range: plan.binning.range ?? windowSpan(snap.window),
                  ...(fitFrom !== undefined ? { fitFrom } : {}),
                  selections,
                  results,
                  featureIndex,
                  mjjIndex,
                }),
              );
              if (kept) ctx.observer.modelTrained?.(snap.window.id);
            }
          : undefined;
      const results = await analyseSnapshot(
        snap,
        plan,
        edges,
        schemeWp ?? plan.workingPoints,
        selectHistograms,
        stats,
        keep,
        // Intermediate retrainings reuse the binning of the window's last ensemble; the end one starts from scratch.
        keep ? online?.mappers(w) : undefined,
      );
      if (!keep) ctx.observer.modelTrained?.(snap.window.id);
      if (admitted.arrivedAt !== undefined) for (const r of results) r.batchArrivedAt = admitted.arrivedAt;
      ctx.observer.trainingFinished?.(plan.model, (performance.now() - t0) / 1000);
      return results;
    } catch (e) {
      ctx.observer.trainingFailed?.(plan.model);
      ctx.log(`analysis of window ${snap.window.id} failed: ${(e as Error).message}`);
      return [failedResult(snap, plan, e as Error)];
    }
  };
  return boundedMerge<AnalysisRequest, AnalysisAsOf, WindowResult>({
    concurrency: plan.concurrency,
    queue: plan.queue,
    mustRun: (req) => req.trigger === 'end',
    accept: (req) => {
      const a = buffers.admit(req.window, req.trigger, req.sequence ?? 0, ctx.cutflow?.entries() ?? [], req.asOf);
      if (req.arrivedAt !== undefined && a.arrivedAt === undefined) a.arrivedAt = req.arrivedAt;
      return a;
    },
    run,
    onSkip: (req, waiting) => {
      skipped++;
      const id = buffers.windows[req.window]!.id;
      ctx.log(`window ${id}: ${req.trigger} analysis skipped, ${waiting} waiting (skipped so far: ${skipped})`);
    },
    onDepth: (n) => ctx.observer.queueDepth?.(n),
    // Near-online (trigger.online): a window's newest intermediate request replaces its older waiting one, so the
    // next retraining learns from the newest events (a signal that appeared while a training ran is in it) instead
    // of the store as it was when the older request was made.
    ...(online
      ? {
          supersedes: (req: AnalysisRequest, job: AnalysisAsOf) =>
            req.trigger !== 'end' && job.trigger !== 'end' && job.window === req.window,
          onSuperseded: (job: AnalysisAsOf) => {
            superseded++;
            buffers.withdraw(job);
            ctx.log(
              `window ${buffers.windows[job.window]!.id}: waiting ${job.trigger} analysis replaced by a newer one (so far: ${superseded})`,
            );
          },
        }
      : {}),
  });
}

/** Histogram edges of a window: the topology's fixed range, or the window's SB+SR span, in bins of `width`. */
export function windowEdges(snapshot: WindowSnapshot, binning: AnalysisPlan['binning']): Float64Array {
  const [lo, hi] = binning.range ?? windowSpan(snapshot.window);
  const nb = Math.max(1, Math.round((hi - lo) / binning.width));
  return Float64Array.from({ length: nb + 1 }, (_, i) => lo + ((hi - lo) * i) / nb);
}
