import { describe, expect, it } from '@jest/globals';
import { ROLE_NONE, ROLE_SR, sidebandReference } from '../../src/background/sideband-reference.js';
import type { WindowSnapshot } from '../../src/events/snapshot.js';

describe('sideband reference template (CWoLa)', () => {
  it('labels SR events as data and each sideband as template, [lo, hi) edges', () => {
    const mjj = Float32Array.of(2500, 2600, 3199, 3200, 3800, 4399, 4400);
    const snap: WindowSnapshot = {
      window: {
        id: 'w',
        sr: [3200, 3800],
        sb: [
          [2600, 3200],
          [3800, 4400],
        ],
      },
      trigger: 'end',
      features: [],
      columns: [],
      mjj,
      n: mjj.length,
      counts: { sr: 1, sbLow: 2, sbHigh: 2 },
      cutflow: [],
    };
    const t = sidebandReference(snap);
    expect(Array.from(t.role)).toEqual([ROLE_NONE, 1, 1, ROLE_SR, 2, 2, ROLE_NONE]);
    expect(Array.from(t.y)).toEqual([0, 0, 0, 1, 0, 0, 0]);
    expect(t.nData).toBe(1);
    expect(t.nTemplate).toBe(4);
  });
});
