/** trigger.every: a window analysed before is retrained once the time has passed, if its SR has grown since. */
import { describe, expect, it } from '@jest/globals';
import { Subject } from 'rxjs';
import type { EventBatch } from '../../src/events/batch.js';
import { WindowBuffers } from '../../src/regions/buffers.js';
import { buildWindows } from '../../src/regions/index.js';
import { trigger, type AnalysisRequest } from '../../src/operators/trigger.js';
import { durationSeconds, validateTopology } from '../../src/topology/schema.js';
import { batch, recordingContext } from './helpers.js';

describe('trigger every', () => {
  it('asks for a time retraining after `every` seconds of the clock, only when the SR grew', () => {
    const windows = buildWindows({ scheme: 'edges', edges: [3000, 3300, 3700, 4000, 4400] });
    const buffers = new WindowBuffers(windows, ['x'], { weight: false, label: false });
    const add = (n: number) => {
      const b = batch({ mjj: Array.from({ length: n }, () => 3500), x: Array.from({ length: n }, () => 0) });
      buffers.route(
        b.columns,
        Uint32Array.from({ length: n }, (_, i) => i),
      );
      return b;
    };
    let now = 1_000_000;
    const seen: AnalysisRequest[] = [];
    const in$ = new Subject<EventBatch>();
    in$
      .pipe(trigger(buffers, { minSrEvents: 10, growthFactor: 100, every: 60 }, recordingContext(), () => now))
      .subscribe((r) => seen.push(r));
    in$.next(add(10)); // threshold
    now += 30_000;
    in$.next(add(5)); // 30 s: too early
    now += 31_000;
    in$.next(add(0)); // 61 s but no growth since the threshold? It grew by 5: retrain
    now += 61_000;
    in$.next(add(0)); // 61 s more, no growth: nothing
    in$.next(add(1)); // grew by 1, still 61 s since the last: retrain
    const w0 = seen.filter((r) => r.window === 0).map((r) => [r.trigger, r.sequence, r.arrivedAt]);
    expect(w0).toEqual([
      ['threshold', 0, 1_000_000],
      ['time', 1, 1_061_000],
      ['time', 2, 1_122_000],
    ]);
  });

  it('reads durations in the topology', () => {
    expect(durationSeconds('10m')).toBe(600);
    expect(durationSeconds('1.5h')).toBe(5400);
    expect(durationSeconds('250ms')).toBe(0.25);
    expect(durationSeconds(42)).toBe(42);
    const base = {
      name: 't',
      source: { kind: 'generator', events: 10 },
      columns: { mjj: 'GeV', x: 'none' },
      windows: { scheme: 'single', sr: [3000, 3500], sb: [[2500, 3000]] },
      features: ['x'],
    };
    const t = validateTopology({ ...base, trigger: { minSrEvents: 5, every: '10m', online: true } }, 't.yaml');
    expect(t.trigger.every).toBe(600);
    expect(t.trigger.online).toBe(true);
    expect(() => validateTopology({ ...base, trigger: { minSrEvents: 5, every: 'soon' } }, 't.yaml')).toThrow(
      /trigger\.every/,
    );
  });
});
