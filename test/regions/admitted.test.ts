/**
 * Analyses admitted as a prefix of the window store (issue 19, bounded memory): a waiting analysis holds no copy of
 * events, and the snapshot it takes when it starts is the window as it was when it was admitted, whatever was
 * appended since. The store's budget ends a run with a clear error instead of an out-of-memory kill.
 */
import { describe, expect, it } from '@jest/globals';
import { StoreBudgetError } from '../../src/events/store.js';
import { WindowBuffers } from '../../src/regions/buffers.js';
import { buildWindows } from '../../src/regions/index.js';

const windows = buildWindows({
  scheme: 'single',
  sr: [3300, 3700],
  sb: [
    [3000, 3300],
    [3700, 4000],
  ],
});

function route(b: WindowBuffers, mjj: number[]): void {
  b.route(
    { mjj: Float32Array.from(mjj), x: Float32Array.from(mjj, (m) => m / 1000) },
    Uint32Array.from(mjj, (_, i) => i),
  );
}

describe('analyses admitted on a prefix of the store', () => {
  it('snapshots the window as it was at admission, and keeps the request numbers and unfinished analyses', () => {
    const b = new WindowBuffers(windows, ['x'], { weight: false, label: false, chunkSize: 4 });
    route(b, [3100, 3400, 3500, 3800, 3450]);
    const seq = b.nextSequence(0);
    const a = b.admit(0, 'threshold', seq, [{ cut: 'all', pass: 5 }]);
    expect(a).toMatchObject({ storeEvents: 5, counts: { sr: 3, sbLow: 1, sbHigh: 1 }, sequence: 0 });
    route(b, [3500, 3600, 3900]);
    const later = b.snapshotOf(a, ['x']);
    expect(later.n).toBe(5);
    expect(Array.from(later.mjj)).toEqual([3100, 3400, 3500, 3800, 3450]);
    expect(later.counts).toEqual({ sr: 3, sbLow: 1, sbHigh: 1 });
    expect(later.sequence).toBe(0);
    expect(b.snapshot(0, 'end', [], ['x']).n).toBe(8);
    // Unfinished until a result of it arrives; a checkpoint carries it, and the request numbers, over a restart.
    expect(b.unfinished).toBe(1);
    const state = b.exportState();
    expect(state.requests).toEqual([1]);
    const restored = new WindowBuffers(windows, ['x'], { weight: false, label: false, chunkSize: 4 });
    restored.store.appendEvents(b.store.events(0, b.store.size));
    expect(restored.importState(JSON.parse(JSON.stringify(state)))).toEqual([a]);
    expect(restored.snapshotOf(a, ['x']).mjj).toEqual(later.mjj);
    expect(restored.nextSequence(0)).toBe(1);
    b.finished({ window: { id: windows[0]!.id }, key: `run/${windows[0]!.id}/inclusive/0` });
    expect(b.unfinished).toBe(0);
  });

  it('stops at the store budget with a clear error', () => {
    // 4 events a chunk, 2 features of 4 bytes: 32 bytes a chunk; a budget of 64 bytes holds two chunks.
    const b = new WindowBuffers(windows, ['x'], { weight: false, label: false, chunkSize: 4, maxStoreBytes: 64 });
    route(b, [3400, 3400, 3400, 3400, 3400, 3400, 3400, 3400]);
    expect(() => route(b, [3400])).toThrow(StoreBudgetError);
    expect(() => route(b, [3400])).toThrow(/one more chunk would pass the 64-byte budget \(memory\.storeBytes/);
  });
});
