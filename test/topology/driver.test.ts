import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, toArray } from 'rxjs';
import type { EventBatch } from '../../src/events/batch.js';
import type { Source } from '../../src/sources/source.js';
import { compileTopology } from '../../src/topology/compile.js';
import { parseTopology } from '../../src/topology/load.js';

/** In-memory source: a falling mjj spectrum (exponential) with a Gaussian bump, in TeV, with a NaN every 1000th row. */
function memorySource(n: number, batch: number, seed: number): Source {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    description: 'memory',
    async *batches() {
      for (let start = 0; start < n; start += batch) {
        const len = Math.min(batch, n - start);
        const mjj = new Float64Array(len),
          x = new Float64Array(len),
          label = new Float64Array(len);
        for (let i = 0; i < len; i++) {
          const sig = rnd() < 0.01;
          mjj[i] = sig
            ? 3.5 + 0.05 * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd())
            : 3.0 - 0.4 * Math.log(rnd() + 1e-12);
          x[i] = (start + i) % 1000 === 999 ? NaN : rnd();
          label[i] = sig ? 1 : 0;
        }
        const b: EventBatch = {
          length: len,
          columns: { m: mjj, x, truth: label },
          positions: [{ kind: 'generator', seed, rowStart: start, rowEnd: start + len }],
          rowOffset: start,
        };
        yield b;
      }
    },
  };
}

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
