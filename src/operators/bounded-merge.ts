/**
 * The scheduling behind `analyse` (as rxjs keeps mergeMap thin and puts the concurrency in mergeInternals.ts): run
 * asynchronous work for the items of a stream with at most `concurrency` jobs at once and at most `queue` jobs
 * waiting; an item that finds the queue full is skipped unless `mustRun` says it may not be (end-of-stream work).
 * `accept` turns an item into its job synchronously when it is admitted, so a job sees the state of that moment.
 * With `supersedes`, an item takes the place in the queue of a waiting job it makes redundant (the newest request
 * of a window covers an older waiting one's events), so the job that runs next sees the newest state.
 * The stream completes when the source has completed and every admitted job has emitted its outputs; a job that
 * rejects, or a throw in any callback, errors the stream; after unsubscription no waiting job starts.
 */
import type { OperatorFunction } from 'rxjs';
import { operate, operatorObserver } from './operate.js';

export interface BoundedMergeOptions<T, J, R> {
  concurrency: number;
  /** Jobs allowed to wait beyond the running ones (items that must run always wait). */
  queue: number;
  mustRun(item: T): boolean;
  accept(item: T): J;
  run(job: J): Promise<R[]>;
  onSkip?(item: T, waiting: number): void;
  /** Whether `item` makes the waiting job redundant; it then replaces it (after `onSuperseded(job)`). */
  supersedes?(item: T, job: J): boolean;
  onSuperseded?(job: J): void;
  onDepth?(waiting: number): void;
}

export function boundedMerge<T, J, R>(o: BoundedMergeOptions<T, J, R>): OperatorFunction<T, R> {
  return operate<T, R>((source, subscriber) => {
    const waiting: J[] = [];
    let running = 0;
    let sourceDone = false;
    const finishIfDone = () => {
      if (sourceDone && running === 0 && waiting.length === 0) subscriber.complete();
    };
    const pump = () => {
      while (!subscriber.closed && running < o.concurrency && waiting.length) {
        const job = waiting.shift()!;
        running++;
        o.onDepth?.(waiting.length);
        o.run(job).then(
          (outputs) => {
            for (const r of outputs) subscriber.next(r);
            running--;
            pump();
            finishIfDone();
          },
          (err: unknown) => subscriber.error(err),
        );
      }
    };
    return source.subscribe(
      operatorObserver<T>(subscriber, {
        next: (item) => {
          const k = o.supersedes ? waiting.findIndex((job) => o.supersedes!(item, job)) : -1;
          if (k >= 0) {
            o.onSuperseded?.(waiting[k]!);
            waiting[k] = o.accept(item);
            return;
          }
          if (!o.mustRun(item) && waiting.length >= o.queue && running >= o.concurrency) {
            o.onSkip?.(item, waiting.length);
            return;
          }
          waiting.push(o.accept(item));
          o.onDepth?.(waiting.length);
          pump();
        },
        complete: () => {
          sourceDone = true;
          finishIfDone();
        },
      }),
    );
  });
}
