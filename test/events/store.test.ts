import { describe, expect, it } from '@jest/globals';
import { EventStore } from '../../src/events/store.js';

describe('EventStore', () => {
  it('appends across chunk boundaries and gathers an mjj range in arrival order', () => {
    const s = new EventStore({ features: ['mjj', 'x'], weight: true, label: true, chunkSize: 4 });
    const mjj = Float32Array.from([100, 200, 300, 400, 500, 600, 700]);
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7]);
    const idx = Uint32Array.from([0, 2, 3, 4, 5, 6]);
    s.append([mjj, x], idx, 6, Float32Array.from([1, 1, 2, 2, 3, 3, 4]), Uint8Array.from([0, 0, 1, 0, 0, 1, 1]));
    expect(s.size).toBe(6);
    const g = s.gather(300, 650);
    expect(g.n).toBe(4);
    expect(Array.from(g.mjj)).toEqual([300, 400, 500, 600]);
    expect(Array.from(g.columns[1]!)).toEqual([3, 4, 5, 6]);
    expect(Array.from(g.weight!)).toEqual([2, 2, 3, 3]);
    expect(Array.from(g.label!)).toEqual([1, 0, 0, 1]);
  });

  it('memory per stored event stays within one chunk of the raw bytes', () => {
    const chunk = 65536;
    const features = Array.from({ length: 10 }, (_, i) => (i === 0 ? 'mjj' : `f${i}`));
    const s = new EventStore({ features, weight: true, label: false, chunkSize: chunk });
    const n = 1_000_000;
    const cols = features.map(() => new Float32Array(n));
    s.append(
      cols,
      Uint32Array.from({ length: n }, (_, i) => i),
      n,
    );
    expect(s.bytes() / s.size).toBeGreaterThanOrEqual(44);
    expect(s.bytes() / s.size).toBeLessThanOrEqual(48);
  });

  it('requires mjj among the stored features', () => {
    expect(() => new EventStore({ features: ['x'], weight: false, label: false })).toThrow("must include 'mjj'");
  });
});
