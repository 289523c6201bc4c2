import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, of, toArray } from 'rxjs';
import type { EventBatch } from '../../src/events/batch.js';
import { derive } from '../../src/operators/derive.js';
import { batch, probe } from './helpers.js';

const jets = (pt1: number[], pt2: number[], m1: number[], m2: number[]) =>
  batch({
    jet1_pt: pt1,
    jet1_eta: pt1.map(() => 0.2),
    jet1_phi: pt1.map(() => 0),
    jet1_m: m1,
    jet2_pt: pt2,
    jet2_eta: pt2.map(() => -0.3),
    jet2_phi: pt2.map(() => Math.PI),
    jet2_m: m2,
  });

describe('derive', () => {
  it('orders jets by pT and computes the lighter/heavier masses and |Δy|', async () => {
    const [b] = await lastValueFrom(
      of(jets([1000, 600], [800, 900], [100, 50], [500, 300])).pipe(
        derive(['mj_min', 'mj_max', 'delta_mj', 'delta_y'], 'massless'),
        toArray(),
      ),
    );
    // Event 1 had its jets the wrong way round: swapped.
    expect(Array.from(b!.columns.jet1_pt!)).toEqual([1000, 900]);
    expect(Array.from(b!.columns.mj_min!)).toEqual([100, 50]);
    expect(Array.from(b!.columns.mj_max!)).toEqual([500, 300]);
    expect(Array.from(b!.columns.delta_mj!)).toEqual([400, 250]);
    expect(b!.columns.delta_y![0]).toBeCloseTo(0.5, 1);
  });

  it('routes a missing input column to the error channel', async () => {
    await expect(lastValueFrom(of(batch({ jet1_pt: [1] })).pipe(derive(['delta_y'], 'massless')))).rejects.toThrow(
      /derive/,
    );
  });

  it('leaves the source when unsubscribed', () => {
    const { subject, observed } = probe<EventBatch>();
    subject.pipe(derive([], 'column')).subscribe().unsubscribe();
    expect(observed()).toBe(false);
  });
});
