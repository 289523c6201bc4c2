import { describe, expect, it } from '@jest/globals';
import { Subject, lastValueFrom, toArray } from 'rxjs';
import { boundedMerge } from '../../src/operators/bounded-merge.js';

interface Item {
  id: number;
  must?: boolean;
}

/** Jobs that finish when the test resolves them, recording how many run at once. */
function controlledJobs() {
  const pending = new Map<number, () => void>();
  let running = 0;
  let maxRunning = 0;
  const started: number[] = [];
  const run = (id: number) =>
    new Promise<string[]>((resolve) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      started.push(id);
      pending.set(id, () => {
        running--;
        resolve([`r${id}`]);
      });
    });
  const finish = async (id: number) => {
    pending.get(id)!();
    pending.delete(id);
    await new Promise((r) => setImmediate(r));
  };
  return { run, finish, started, maxRunning: () => maxRunning };
}

describe('boundedMerge', () => {
  it('runs at most `concurrency` jobs, queues up to `queue`, skips the rest unless they must run', async () => {
    const jobs = controlledJobs();
    const skipped: number[] = [];
    const input = new Subject<Item>();
    const out = lastValueFrom(
      input.pipe(
        boundedMerge<Item, number, string>({
          concurrency: 1,
          queue: 1,
          mustRun: (i) => i.must === true,
          accept: (i) => i.id,
          run: jobs.run,
          onSkip: (i) => skipped.push(i.id),
        }),
        toArray(),
      ),
    );
    input.next({ id: 1 }); // runs
    input.next({ id: 2 }); // waits
    input.next({ id: 3 }); // skipped: queue full
    input.next({ id: 4, must: true }); // must run: waits anyway
    input.complete();
    expect(jobs.started).toEqual([1]);
    await jobs.finish(1);
    await jobs.finish(2);
    await jobs.finish(4);
    expect(await out).toEqual(['r1', 'r2', 'r4']);
    expect(skipped).toEqual([3]);
    expect(jobs.maxRunning()).toBe(1);
  });

  it('completes only after every admitted job has emitted', async () => {
    const jobs = controlledJobs();
    const input = new Subject<Item>();
    let done = false;
    const out = lastValueFrom(
      input.pipe(
        boundedMerge<Item, number, string>({
          concurrency: 2,
          queue: 4,
          mustRun: () => false,
          accept: (i) => i.id,
          run: jobs.run,
        }),
        toArray(),
      ),
    ).then((r) => {
      done = true;
      return r;
    });
    input.next({ id: 1 });
    input.next({ id: 2 });
    input.complete();
    await jobs.finish(2);
    expect(done).toBe(false);
    await jobs.finish(1);
    expect(await out).toEqual(['r2', 'r1']);
  });

  it('errors when a job rejects or a callback throws', async () => {
    const input = new Subject<Item>();
    const failing = lastValueFrom(
      input.pipe(
        boundedMerge<Item, number, string>({
          concurrency: 1,
          queue: 1,
          mustRun: () => true,
          accept: (i) => i.id,
          run: () => Promise.reject(new Error('job failed')),
        }),
      ),
    );
    input.next({ id: 1 });
    await expect(failing).rejects.toThrow('job failed');
    const snapshots = new Subject<Item>();
    const failingAccept = lastValueFrom(
      snapshots.pipe(
        boundedMerge<Item, number, string>({
          concurrency: 1,
          queue: 1,
          mustRun: () => true,
          accept: () => {
            throw new Error('cannot snapshot');
          },
          run: async () => [],
        }),
      ),
    );
    snapshots.next({ id: 1 });
    await expect(failingAccept).rejects.toThrow('cannot snapshot');
  });

  it('starts no waiting job after unsubscription and leaves the source', async () => {
    const jobs = controlledJobs();
    const input = new Subject<Item>();
    const sub = input
      .pipe(
        boundedMerge<Item, number, string>({
          concurrency: 1,
          queue: 4,
          mustRun: () => true,
          accept: (i) => i.id,
          run: jobs.run,
        }),
      )
      .subscribe();
    input.next({ id: 1 });
    input.next({ id: 2 });
    sub.unsubscribe();
    expect(input.observed).toBe(false);
    await jobs.finish(1);
    expect(jobs.started).toEqual([1]);
  });

  it('lets a newer item take the queue place of a waiting job it supersedes, which then never runs', async () => {
    const jobs = controlledJobs();
    const superseded: number[] = [];
    const input = new Subject<Item & { window: number }>();
    const out = lastValueFrom(
      input.pipe(
        boundedMerge<Item & { window: number }, { id: number; window: number }, string>({
          concurrency: 1,
          queue: 4,
          mustRun: (i) => i.must === true,
          accept: (i) => ({ id: i.id, window: i.window }),
          run: (j) => jobs.run(j.id),
          supersedes: (i, j) => !i.must && j.window === i.window,
          onSuperseded: (j) => superseded.push(j.id),
        }),
        toArray(),
      ),
    );
    input.next({ id: 1, window: 0 }); // runs
    input.next({ id: 2, window: 0 }); // waits
    input.next({ id: 3, window: 1 }); // waits (another window)
    input.next({ id: 4, window: 0 }); // replaces 2, in its place before 3
    input.next({ id: 5, window: 0, must: true }); // end of stream: waits behind them, supersedes nothing
    input.complete();
    await jobs.finish(1);
    await jobs.finish(4);
    await jobs.finish(3);
    await jobs.finish(5);
    expect(superseded).toEqual([2]);
    expect(jobs.started).toEqual([1, 4, 3, 5]);
    expect(await out).toEqual(['r1', 'r4', 'r3', 'r5']);
  });
});
