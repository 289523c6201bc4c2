import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, of, toArray } from 'rxjs';
import type { Cut } from '../../src/events/cuts.js';
import type { EventBatch } from '../../src/events/batch.js';
import { select } from '../../src/operators/select.js';
import { batch, probe, recordingContext } from './helpers.js';

const cuts: Cut[] = [
  { name: 'x < 0.5', features: ['x'], max: 0.5 },
  { name: '|y| < 1', features: ['y'], abs: true, max: 1 },
];

describe('select', () => {
  it('narrows the selection list without copying rows and fills the cut flow', async () => {
    const ctx = recordingContext(cuts);
    const [b] = await lastValueFrom(
      of(batch({ x: [0.1, 0.9, 0.2, 0.3], y: [0, 0, -2, 0.5] })).pipe(select(cuts, ctx), toArray()),
    );
    expect(Array.from(b!.selection!)).toEqual([0, 3]);
    expect(b!.length).toBe(4);
    expect(ctx.cutflow!.entries().map((e) => e.pass)).toEqual([4, 3, 2]);
    expect(ctx.counters.selected).toBe(2);
  });

  it('splits a cut list over two stages with offsets (cheap cuts first, derived ones after)', async () => {
    const ctx = recordingContext(cuts);
    const first = select(cuts.slice(0, 1), ctx, { offset: 0, first: true, last: false });
    const second = select(cuts.slice(1), ctx, { offset: 1, first: false, last: true });
    await lastValueFrom(of(batch({ x: [0.1, 0.9, 0.2], y: [0, 0, 3] })).pipe(first, second));
    expect(ctx.cutflow!.entries().map((e) => e.pass)).toEqual([3, 2, 1]);
    expect(ctx.counters.selected).toBe(1);
  });

  it('routes a missing column to the error channel, naming the cut', async () => {
    await expect(lastValueFrom(of(batch({ x: [0.1] })).pipe(select(cuts, recordingContext(cuts))))).rejects.toThrow(
      /cut '\|y\| < 1': no column 'y'/,
    );
  });

  it('leaves the source when unsubscribed', () => {
    const { subject, observed } = probe<EventBatch>();
    subject
      .pipe(select(cuts, recordingContext(cuts)))
      .subscribe()
      .unsubscribe();
    expect(observed()).toBe(false);
  });
});
