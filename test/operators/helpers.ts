/** Shared pieces of the operator specs: a stage context that records what the stages report, small batches. */
import { Subject } from 'rxjs';
import type { EventBatch } from '../../src/events/batch.js';
import { CutFlow, type Cut } from '../../src/events/cuts.js';
import { RunCounters, type DeadLetter } from '../../src/events/observer.js';
import type { StageContext } from '../../src/operators/context.js';

export function recordingContext(cuts: Cut[] = []): StageContext & { dead: DeadLetter[]; logs: string[] } {
  const dead: DeadLetter[] = [];
  const logs: string[] = [];
  return {
    counters: new RunCounters(),
    cutflow: new CutFlow(cuts),
    observer: {},
    log: (m) => logs.push(m),
    deadLetter: (d) => dead.push(d),
    dead,
    logs,
  };
}

/** A batch of float64 columns (source-like), positioned as generator rows [start, start + n). */
export function batch(columns: Record<string, number[]>, start = 0): EventBatch {
  const n = Object.values(columns)[0]?.length ?? 0;
  return {
    length: n,
    columns: Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, Float64Array.from(v)])),
    positions: [{ kind: 'generator', seed: 1, rowStart: start, rowEnd: start + n }],
    rowOffset: start,
  };
}

/** A subject and whether anything is still subscribed to it (for the unsubscribe specs). */
export function probe<T>(): { subject: Subject<T>; observed: () => boolean } {
  const subject = new Subject<T>();
  return { subject, observed: () => subject.observed };
}
