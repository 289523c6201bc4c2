import { describe, expect, it } from '@jest/globals';
import { ATLAS2024_CUTS, CutFlow, applyCuts } from '../../src/events/cuts.js';
import type { EventBatch } from '../../src/events/batch.js';

describe('cuts', () => {
  const batch = (): EventBatch => ({
    length: 5,
    columns: {
      jet1_pt: Float32Array.from([600, 450, 700, 800, 900]),
      jet2_pt: Float32Array.from([300, 300, 150, 400, 500]),
      jet1_eta: Float32Array.from([0.1, 0, 0, -2.5, 1.9]),
      jet2_eta: Float32Array.from([-1.0, 0, 0, 0, -1.9]),
      jet1_m: Float32Array.from([100, 100, 100, 100, 20]),
      jet2_m: Float32Array.from([50, 50, 50, 50, 60]),
      delta_y: Float32Array.from([0.5, 0.2, 0.3, 0.1, 1.0]),
    },
    positions: [],
  });

  it('seed 000 Table I: each cut narrows the selection and the cut flow is cumulative', () => {
    const b = batch();
    const passed = applyCuts(b, ATLAS2024_CUTS);
    // pT1 > 500 drops event 1; pT2 > 200 drops 2; |eta| < 2 drops 3; mass > 30 drops 4.
    expect(passed).toEqual([4, 3, 2, 1, 1]);
    expect(Array.from(b.selection!)).toEqual([0]);
    const flow = new CutFlow(ATLAS2024_CUTS);
    flow.enter(5);
    flow.add(passed);
    flow.enter(5);
    flow.add(passed.slice(0, 2));
    flow.add(passed.slice(2), 2);
    expect(flow.entries().map((e) => e.pass)).toEqual([10, 8, 6, 4, 2, 2]);
    expect(flow.entries()[5]!.cut).toBe('|delta y| < 1.2');
  });

  it('names the cut and the missing column', () => {
    const b = batch();
    delete b.columns.delta_y;
    expect(() => applyCuts(b, ATLAS2024_CUTS)).toThrow("cut '|delta y| < 1.2': no column 'delta_y'");
  });
});
