/** What a worker holds for one partition it owns: the windows' pipelines and feeds, alert state, checkpoint files. */
import type { Subscription } from 'rxjs';
import type { AlertTracker } from '../operators/alert.js';
import type { WindowFeed } from './window-feed.js';

/** State of one owned partition: its windows' pipelines, feeds and checkpoint files. */
export class PartitionState {
  readonly feeds = new Map<string, WindowFeed>();
  readonly subscriptions: Subscription[] = [];
  readonly emitted: Record<string, number> = {};
  readonly suppress: Record<string, number> = {};
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
