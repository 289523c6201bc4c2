/** What a worker holds for one partition it owns: the windows' pipelines and feeds, alert state, checkpoint files. */
import type { Subscription } from 'rxjs';
import type { AlertTracker } from '../operators/alert.js';
import type { WindowFeed } from './window-feed.js';

/** State of one owned partition: its windows' pipelines, feeds and checkpoint files. */
export class PartitionState {
  readonly feeds = new Map<string, WindowFeed>();
  readonly subscriptions: Subscription[] = [];
  /** Keys of results handed to the results topic (durable once a checkpoint after a flush names them). */
  readonly published = new Set<string>();
  /** Keys named by the checkpoint restored: replayed results with these keys are not published again. */
  readonly restored = new Set<string>();
  /** Keys in the last state.json written (only grows: a write never names fewer). */
  durable = new Set<string>();
  /** The last checkpoint written, for results-only updates. */
  last?: import('./checkpoint-log.js').PartitionCheckpoint;
  /** A results-only checkpoint is scheduled. */
  resultsCheckpoint?: Promise<void>;
  /** Alert state of the partition's windows; replayed results pass through it too, so it is restored with them. */
  alerts?: AlertTracker;
  applied: Record<string, Record<string, string>> = {};
  next = -1n;
  ended = false;
  logFile = '';
  logBytes = 0;
  logFd = -1;
  closed = false;
  constructor(
    readonly partition: number,
    readonly dir: string,
  ) {}
}
