/**
 * Data-parallel training on worker threads: two threads give bit-identical models run to run, the same training
 * as one thread up to floating-point summation order, and batch norm synchronised over threads.
 */
import { trainParallel } from '../../src/training/nn-parallel.js';
import { loadFlow, loadNetwork } from '../../src/nn/serialize.js';
import { dense, network } from '../../src/nn/spec.js';
import { mulberry32 } from '../../src/stats/random.js';

function problem() {
  const r = mulberry32(11);
  const n = 3000;
  const x = Float32Array.from({ length: n * 4 }, () => 2 * r() - 1);
  const y = Float32Array.from({ length: n }, (_, i) => (x[4 * i]! ** 2 + x[4 * i + 1]! ** 2 < 0.6 ? 1 : 0));
  return {
    x,
    y,
    train: Uint32Array.from({ length: 2500 }, (_, i) => i),
    val: Uint32Array.from({ length: 500 }, (_, i) => 2500 + i),
  };
}

describe('nn data-parallel training', () => {
  const d = problem();
  const spec = network(4, [
    dense(32, { activation: 'relu', dropout: 0.05 }),
    dense(32, { activation: 'relu' }),
    dense(1),
  ]);
  const job = (threads: number) => ({
    kind: 'network' as const,
    spec,
    seed: 4,
    capacity: Math.ceil(128 / threads),
    loss: { name: 'bce' as const },
    x: d.x,
    y: d.y,
    train: d.train,
    val: d.val,
    fit: { epochs: 3, batchSize: 128, seed: 4 },
  });

  it('2 threads: bit-identical models run to run, close to the 1-thread model, progress reported', async () => {
    const epochs: number[] = [];
    const a = await trainParallel(job(2), 2, (r) => epochs.push(r.epoch));
    const b = await trainParallel(job(2), 2);
    expect(a.model.values).toBe(b.model.values);
    expect(a.result.valLoss).toEqual(b.result.valLoss);
    expect(epochs).toEqual([1, 2, 3]);
    const one = await trainParallel(job(1), 1);
    one.result.valLoss.forEach((v, i) => expect(Math.abs(a.result.valLoss[i]! - v)).toBeLessThan(1e-4));
    const net = loadNetwork(a.model);
    const p = net.predict(d.x.subarray(0, 40));
    expect(p.length).toBe(10);
    expect(a.result.valLoss[2]!).toBeLessThan(a.result.valLoss[0]!);
  });

  it('flows with batch norm: synchronised statistics make 2 threads match 1 thread', async () => {
    const r = mulberry32(6);
    const n = 1200;
    const X = Float32Array.from({ length: 2 * n }, () => r());
    const m = Float32Array.from({ length: n }, () => r());
    const fjob = (threads: number) => ({
      kind: 'flow' as const,
      spec: { type: 'maf' as const, features: 2, context: 1, blocks: 3, hidden: 16, batchNorm: true },
      seed: 2,
      capacity: Math.ceil(100 / threads),
      X: X.subarray(0, 2000),
      m: m.subarray(0, 1000),
      Xval: X.subarray(2000),
      mval: m.subarray(1000),
      preprocess: { margin: 0.05 },
      fit: { epochs: 2, batchSize: 100, seed: 3 },
    });
    const two = await trainParallel(fjob(2), 2);
    const one = await trainParallel(fjob(1), 1);
    two.result.valLoss.forEach((v, i) => expect(Math.abs(one.result.valLoss[i]! - v)).toBeLessThan(1e-4));
    const flow = loadFlow(two.model);
    expect(flow.sample(4, 0.5, 1).length).toBe(8);
  });

  it('a failing job rejects with the worker error', async () => {
    await expect(trainParallel({ ...job(2), fit: { epochs: 0, batchSize: 128 } }, 2)).rejects.toThrow(/epochs/);
  });
});
