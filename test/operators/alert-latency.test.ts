/** Alerts carry the arrival of the first event of the batch that raised them and the latency from it. */
import { describe, expect, it } from '@jest/globals';
import type { WindowResult } from '../../src/events/result.js';
import { AlertTracker } from '../../src/operators/alert.js';

const result = (z: number, batchArrivedAt?: number): WindowResult => ({
  runId: 'r',
  topology: 't',
  window: { id: 'w', sr: [3300, 3700], sb: [[2800, 3300]] },
  workingPoint: 0.1,
  trigger: 'online',
  cutflow: [],
  counts: { sr: 100, sbLow: 200, sbHigh: 80 },
  significance: { z, p: 1e-3, observed: 130, expected: 100, expectedErr: 5 },
  valid: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...(batchArrivedAt !== undefined ? { batchArrivedAt } : {}),
});

describe('alert latency', () => {
  it('records when the raising batch arrived and how long the alert took from there', () => {
    const arrived = Date.parse('2026-01-01T00:00:10.000Z');
    const t = new AlertTracker({ threshold: 3, log: null, now: () => new Date(arrived + 2500) });
    const a = t.offer(result(3.4, arrived))!;
    expect(a.firstEventAt).toBe('2026-01-01T00:00:10.000Z');
    expect(a.latencySeconds).toBeCloseTo(2.5, 9);
    expect(a.trigger).toBe('online');
  });

  it('leaves both out when the result does not know its batch', () => {
    const a = new AlertTracker({ threshold: 3, log: null }).offer(result(3.4))!;
    expect(a.firstEventAt).toBeUndefined();
    expect(a.latencySeconds).toBeUndefined();
  });
});
