import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventStore } from '../../src/events/store.js';

/** A seeded stream of n events: mjj in [1000, 6000), two more features, weights and labels. */
function events(n: number, seed: number) {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const mjj = new Float32Array(n),
    x = new Float32Array(n),
    y = new Float32Array(n),
    w = new Float32Array(n),
    label = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    mjj[i] = 1000 + 5000 * rand();
    x[i] = rand();
    y[i] = -rand();
    w[i] = 0.5 + rand();
    label[i] = rand() < 0.1 ? 1 : 0;
  }
  return { mjj, x, y, w, label };
}

function fill(store: EventStore, n: number, seed: number): void {
  const e = events(n, seed);
  // Batches of 37 with every other event selected: appends cross chunk boundaries at odd places.
  for (let from = 0; from < n; from += 37) {
    const idx = Uint32Array.from({ length: Math.ceil(Math.min(37, n - from) / 2) }, (_, k) => from + 2 * k);
    store.append([e.mjj, e.x, e.y], idx, idx.length, e.w, e.label);
  }
}

describe('EventStore past its memory budget', () => {
  const layout = { features: ['mjj', 'x', 'y'], weight: true, label: true, chunkSize: 16 };
  const chunkBytes = 16 * (3 * 4 + 4 + 1);

  it('spills the oldest chunks to disk and reads back exactly what an in-memory store holds', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sideband-spill-'));
    const memory = new EventStore(layout);
    const spilling = new EventStore({ ...layout, memoryBudget: 3 * chunkBytes, spillDir: dir });
    fill(memory, 5000, 11);
    fill(spilling, 5000, 11);
    expect(spilling.size).toBe(memory.size);
    expect(spilling.size).toBeGreaterThan(2000);
    // Resident memory is held at the budget; the rest went to one file in the spill folder.
    expect(spilling.residentBytes()).toBeLessThanOrEqual(3 * chunkBytes);
    expect(spilling.spilledBytes()).toBeGreaterThan(100 * chunkBytes);
    expect(spilling.bytes()).toBe(memory.bytes());
    expect(readdirSync(dir)).toHaveLength(1);

    for (const [lo, hi, limit] of [
      [2600, 4400, undefined],
      [-Infinity, Infinity, undefined],
      [3000, 3001, undefined],
      [2000, 5000, 777],
    ] as Array<[number, number, number | undefined]>) {
      const a = memory.gather(lo, hi, limit),
        b = spilling.gather(lo, hi, limit);
      expect(b.n).toBe(a.n);
      for (let f = 0; f < 3; f++) expect(b.columns[f]).toEqual(a.columns[f]);
      expect(b.weight).toEqual(a.weight);
      expect(b.label).toEqual(a.label);
      expect(spilling.mjjHistogram(lo === -Infinity ? 1000 : lo, hi === Infinity ? 6000 : hi, 30, limit)).toEqual(
        memory.mjjHistogram(lo === -Infinity ? 1000 : lo, hi === Infinity ? 6000 : hi, 30, limit),
      );
    }
    expect(spilling.events(5, 1900)).toEqual(memory.events(5, 1900));
    expect(spilling.spillStats.bytesRead).toBeGreaterThan(0);

    // A checkpoint's events restored into another spilling store come back the same.
    const restored = new EventStore({ ...layout, memoryBudget: 2 * chunkBytes, spillDir: dir });
    restored.appendEvents(spilling.events(0, spilling.size));
    expect(restored.gather(2900, 3500)).toEqual(memory.gather(2900, 3500));

    spilling.close();
    restored.close();
    expect(readdirSync(dir)).toHaveLength(0);
    expect(() => spilling.gather(0, 1e9)).toThrow('event store: closed; its spilled events are gone');
  });

  it('without memoryBudget nothing spills and the hard cap still stops the run with a clear error', () => {
    const s = new EventStore({ ...layout, maxBytes: 4 * chunkBytes });
    expect(() => fill(s, 5000, 3)).toThrow(/pass the \d+-byte budget .*set store\.memoryBudget to spill to disk/);
    expect(s.spilledBytes()).toBe(0);
  });

  it('names the folder it cannot spill into', () => {
    const s = new EventStore({ ...layout, memoryBudget: chunkBytes, spillDir: '/nonexistent/sideband' });
    expect(() => fill(s, 200, 1)).toThrow(/cannot create a spill file in \/nonexistent\/sideband \(store\.spillDir\)/);
    expect(existsSync('/nonexistent/sideband')).toBe(false);
  });
});
