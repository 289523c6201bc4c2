import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, of } from 'rxjs';
import type { EventBatch } from '../../src/events/batch.js';
import { route } from '../../src/operators/route.js';
import { WindowBuffers } from '../../src/regions/buffers.js';
import { buildWindows } from '../../src/regions/index.js';
import { batch, probe, recordingContext } from './helpers.js';

const buffers = () =>
  new WindowBuffers(
    buildWindows({
      scheme: 'single',
      sr: [3300, 3700],
      sb: [
        [3000, 3300],
        [3700, 4000],
      ],
    }),
    ['x'],
    { weight: false, label: false },
  );

describe('route', () => {
  it('stores the selected events inside a window and counts them per role', async () => {
    const b = buffers();
    const ctx = recordingContext();
    const input = batch({ mjj: [2900, 3100, 3400, 3500, 3800, 4100], x: [1, 2, 3, 4, 5, 6] });
    input.selection = Uint32Array.of(0, 1, 2, 4, 5); // event 3 was cut
    await lastValueFrom(of(input).pipe(route(b, ctx)));
    expect(ctx.counters.stored).toBe(3);
    expect([b.count(0, 'sb_low'), b.count(0, 'sr'), b.count(0, 'sb_high')]).toEqual([1, 1, 1]);
  });

  it('routes a batch without mjj to the error channel', async () => {
    await expect(lastValueFrom(of(batch({ x: [1] })).pipe(route(buffers(), recordingContext())))).rejects.toThrow(
      /no mjj column/,
    );
  });

  it('leaves the source when unsubscribed', () => {
    const { subject, observed } = probe<EventBatch>();
    subject.pipe(route(buffers(), recordingContext())).subscribe().unsubscribe();
    expect(observed()).toBe(false);
  });
});
