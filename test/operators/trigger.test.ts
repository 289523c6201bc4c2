import { describe, expect, it } from '@jest/globals';
import { TestScheduler } from 'rxjs/testing';
import { Observable, lastValueFrom, of, toArray } from 'rxjs';
import type { EventBatch } from '../../src/events/batch.js';
import { WindowBuffers } from '../../src/regions/buffers.js';
import { buildWindows } from '../../src/regions/index.js';
import { trigger, type AnalysisRequest } from '../../src/operators/trigger.js';
import { batch, probe, recordingContext } from './helpers.js';

/** Two windows; each batch adds 10 events to window 0's SR. */
function setup() {
  const windows = buildWindows({ scheme: 'edges', edges: [3000, 3300, 3700, 4000, 4400] });
  const buffers = new WindowBuffers(windows, ['x'], { weight: false, label: false });
  const tenInSr = () => {
    const b = batch({ mjj: Array.from({ length: 10 }, () => 3500), x: Array.from({ length: 10 }, () => 0) });
    buffers.route(
      b.columns,
      Uint32Array.from({ length: 10 }, (_, i) => i),
    );
    return b;
  };
  return { buffers, tenInSr };
}

describe('trigger', () => {
  it('requests an analysis at the threshold, again on growth, and every window at the end (marbles)', () => {
    const { buffers, tenInSr } = setup();
    const ctx = recordingContext();
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ cold, expectObservable }) => {
      // Each marble is one routed batch: after a, b, c, d the SR holds 10, 20, 30, 40 events.
      const batches = cold<EventBatch>('a-b-c-d|').pipe(
        (s) =>
          new Observable<EventBatch>((sub) =>
            s.subscribe({
              next: () => sub.next(tenInSr()),
              complete: () => sub.complete(),
            }),
          ),
      );
      const out = batches.pipe(trigger(buffers, { minSrEvents: 20, growthFactor: 2 }, ctx));
      expectObservable(out).toBe('--t---g(xy|)', {
        t: { window: 0, trigger: 'threshold', sequence: 0 },
        g: { window: 0, trigger: 'growth', sequence: 1 },
        x: { window: 0, trigger: 'end', sequence: 2 },
        y: { window: 1, trigger: 'end', sequence: 0 },
      } satisfies Record<string, AnalysisRequest>);
    });
  });

  it('routes a throw in the completion handler to the error channel instead of hanging', async () => {
    const { buffers } = setup();
    const ctx = recordingContext();
    ctx.observer = {
      bufferEvents: () => {
        throw new Error('observer broke');
      },
    };
    await expect(
      lastValueFrom(of<EventBatch>().pipe(trigger(buffers, { minSrEvents: 1 }, ctx), toArray())),
    ).rejects.toThrow('observer broke');
  });

  it('leaves the source when unsubscribed', () => {
    const { buffers } = setup();
    const { subject, observed } = probe<EventBatch>();
    subject
      .pipe(trigger(buffers, { minSrEvents: 1 }, recordingContext()))
      .subscribe()
      .unsubscribe();
    expect(observed()).toBe(false);
  });
});
