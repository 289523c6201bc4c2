/** Window validity and calibration in one window's analysis (src/analysis/analyse-window.ts). */
import { describe, expect, it } from '@jest/globals';
import { analyseSnapshot, inclusiveHistogram, type AnalysisPlan } from '../../src/analysis/analyse-window.js';
import type { Calibration } from '../../src/analysis/calibration.js';
import { analyseWindowHistogram } from '../../src/analysis/window-analysis.js';
import type { WindowSnapshot } from '../../src/events/snapshot.js';
import { seededPoisson } from '../../src/stats/random.js';

const width = 60;
const edges = Float64Array.from({ length: 31 }, (_, i) => 2000 + width * i);
/** A window's snapshot: events drawn from a falling spectrum (times a turn-on at m50), in [2000, 3800). */
function snapshot(n: number, seed: number, m50?: number): WindowSnapshot {
  const draw = seededPoisson(seed);
  const masses: number[] = [];
  for (let i = 0; i < 30; i++) {
    const m = 2000 + width * (i + 0.5);
    const eff = m50 === undefined ? 1 : 1 / (1 + Math.exp(-(m - m50) / 50));
    const k = draw(n * 0.12 * (m / 2000) ** -8 * eff);
    for (let j = 0; j < k; j++) masses.push(m - width / 2 + (width * (j + 0.5)) / k);
  }
  const mjj = Float32Array.from(masses);
  const spec = Float64Array.from(
    { length: 30 },
    (_, i) => masses.filter((m) => m >= edges[i]! && m < edges[i + 1]!).length,
  );
  return {
    window: {
      id: 'sr-2600-3200',
      sr: [2600, 3200],
      sb: [
        [2000, 2600],
        [3200, 3800],
      ],
    },
    trigger: 'end',
    features: [],
    columns: [],
    mjj,
    n: mjj.length,
    counts: { sr: 0, sbLow: 0, sbHigh: 0 },
    cutflow: [],
    spectrum: { edges, counts: spec },
  };
}

const plan: AnalysisPlan = {
  runId: 'r',
  topology: 't',
  features: [],
  binning: { width },
  workingPoints: [],
  fit: { strategy: 'atlas2024', sqrtS: 13000 },
  concurrency: 1,
  queue: 1,
  model: 'inclusive',
};
const analyse = (snap: WindowSnapshot, p: AnalysisPlan = plan) =>
  analyseSnapshot(snap, p, edges, [], inclusiveHistogram, analyseWindowHistogram).then((r) => r[0]!);

describe('window validity', () => {
  it('a falling spectrum gives a valid result with a Z', async () => {
    const r = await analyse(snapshot(20000, 1));
    expect(r.valid).toBe(true);
    expect(r.invalid).toBeUndefined();
    expect(Number.isFinite(r.significance!.z)).toBe(true);
    expect(r.limits).toBeDefined();
  });

  it('a trigger turn-on inside the window makes it invalid: no Z, no p, no limits, and the reason', async () => {
    const r = await analyse(snapshot(20000, 2, 2700));
    expect(r.valid).toBe(false);
    expect(r.invalid!.map((v) => v.reason)).toContain('turn_on_in_range');
    expect(r.significance!.z).toBeUndefined();
    expect(r.significance!.p).toBeUndefined();
    expect(r.limits).toBeUndefined();
    expect(r.fit!.fitFrom).toBeGreaterThan(2700);
  });

  it('too few selected SR events make it invalid', async () => {
    const r = await analyse(snapshot(30, 3));
    expect(r.valid).toBe(false);
    expect(r.invalid!.map((v) => v.reason)).toContain('too_few_events');
  });

  it('applies a calibration: Z = (Z_raw − mean)/std; a window that failed closure is invalid', async () => {
    const snap = snapshot(20000, 4);
    const raw = (await analyse(snap)).significance!.z!;
    const entry = { mean: 0.5, std: 0.8, median: 0.4, spread: 0.8, samples: 20, closure: true };
    const calibration: Calibration = {
      kind: 'sideband-calibration',
      version: 1,
      topology: 't',
      source: 'generator',
      samples: 20,
      mode: 'standardize',
      createdAt: '',
      windows: { 'sr-2600-3200': { inclusive: entry } },
    };
    const r = await analyse(snap, { ...plan, calibration });
    expect(r.significance!.zRaw).toBeCloseTo(raw, 12);
    expect(r.significance!.z).toBeCloseTo((raw - 0.5) / 0.8, 12);
    expect(r.significance!.calibration).toMatchObject({ mean: 0.5, std: 0.8, source: 'generator' });
    const failed = {
      ...calibration,
      windows: { 'sr-2600-3200': { inclusive: { ...entry, spread: 1.6, closure: false } } },
    };
    const f = await analyse(snap, { ...plan, calibration: failed });
    expect(f.valid).toBe(false);
    expect(f.invalid!.map((v) => v.reason)).toEqual(['failed_closure']);
  });
});
