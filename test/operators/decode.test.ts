import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, of, toArray } from 'rxjs';
import type { EventBatch } from '../../src/events/batch.js';
import { decode } from '../../src/operators/decode.js';
import { batch, probe, recordingContext } from './helpers.js';

const spec = { columns: { mjj: { from: 'm', unit: 'TeV' }, x: { unit: 'none' } } };

describe('decode', () => {
  it('converts units, rejects non-finite events into dead letters and keeps read = accepted + rejected', async () => {
    const ctx = recordingContext();
    const out = await lastValueFrom(
      of(batch({ m: [3.5, 3.6, 3.7], x: [0.1, Number.NaN, 0.3] }), batch({ m: [4.0], x: [1] }, 3)).pipe(
        decode(spec, ctx),
        toArray(),
      ),
    );
    expect(out.map((b) => b.length)).toEqual([2, 1]);
    expect(Array.from(out[0]!.columns.mjj!)).toEqual([3500, 3700]);
    expect(ctx.counters.read).toBe(4);
    expect(ctx.counters.accepted).toBe(3);
    expect(ctx.counters.rejected).toBe(1);
    expect(ctx.counters.balanced()).toBe(true);
    expect(ctx.dead).toHaveLength(1);
    expect(ctx.dead[0]).toMatchObject({ field: 'x', row: 1 });
  });

  it('routes a throw to the error channel', async () => {
    const broken = { length: 1, positions: [] } as unknown as EventBatch; // no columns at all
    await expect(lastValueFrom(of(broken).pipe(decode(spec, recordingContext())))).rejects.toThrow();
  });

  it('leaves the source when unsubscribed', () => {
    const { subject, observed } = probe<EventBatch>();
    const sub = subject.pipe(decode(spec, recordingContext())).subscribe();
    expect(observed()).toBe(true);
    sub.unsubscribe();
    expect(observed()).toBe(false);
  });
});
