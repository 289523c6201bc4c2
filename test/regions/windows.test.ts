import { describe, expect, it } from '@jest/globals';
import { buildWindows } from '../../src/regions/index.js';
import { WindowBuffers } from '../../src/regions/buffers.js';

describe('window schemes', () => {
  it('ATLAS 2024 sliding: seven SRs [2.6,3.2] … [4.4,5.0] TeV with 600 GeV sidebands', () => {
    const w = buildWindows({ scheme: 'sliding' });
    expect(w).toHaveLength(7);
    expect(w[0]).toEqual({
      id: 'sr-2600-3200',
      sr: [2600, 3200],
      sb: [
        [2000, 2600],
        [3200, 3800],
      ],
    });
    expect(w[6]!.sr).toEqual([4400, 5000]);
  });

  it('ATLAS 2020 edges: regions 1–6 are SRs against their neighbours', () => {
    const w = buildWindows({ scheme: 'edges' });
    expect(w.map((x) => x.sr)).toEqual([
      [2280, 2740],
      [2740, 3280],
      [3280, 3940],
      [3940, 4730],
      [4730, 5680],
      [5680, 6810],
    ]);
    expect(w[0]!.sb).toEqual([
      [1900, 2280],
      [2740, 3280],
    ]);
  });

  it('CMS 2024 tables: A1–A6 and B1–B6 with their efficiency cuts', () => {
    const w = buildWindows({ scheme: 'table', preset: 'cms2024' });
    expect(w).toHaveLength(12);
    expect(w[0]).toMatchObject({
      id: 'A1',
      sr: [1650, 2017],
      sb: [
        [1350, 1650],
        [2017, 2465],
      ],
      workingPoints: [0.01],
    });
    expect(w[9]).toMatchObject({ id: 'B4', sr: [3331, 4071], workingPoints: [0.03] });
  });

  it('single LHCO window', () => {
    expect(buildWindows({ scheme: 'single' })[0]!.sr).toEqual([3300, 3700]);
  });
});

describe('WindowBuffers', () => {
  it('an event goes to every window whose SR or SB holds it, stored once', () => {
    const windows = buildWindows({ scheme: 'sliding' });
    const b = new WindowBuffers(windows, ['x'], { weight: false, label: false });
    const mjj = Float32Array.from([3500, 1900, 5700, 3199.5]);
    const stored = b.route({ mjj, x: Float32Array.from([1, 2, 3, 4]) }, Uint32Array.from([0, 1, 2, 3]));
    expect(stored).toBe(2); // 1900 and 5700 GeV lie outside every window
    expect(b.store.size).toBe(2);
    const roles = windows.map((w, i) => [w.id, b.count(i, 'sr'), b.count(i, 'sb_low'), b.count(i, 'sb_high')]);
    expect(roles).toEqual([
      ['sr-2600-3200', 1, 0, 1],
      ['sr-2900-3500', 1, 0, 1],
      ['sr-3200-3800', 1, 1, 0],
      ['sr-3500-4100', 1, 1, 0],
      ['sr-3800-4400', 0, 1, 0],
      ['sr-4100-4700', 0, 1, 0],
      ['sr-4400-5000', 0, 0, 0],
    ]);
    const snap = b.snapshot(2, 'end', [], ['x']);
    expect(snap.n).toBe(2);
    expect(Array.from(snap.columns[0]!)).toEqual([1, 4]);
    expect(snap.counts).toEqual({ sr: 1, sbLow: 1, sbHigh: 0 });
  });

  it('requests an analysis at the threshold, then on growth by the factor', () => {
    const b = new WindowBuffers(
      buildWindows({
        scheme: 'single',
        sr: [100, 200],
        sb: [
          [0, 100],
          [200, 300],
        ],
      }),
      ['x'],
      { weight: false, label: false },
    );
    const fill = (n: number) =>
      b.route(
        { mjj: new Float32Array(n).fill(150), x: new Float32Array(n) },
        Uint32Array.from({ length: n }, (_, i) => i),
      );
    const policy = { minSrEvents: 10, growthFactor: 2 };
    fill(9);
    expect(b.due(policy)).toEqual([]);
    fill(1);
    expect(b.due(policy)).toEqual([{ window: 0, trigger: 'threshold' }]);
    fill(9);
    expect(b.due(policy)).toEqual([]);
    fill(1);
    expect(b.due(policy)).toEqual([{ window: 0, trigger: 'growth' }]);
  });
});
