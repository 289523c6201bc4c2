/**
 * Determinism and backends: the same seed gives bit-identical weights and losses; the plain-JS kernels give the
 * same training as the WebAssembly ones; src/nn keeps to its rank (no I/O, no threads, imports only errors and the
 * seeded generator from outside nn/).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fit } from '../../src/nn/fit.js';
import { ConditionalFlow } from '../../src/nn/flows/flow.js';
import { Network } from '../../src/nn/network.js';
import { NetworkObjective } from '../../src/nn/objective.js';
import { dense, network } from '../../src/nn/spec.js';
import { mulberry32 } from '../../src/stats/random.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const srcNn = path.resolve(here, '../../../src/nn');

function problem(seed: number) {
  const r = mulberry32(seed);
  const n = 1200;
  const x = Float32Array.from({ length: n * 3 }, () => 2 * r() - 1);
  const y = Float32Array.from({ length: n }, (_, i) => (x[3 * i]! * x[3 * i + 1]! > 0 ? 1 : 0));
  return {
    x,
    y,
    train: Uint32Array.from({ length: 1000 }, (_, i) => i),
    val: Uint32Array.from({ length: 200 }, (_, i) => 1000 + i),
  };
}

function train(backend: 'wasm' | 'js', seed: number) {
  const d = problem(1);
  const net = new Network(
    network(3, [dense(16, { activation: 'relu', dropout: 0.1 }), dense(16, { activation: 'tanh' }), dense(1)]),
    { seed, backend, capacity: 64 },
  );
  const res = fit(new NetworkObjective(net, d, { name: 'bce' }), d.train, d.val, {
    epochs: 4,
    batchSize: 64,
    lr: 3e-3,
    seed,
    clipNorm: 5,
  });
  return { weights: net.params.snapshot(), res };
}

describe('nn determinism', () => {
  it('same seed, same weights and curve, bit for bit; another seed differs', () => {
    const a = train('wasm', 3);
    const b = train('wasm', 3);
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(a.res.valLoss).toEqual(b.res.valLoss);
    const c = train('wasm', 4);
    expect(Array.from(c.weights)).not.toEqual(Array.from(a.weights));
  });

  it('the plain-JS kernels train the same network as the WebAssembly kernels', () => {
    const a = train('wasm', 3);
    const b = train('js', 3);
    let worst = 0;
    for (let i = 0; i < a.weights.length; i++) worst = Math.max(worst, Math.abs(a.weights[i]! - b.weights[i]!));
    expect(worst).toBeLessThan(1e-5);
    a.res.valLoss.forEach((v, i) => expect(b.res.valLoss[i]!).toBeCloseTo(v, 6));
  });

  it('flows: same seed, same fit and samples; the JS backend agrees', () => {
    const r = mulberry32(5);
    const n = 600;
    const X = Float32Array.from({ length: 2 * n }, () => r());
    const m = Float32Array.from({ length: n }, () => r());
    const run = (backend: 'wasm' | 'js') => {
      const f = new ConditionalFlow(
        { type: 'maf', features: 2, context: 1, blocks: 2, hidden: 8, batchNorm: true },
        { seed: 2, backend, capacity: 50 },
      );
      f.fit(X.subarray(0, 1000), m.subarray(0, 500), X.subarray(1000), m.subarray(500), {
        epochs: 2,
        batchSize: 50,
        seed: 1,
      });
      return { w: f.params.snapshot(), s: f.sample(10, 0.5, 9), loss: f.training!.valLoss };
    };
    const a = run('wasm');
    const b = run('wasm');
    expect(Array.from(a.w)).toEqual(Array.from(b.w));
    expect(Array.from(a.s)).toEqual(Array.from(b.s));
    const c = run('js');
    a.loss.forEach((v, i) => expect(c.loss[i]!).toBeCloseTo(v, 5));
    for (let i = 0; i < a.s.length; i++) expect(c.s[i]!).toBeCloseTo(a.s[i]!, 4);
  });

  it('src/nn imports nothing of ours outside nn/ but errors and the seeded generator; no I/O, no threads', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = path.join(d, f);
        if (statSync(p).isDirectory()) {
          if (f !== 'kernels') walk(p);
        } else if (f.endsWith('.ts')) files.push(p);
      }
    };
    walk(srcNn);
    expect(files.length).toBeGreaterThan(15);
    const bad: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/from '([^']+)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('node:') || !spec.startsWith('.')) {
          bad.push(`${path.relative(srcNn, f)}: ${spec}`);
          continue;
        }
        const target = path.resolve(path.dirname(f), spec);
        const rel = path.relative(srcNn, target);
        const outside = rel.startsWith('..');
        const allowed = ['../events/errors.js', '../stats/random.js'].some((a) => path.resolve(srcNn, a) === target);
        if (outside && !allowed) bad.push(`${path.relative(srcNn, f)}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
