import type { CutFlow } from '../events/cuts.js';
import type { DeadLetter, RunCounters, RunObserver } from '../events/observer.js';

/** What every stage of a compiled topology shares: run totals, the dead-letter route, observers, a logger. */
export interface StageContext {
  counters: RunCounters;
  cutflow?: CutFlow;
  deadLetter(record: DeadLetter): void;
  observer: RunObserver;
  log(message: string): void;
}
