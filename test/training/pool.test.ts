import { afterAll, describe, expect, it } from '@jest/globals';
import { TrainingPool, TrainingQueueFullError } from '../../src/training/pool.js';
import { toShared, type TrainJob } from '../../src/classify/train-job.js';
import { mulberry32 } from '../../src/classify/random.js';

const pools: TrainingPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

function job(n: number, seed: number): TrainJob {
  const rand = mulberry32(seed);
  const x = toShared(Float32Array.from({ length: n }, () => rand()));
  const y = toShared(Uint8Array.from(x, (v) => (v > 0.5 ? 1 : 0)));
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  return {
    kind: 'hgb',
    columns: [x],
    y,
    weight: toShared(new Float32Array(n).fill(1)),
    trainRows: all.filter((i) => i % 5 < 3),
    validationRows: all.filter((i) => i % 5 === 3),
    scoreRows: [all.filter((i) => i % 5 === 4)],
    seed,
    hgb: { maxIter: 20 },
  };
}

describe('training pool', () => {
  it('trains in worker threads, reports progress, and scores the held-out rows', async () => {
    const pool = new TrainingPool(2, 16);
    pools.push(pool);
    const seen: number[] = [];
    const j = job(2000, 1);
    const r = await pool.submit(j, (d) => seen.push(d));
    expect(seen.length).toBeGreaterThan(0);
    expect(r.scores[0]!.length).toBe(j.scoreRows[0]!.length);
    // Held-out rows above 0.5 score higher than those below.
    const x = j.columns[0]!;
    const rows = j.scoreRows[0]!;
    for (let k = 0; k < rows.length; k++) {
      const v = x[rows[k]!]!;
      if (Math.abs(v - 0.5) > 0.05) expect(r.scores[0]![k]! > 0).toBe(v > 0.5);
    }
    expect(pool.stats().done).toBe(1);
  });

  it('refuses jobs beyond its bounded queue with a retriable error', async () => {
    const pool = new TrainingPool(1, 1);
    pools.push(pool);
    const a = pool.submit(job(3000, 2)); // running
    const b = pool.submit(job(3000, 3)); // queued
    const c = pool.submit(job(3000, 4)); // over the limit
    await expect(c).rejects.toBeInstanceOf(TrainingQueueFullError);
    await expect(c).rejects.toMatchObject({ retriable: true });
    await Promise.all([a, b]);
    expect(pool.stats()).toMatchObject({ done: 2, queued: 0, running: 0 });
  });
});

describe('MLP training in a worker thread', () => {
  // Both backends train seed 001's network off the main thread; each reports itself.
  it.each([
    ['nn', ['nn-wasm', 'nn-js']],
    ['tfjs', ['tensorflow', 'wasm', 'cpu']],
  ] as const)('trains seed 001’s network on the %s backend and reports it', async (backend, names) => {
    const pool = new TrainingPool(1, 4);
    pools.push(pool);
    const j = job(3000, 9);
    const r = await pool.submit({
      ...j,
      kind: 'mlp-atlas2020',
      mlpBackend: backend,
      mlp: { maxEpochs: 8, batchSize: 128, patience: 3 },
    });
    expect(names).toContain(r.backend);
    expect(r.iterations).toBeGreaterThan(0);
    const x = j.columns[0]!;
    const rows = j.scoreRows[0]!;
    let agree = 0;
    for (let k = 0; k < rows.length; k++) if (r.scores[0]![k]! > 0.5 === x[rows[k]!]! > 0.5) agree++;
    expect(agree / rows.length).toBeGreaterThan(0.9);
  });
});
