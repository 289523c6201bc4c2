import { describe, it, expect } from '@jest/globals';
import { Subject, from, lastValueFrom, toArray } from 'rxjs';
import { alert, AlertTracker } from '../../src/operators/alert.js';
import { Metrics } from '../../src/metrics/index.js';
import type { WindowResult } from '../../src/events/result.js';

function res(
  window: string,
  wp: number | null,
  z: number | undefined,
  extra: Partial<WindowResult> = {},
): WindowResult {
  return {
    runId: 'run-7',
    topology: 'quickstart',
    window: {
      id: window,
      sr: [3300, 3700],
      sb: [
        [2800, 3300],
        [3700, 4200],
      ],
    },
    workingPoint: wp,
    trigger: 'growth',
    cutflow: [],
    counts: { sr: 100, sbLow: 200, sbHigh: 80 },
    significance: z === undefined ? undefined : { z, p: 1e-3, observed: 130, expected: 100, expectedErr: 5 },
    valid: true,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

describe('alert', () => {
  it('emits once per upward crossing per window and working point and re-arms below the threshold', async () => {
    const lines: string[] = [];
    const metrics = new Metrics({ defaultMetrics: false });
    const input = [
      res('w1', 0.1, 1.0),
      res('w1', 0.1, 3.2), // crossing 1
      res('w1', 0.1, 3.5), // still above: no alert
      res('w1', 0.02, 3.1), // other working point: its own crossing
      res('w1', 0.1, 2.0), // re-arms
      res('w1', 0.1, 3.0), // crossing 2 (z == threshold counts)
      res('w2', 0.1, Number.NaN), // ignored
      res('w2', 0.1, undefined, { error: 'fit failed' }), // ignored
    ];
    const out = await lastValueFrom(
      from(input).pipe(
        alert({ threshold: 3, observer: metrics.observer(), log: (l) => lines.push(l), now: () => new Date(0) }),
        toArray(),
      ),
    );
    expect(out.map((a) => [a.window.id, a.workingPoint, a.z])).toEqual([
      ['w1', 0.1, 3.2],
      ['w1', 0.02, 3.1],
      ['w1', 0.1, 3.0],
    ]);
    expect(out[0]).toMatchObject({
      kind: 'anomaly-alert',
      runId: 'run-7',
      threshold: 3,
      observed: 130,
      expected: 100,
      createdAt: '1970-01-01T00:00:00.000Z',
    });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('ANOMALY CANDIDATE window w1');
    expect(lines[0]).toContain('Z=3.20 >= 3');
    const text = await metrics.scrape();
    expect(text).toContain('sideband_alerts_total{window="w1",working_point="0.1"} 2');
    expect(text).toContain('sideband_alerts_total{window="w1",working_point="0.02"} 1');
    expect(text).toContain('sideband_anomaly_active{window="w1",working_point="0.1"} 1');
    expect(text).toContain('sideband_alert_threshold_z 3');
  });

  it('honours a lower re-arm level (hysteresis) and clears the active flag on re-arm', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const t = new AlertTracker({ threshold: 3, rearmBelow: 2, observer: metrics.observer(), log: null });
    expect(t.offer(res('w', null, 3.1))).toBeDefined();
    expect(t.offer(res('w', null, 2.5))).toBeUndefined(); // below threshold but above re-arm: still armed-off
    expect(t.offer(res('w', null, 3.3))).toBeUndefined();
    expect(t.offer(res('w', null, 1.9))).toBeUndefined(); // re-arms
    expect(await metrics.scrape()).toContain('sideband_anomaly_active{window="w",working_point="inclusive"} 0');
    expect(t.offer(res('w', null, 3.0))?.z).toBe(3.0);
  });

  it('keeps state per subscription and rejects a nonsensical configuration', async () => {
    const op = alert({ threshold: 2, log: null });
    const input = from([res('w', 0.1, 2.5)]);
    expect(await lastValueFrom(input.pipe(op, toArray()))).toHaveLength(1);
    expect(await lastValueFrom(input.pipe(op, toArray()))).toHaveLength(1);
    expect(() => new AlertTracker({ threshold: Number.NaN })).toThrow('alert: threshold must be a finite Z');
    expect(() => new AlertTracker({ threshold: 3, rearmBelow: 4 })).toThrow(
      'alert: rearmBelow (4) must not exceed the threshold (3)',
    );
  });

  it('routes a throw in its logic to the error channel', async () => {
    const broken = alert({
      threshold: 3,
      log: () => {
        throw new Error('log sink closed');
      },
    });
    await expect(lastValueFrom(from([res('w', 0.1, 4)]).pipe(broken))).rejects.toThrow('log sink closed');
  });

  it('leaves the source when unsubscribed', () => {
    const input = new Subject<WindowResult>();
    input
      .pipe(alert({ threshold: 3, log: null }))
      .subscribe()
      .unsubscribe();
    expect(input.observed).toBe(false);
  });
});
