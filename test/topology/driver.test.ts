import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, toArray } from 'rxjs';
import { compileTopology } from '../../src/topology/compile.js';
import { parseTopology } from '../../src/topology/load.js';
import { memorySource } from '../helpers/memory-source.js';

const topology = `
name: driver
source: { kind: parquet, path: unused.parquet }
columns:
  mjj: { from: m, unit: TeV }
  x: none
label: truth
cuts:
  - { name: "x < 0.9", features: [x], max: 0.9 }
windows: { scheme: single, sr: [3300, 3700], sb: [[3000, 3300], [3700, 4400]] }
features: [x]
trigger: { minSrEvents: 3000, growthFactor: 2 }
binning: { width: 50, range: [3000, 4400] }
fit: { strategy: single, sqrtS: 13000 }
`;

describe('in-memory topology driver', () => {
  it('runs decode → derive → select → route → trigger → analyse and keeps every count', async () => {
    const t = parseTopology(topology, 'driver.yaml');
    const dead: unknown[] = [];
    const run = await compileTopology(t, {
      file: 'driver.yaml',
      runId: 'test',
      source: memorySource(200_000, 16384, 3),
      deadLetter: (d) => dead.push(d),
    });
    const results = await lastValueFrom(run.results$.pipe(toArray()));
    const c = run.counters;
    expect(c.read).toBe(200_000);
    expect(c.rejected).toBe(200);
    expect(dead).toHaveLength(200);
    expect(c.accepted + c.rejected).toBe(c.read);
    const flow = run.cutflow.entries();
    expect(flow[0]).toEqual({ cut: 'all', pass: c.accepted });
    expect(flow[1]!.pass).toBe(c.selected);
    expect(c.selected / c.accepted).toBeGreaterThan(0.88);
    expect(c.selected / c.accepted).toBeLessThan(0.92);

    const final = results.filter((r) => r.trigger === 'end');
    expect(final).toHaveLength(1);
    const r = final[0]!;
    expect(r.window).toEqual({
      id: 'sr-3300-3700',
      sr: [3300, 3700],
      sb: [
        [3000, 3300],
        [3700, 4400],
      ],
    });
    expect(r.workingPoint).toBeNull();
    expect(r.histogram!.edges).toHaveLength(29);
    expect(r.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(r.counts.sr + r.counts.sbLow + r.counts.sbHigh);
    expect(r.fit).toBeDefined();
    // A 1 % bump at 3.5 TeV over a smooth tail: the merged SR bin is significant (the fit's interpolation
    // uncertainty limits Z), and the largest per-bin excess sits in the SR.
    expect(r.significance!.z).toBeGreaterThan(3);
    const perBin = r.significance!.perBin!;
    const peak = perBin.indexOf(Math.max(...perBin));
    expect(r.histogram!.edges[peak]).toBeGreaterThanOrEqual(3300);
    expect(r.histogram!.edges[peak + 1]).toBeLessThanOrEqual(3700);
    // 95 % CL limits on signal events in the SR: the excess pushes the observed limit above the expected median.
    const lim = r.limits as { cl: number; signalEventsObserved: number; signalEventsExpected: number[] };
    expect(lim.cl).toBe(0.95);
    expect(lim.signalEventsExpected).toEqual([...lim.signalEventsExpected].sort((a, b) => a - b));
    expect(lim.signalEventsObserved).toBeGreaterThan(lim.signalEventsExpected[2]!);
    // Intermediate analyses came before the end, at the threshold and on growth.
    expect(results.some((x) => x.trigger === 'threshold')).toBe(true);
  });

  it('is deterministic: the same input gives identical results', async () => {
    const t = parseTopology(topology, 'driver.yaml');
    const once = async () => {
      const run = await compileTopology(t, {
        file: 'driver.yaml',
        runId: 'same',
        source: memorySource(50_000, 8192, 9),
      });
      const rs = await lastValueFrom(run.results$.pipe(toArray()));
      // createdAt and batchArrivedAt are wall-clock times, not results.
      return rs.map(({ createdAt, batchArrivedAt, ...rest }) => rest);
    };
    expect(await once()).toEqual(await once());
  });
});
