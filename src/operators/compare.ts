/**
 * compare: seed 003's comparison stage (topology `compare:`), after route, in place of trigger + analyse. At end
 * of stream, per compared window and per injected amount k of the
 * signal model: adds the first k generated signal events that pass the cuts to the window's events, retrains
 * and selects with every method at the comparison's working point (a weakly supervised selection learns from what
 * it is given, so it is retrained per amount, as seed 003 sets its limits), and fits the selected spectrum twice:
 * the sideband fit of the stream (analyse-window.ts) and the signal + background fit with the double crystal ball
 * at the signal's shape (analysis/cms/compare.ts). At the largest amount it also records how alike the methods'
 * SR selections are. Every (window, method, amount) is one result; a failure becomes a result carrying the error.
 * The analysis runs in this process after the stream has ended (nothing is left to ingest).
 */
import type { OperatorFunction } from 'rxjs';
import {
  analyseSelection,
  failedResult,
  fitFloor,
  type AnalysisPlan,
  type HistogramSelector,
  type HistogramStats,
  type Selection,
} from '../analysis/analyse-window.js';
import { selectedHistogram } from '../analysis/cms/jets.js';
import {
  compareSignalFit,
  selectionCorrelation,
  withFeatures,
  withInjectedSignal,
  type SignalPool,
} from '../analysis/cms/compare.js';
import type { EventBatch } from '../events/batch.js';
import type { Cut } from '../events/cuts.js';
import type { ComparisonResult, WindowResult } from '../events/result.js';
import type { WindowSnapshot } from '../events/snapshot.js';
import type { WindowBuffers } from '../regions/buffers.js';
import { windowSpan } from '../regions/scheme.js';
import { dcbFromSample } from '../stats/crystal-ball.js';
import { windowEdges } from './analyse.js';
import type { StageContext } from './context.js';
import { operate, operatorObserver } from './operate.js';

export interface CompareStageMethod {
  name: string;
  features?: string[];
  select: HistogramSelector;
}

export interface CompareStagePlan {
  amounts: number[];
  workingPoint: number;
  windows?: string[];
  functions?: string[];
  /** The generated signal (all of max(amounts) events, through the cuts), made once when the stream ends. */
  signal: () => SignalPool;
  /**
   * With a control region: put the control-region share of the first `amount` generated signal events into it
   * (0 takes them out); returns how many.
   */
  injectControl?: (amount: number) => number;
}

/** A cut-based selection over the snapshot's columns (the simple-cut baseline): every feature within bounds. */
export function cutSelector(cuts: Cut[], label: string): HistogramSelector {
  return async (snap, edges) => {
    const pick = new Uint8Array(snap.n).fill(1);
    for (const c of cuts)
      for (const f of c.features) {
        const j = snap.features.indexOf(f);
        if (j < 0) throw new RangeError(`cut '${c.name}': feature '${f}' is not stored`);
        const col = snap.columns[j]!;
        const lo = c.min ?? -Infinity,
          hi = c.max ?? Infinity;
        for (let i = 0; i < snap.n; i++) {
          const v = c.abs ? Math.abs(col[i]!) : col[i]!;
          if (!(v >= lo && v <= hi)) pick[i] = 0;
        }
      }
    const selection: Selection = {
      workingPoint: null,
      histogram: selectedHistogram(snap.mjj, pick, edges, snap.label),
      pick,
      model: { background: 'none', classifier: label, ensemble: 1, folds: 1, seeds: [], trainSeconds: 0 },
    };
    return [selection];
  };
}

export function compare(
  buffers: WindowBuffers,
  plan: AnalysisPlan,
  stage: CompareStagePlan,
  methods: CompareStageMethod[],
  stats: HistogramStats,
  ctx: StageContext,
): OperatorFunction<EventBatch, WindowResult> {
  const windows = buffers.windows
    .map((w, k) => ({ w, k }))
    .filter(({ w }) => !stage.windows || stage.windows.includes(w.id));
  const run = async (): Promise<WindowResult[]> => {
    const pool = stage.signal();
    ctx.log(`compare: ${pool.n} of ${Math.max(...stage.amounts)} generated signal events pass the cuts`);
    const out: WindowResult[] = [];
    for (const { w, k } of windows) {
      const base = buffers.snapshot(
        k,
        'end',
        ctx.cutflow?.entries() ?? [],
        plan.features,
        plan.binning.range,
        plan.binning.width,
      );
      const span = plan.binning.range ?? windowSpan(w);
      const edges = windowEdges(base, plan.binning);
      const fitFrom = fitFloor(base);
      const inSpan: number[] = [];
      for (let i = 0; i < pool.n; i++) if (pool.mjj[i]! >= span[0] && pool.mjj[i]! < span[1]) inSpan.push(pool.mjj[i]!);
      const shape = dcbFromSample(inSpan);
      const [lo, hi] = w.sr;
      let srBackground = 0;
      for (let i = 0; i < base.n; i++) if (base.mjj[i]! >= lo && base.mjj[i]! < hi && !base.label?.[i]) srBackground++;
      const last = stage.amounts[stage.amounts.length - 1]!;
      for (const amount of stage.amounts) {
        const snap = withInjectedSignal(base, pool, amount, span);
        const injectedInControl = stage.injectControl?.(amount);
        let injectedInSr = 0;
        for (let i = base.n; i < snap.n; i++) if (snap.mjj[i]! >= lo && snap.mjj[i]! < hi) injectedInSr++;
        const picks = new Map<string, Uint8Array>();
        const byMethod = new Map<string, WindowResult>();
        for (const m of methods) {
          const t0 = performance.now();
          ctx.observer.trainingStarted?.(m.name);
          let r: WindowResult;
          try {
            const sels = await m.select(withFeatures(snap, m.features), edges, [stage.workingPoint]);
            const sel = sels.find((s) => s.workingPoint === null || s.workingPoint === stage.workingPoint) ?? sels[0]!;
            r = analyseSelection(snap, plan, edges, sel, fitFrom, stats);
            if (sel.pick) picks.set(m.name, sel.pick);
            const comparison: ComparisonResult = {
              method: m.name,
              injected: amount,
              injectedInSr,
              ...(injectedInControl !== undefined ? { injectedInControl } : {}),
              sOverSqrtB: srBackground > 0 ? injectedInSr / Math.sqrt(srBackground) : 0,
              signalFit: compareSignalFit(sel.histogram, shape, {
                sqrtS: plan.fit.sqrtS,
                ...(stage.functions ? { functions: stage.functions } : {}),
                ...(fitFrom !== undefined ? { fitFrom } : {}),
              }),
              shape,
            };
            // The limit by injection: what the selection kept of the injected signal, and the upper limit on a
            // signal in the stream's own events selected by this same training.
            const pick = sel.pick ?? new Uint8Array(snap.n).fill(1);
            const dataPick = pick.slice();
            dataPick.fill(0, base.n);
            let kept = 0;
            for (let i = base.n; i < snap.n; i++)
              if (pick[i] && snap.mjj[i]! >= edges[0]! && snap.mjj[i]! < edges[edges.length - 1]!) kept++;
            const dataFit =
              amount === 0
                ? comparison.signalFit
                : compareSignalFit(selectedHistogram(snap.mjj, dataPick, edges), shape, {
                    sqrtS: plan.fit.sqrtS,
                    ...(stage.functions ? { functions: stage.functions } : {}),
                    ...(fitFrom !== undefined ? { fitFrom } : {}),
                  });
            comparison.limit = {
              keptSignal: kept,
              dataUpperLimit:
                dataFit.valid && dataFit.upperLimit !== undefined && Number.isFinite(dataFit.upperLimit)
                  ? dataFit.upperLimit
                  : null,
            };
            r.comparison = comparison;
            ctx.observer.trainingFinished?.(m.name, (performance.now() - t0) / 1000);
          } catch (e) {
            ctx.observer.trainingFailed?.(m.name);
            ctx.log(`compare: window ${w.id}, ${m.name}, ${amount} injected: ${(e as Error).message}`);
            r = failedResult(snap as WindowSnapshot, plan, e as Error);
            r.comparison = {
              method: m.name,
              injected: amount,
              injectedInSr,
              ...(injectedInControl !== undefined ? { injectedInControl } : {}),
              sOverSqrtB: srBackground > 0 ? injectedInSr / Math.sqrt(srBackground) : 0,
              signalFit: { valid: false, reason: (e as Error).message },
              shape,
            };
          }
          r.key = `${plan.runId}/${w.id}/${m.name}/injected-${amount}/${r.workingPoint ?? 'all'}`;
          byMethod.set(m.name, r);
          out.push(r);
          ctx.log(
            `compare: window ${w.id}, ${m.name}, ${amount} injected: Z(S+B) ${r.comparison.signalFit.z?.toFixed(2) ?? '–'}` +
              ` (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
          );
        }
        if (amount !== last) continue;
        // How alike the selections are, over the SR events (what the methods compete on).
        const inSr = Uint8Array.from(snap.mjj, (m) => (m >= lo && m < hi ? 1 : 0));
        for (const [a, pa] of picks) {
          const corr: NonNullable<ComparisonResult['correlation']> = {};
          for (const [b, pb] of picks) {
            if (a === b) continue;
            const c = selectionCorrelation(pa, pb, inSr);
            corr[b] = {
              phi: Number.isFinite(c.phi) ? c.phi : null,
              overlap: Number.isFinite(c.overlap) ? c.overlap : null,
            };
          }
          byMethod.get(a)!.comparison!.correlation = corr;
        }
      }
      stage.injectControl?.(0);
    }
    return out;
  };
  return operate<EventBatch, WindowResult>((source, subscriber) =>
    source.subscribe(
      operatorObserver<EventBatch>(subscriber, {
        // The events are in the buffers (the route stage before this one); nothing happens until the stream ends.
        next: () => {},
        complete: () => {
          run().then(
            (results) => {
              for (const r of results) subscriber.next(r);
              subscriber.complete();
            },
            (e) => subscriber.error(e),
          );
        },
      }),
    ),
  );
}
