/**
 * Gradients of every layer, loss and flow step against central finite differences (smooth activations where a
 * kink could sit between the two evaluations; ReLU nets checked with a smaller step and the directional test).
 */
import { Network } from '../../src/nn/network.js';
import { NetworkObjective } from '../../src/nn/objective.js';
import {
  activation,
  batchNorm,
  branches,
  conv1d,
  dense,
  dropout,
  flatten,
  network,
  toSequence,
  type LayerSpec,
} from '../../src/nn/spec.js';
import type { LossSpec } from '../../src/nn/losses.js';
import { klStdNormal } from '../../src/nn/losses.js';
import { ConditionalFlow, type FlowSpec } from '../../src/nn/flows/flow.js';
import { knots, splineBackward, splineForward, SplineScratch } from '../../src/nn/flows/spline.js';
import { mulberry32 } from '../../src/stats/random.js';
import { gradCheck } from './gradcheck.js';

function data(n: number, d: number, k: number, seed: number, kind: 'binary' | 'real' = 'real') {
  const r = mulberry32(seed);
  const x = Float32Array.from({ length: n * d }, () => 2 * r() - 1);
  const y = Float32Array.from({ length: n * k }, () => (kind === 'binary' ? (r() < 0.5 ? 1 : 0) : 2 * r() - 1));
  const w = Float32Array.from({ length: n }, () => 0.5 + r());
  return { x, y, w };
}

function checkNet(
  layers: LayerSpec[],
  inputs: number,
  loss: LossSpec,
  targets: number,
  o: { binary?: boolean; tol?: number; h?: number } = {},
) {
  const n = 24;
  const net = new Network(network(inputs, layers), { seed: 3, capacity: 16 });
  const d = data(n, inputs, targets, 5, o.binary ? 'binary' : 'real');
  const obj = new NetworkObjective(net, d, loss);
  const rows = Uint32Array.from({ length: n }, (_, i) => (i * 7) % n);
  const res = gradCheck(obj, rows, { h: o.h });
  expect(res.checked).toBeGreaterThan(5);
  expect(res.worst).toBeLessThan(o.tol ?? 2e-2);
  expect(res.directional).toBeLessThan(o.tol ?? 2e-2);
}

describe('nn gradients vs finite differences', () => {
  it('dense chains with tanh, sigmoid, LeakyReLU and linear layers, weighted BCE', () => {
    checkNet(
      [
        dense(9, { activation: 'tanh' }),
        dense(7, { activation: 'sigmoid' }),
        dense(6, { activation: 'leaky', slope: 0.2 }),
        dense(2),
      ],
      5,
      { name: 'bce' },
      2,
      { binary: true },
    );
  });

  it('ReLU with fused dropout (masks repeat under a fixed key), MSE', () => {
    checkNet(
      [dense(12, { activation: 'relu', dropout: 0.2 }), dense(10, { activation: 'relu', dropout: 0.1 }), dense(3)],
      4,
      { name: 'mse' },
      3,
      { h: 1e-4, tol: 5e-2 },
    );
  });

  it('tanh with dropout (separate activation and dropout passes), standalone dropout and activation layers', () => {
    checkNet(
      [dense(8, { activation: 'tanh', dropout: 0.25 }), dropout(0.2), dense(6), activation('sigmoid'), dense(1)],
      3,
      { name: 'mse' },
      1,
    );
  });

  it('batch normalisation in training mode, Gaussian NLL', () => {
    checkNet(
      [dense(8, { activation: 'tanh' }), batchNorm(), dense(6, { activation: 'tanh' }), batchNorm(), dense(4)],
      3,
      { name: 'gaussian-nll' },
      2,
    );
  });

  it('pinball loss over several quantiles', () => {
    checkNet([dense(8, { activation: 'tanh' }), dense(3)], 3, { name: 'pinball', quantiles: [0.1, 0.5, 0.9] }, 3, {
      h: 1e-4,
    });
  });

  it('1-D convolutions (kernels 1, 3, 5, 9), branches concatenated with the input, flatten, per-bin head', () => {
    const L = 12;
    const layers: LayerSpec[] = [
      toSequence(1),
      branches(
        [
          [conv1d(3, 3), activation('tanh'), conv1d(2, 5), activation('tanh')],
          [conv1d(2, 9), activation('sigmoid')],
        ],
        true,
      ),
      conv1d(4, 1),
      activation('tanh'),
      conv1d(1, 1),
      flatten(),
    ];
    checkNet(layers, L, { name: 'mse' }, L);
  });

  it('convolution without same padding and a dense head on the flattened output', () => {
    checkNet(
      [
        toSequence(2),
        conv1d(3, 2, { padding: 0 }),
        activation('tanh'),
        conv1d(2, 3, { padding: 1 }),
        flatten(),
        dense(2),
      ],
      10,
      { name: 'mse' },
      2,
    );
  });

  it('fused ReLU / LeakyReLU epilogues (dense and conv) give the gradients of unfused layers', () => {
    const fused: LayerSpec[] = [
      toSequence(1),
      conv1d(4, 3, { activation: 'leaky', slope: 0.1 }),
      conv1d(3, 5, { activation: 'relu' }),
      flatten(),
      dense(7, { activation: 'relu' }),
      dense(5, { activation: 'leaky', slope: 0.05 }),
      dense(2),
    ];
    const plain: LayerSpec[] = [
      toSequence(1),
      conv1d(4, 3),
      activation('leaky', 0.1),
      conv1d(3, 5),
      activation('relu'),
      flatten(),
      dense(7),
      activation('relu'),
      dense(5),
      activation('leaky', 0.05),
      dense(2),
    ];
    const grads = [fused, plain].map((layers) => {
      const net = new Network(network(8, layers), { seed: 11, capacity: 16 });
      const d = data(16, 8, 2, 4);
      const obj = new NetworkObjective(net, d, { name: 'mse' });
      const rows = Uint32Array.from({ length: 16 }, (_, i) => i);
      net.params.zeroGrad();
      const loss = obj.lossGrad(rows, 0, 16, 0, 16, 1);
      return { loss, g: net.heap.f32.slice(net.params.gradBase, net.params.gradBase + net.params.size) };
    });
    expect(grads[0]!.loss).toBeCloseTo(grads[1]!.loss, 10);
    let worst = 0;
    for (let i = 0; i < grads[0]!.g.length; i++) worst = Math.max(worst, Math.abs(grads[0]!.g[i]! - grads[1]!.g[i]!));
    expect(worst).toBeLessThan(1e-6);
  });

  it('KL divergence to a standard normal', () => {
    const mu = Float32Array.from([0.3, -1.2, 0.7, 0.1]);
    const lv = Float32Array.from([-0.5, 0.2, 0.9, -1.1]);
    const dmu = new Float32Array(4);
    const dlv = new Float32Array(4);
    klStdNormal(mu, 0, lv, 0, 2, 2, 2, 1, 1, dmu, 0, dlv, 0);
    const h = 1e-3;
    for (let i = 0; i < 4; i++) {
      for (const [arr, g] of [
        [mu, dmu],
        [lv, dlv],
      ] as const) {
        const v = arr[i]!;
        arr[i] = v + h;
        const p = klStdNormal(mu, 0, lv, 0, 2, 2, 2, 1, 1);
        arr[i] = v - h;
        const m = klStdNormal(mu, 0, lv, 0, 2, 2, 2, 1, 1);
        arr[i] = v;
        expect(Math.abs((p - m) / (2 * h) - g[i]!)).toBeLessThan(1e-3);
      }
    }
    // KL of N(0, 1) to itself is 0
    expect(klStdNormal(new Float32Array(2), 0, new Float32Array(2), 0, 1, 2, 1, 1, 1)).toBe(0);
  });

  it('rational-quadratic spline: dy/dx, dlogdet/dx and parameter gradients', () => {
    const K = 5;
    const B = 2.5;
    const r = mulberry32(9);
    const p = Float64Array.from({ length: 3 * K - 1 }, () => 2 * r() - 1);
    const w = new SplineScratch(K);
    const out = { y: 0, logdet: 0 };
    const evalAt = (x: number, q: Float64Array): [number, number] => {
      knots(q, 0, K, B, 0.7, w);
      splineForward(x, K, B, w, out);
      return [out.y, out.logdet];
    };
    for (const x of [-2.3, -1.1, -0.2, 0.4, 1.7, 2.4, 3.1]) {
      for (const [gy, gl] of [
        [1, 0],
        [0, 1],
        [0.7, -0.4],
      ] as const) {
        knots(p, 0, K, B, 0.7, w);
        const g = new Float32Array(3 * K - 1);
        const gx = splineBackward(x, gy, gl, K, B, 0.7, w, g, 0);
        const L = (xx: number, q: Float64Array) => {
          const [y, ld] = evalAt(xx, q);
          return gy * y + gl * ld;
        };
        const h = 1e-6;
        expect(Math.abs((L(x + h, p) - L(x - h, p)) / (2 * h) - gx)).toBeLessThan(1e-5);
        for (let i = 0; i < p.length; i++) {
          const q = Float64Array.from(p);
          q[i] = p[i]! + h;
          const a = L(x, q);
          q[i] = p[i]! - h;
          const b = L(x, q);
          expect(Math.abs((a - b) / (2 * h) - g[i]!)).toBeLessThan(1e-4);
        }
      }
    }
  });

  function checkFlow(spec: FlowSpec, tol = 2e-2) {
    const n = 20;
    const flow = new ConditionalFlow(spec, { seed: 4, capacity: 12 });
    const r = mulberry32(2);
    const z = Float32Array.from({ length: n * spec.features }, () => 1.6 * r() - 0.8);
    const c = Float32Array.from({ length: n * spec.context }, () => 2 * r() - 1);
    const obj = flow.objective(z, c);
    const rows = Uint32Array.from({ length: n }, (_, i) => i);
    // move parameters off their symmetric initial values (zero log-gammas, biases) so every path is exercised;
    // masked (structurally zero) weights stay zero, as the engine requires
    for (const p of flow.params.params) {
      const v = flow.params.read(p);
      for (let i = 0; i < v.length; i++) v[i] = v[i]! + 0.05 * (r() - 0.5);
      flow.params.write(p, v);
    }
    const res = gradCheck(obj, rows, { samples: 80 });
    expect(res.worst).toBeLessThan(tol);
    expect(res.directional).toBeLessThan(tol);
  }

  it('conditional MAF: affine MADE blocks, batch norm (training statistics), reversals', () => {
    checkFlow({ type: 'maf', features: 3, context: 1, blocks: 3, hidden: 10, batchNorm: true, activation: 'tanh' });
  });

  it("a flow on a frozen flow base (CURTAINS' map): gradients through the base to its input", () => {
    const n = 20;
    const r = mulberry32(5);
    const perturb = (f: ConditionalFlow) => {
      for (const p of f.params.params) {
        const v = f.params.read(p);
        for (let i = 0; i < v.length; i++) v[i] = v[i]! + 0.05 * (r() - 0.5);
        f.params.write(p, v);
      }
    };
    const base = new ConditionalFlow(
      { type: 'maf', features: 3, context: 1, blocks: 2, hidden: 10, batchNorm: true, activation: 'tanh' },
      { seed: 6, capacity: 12, inputGradient: true },
    );
    perturb(base);
    const top = new ConditionalFlow(
      { type: 'maf', features: 3, context: 2, blocks: 2, hidden: 10, activation: 'tanh' },
      { seed: 7, capacity: 12 },
    );
    perturb(top);
    const z = Float32Array.from({ length: n * 3 }, () => 1.6 * r() - 0.8);
    const c = Float32Array.from({ length: n * 2 }, () => 2 * r() - 1);
    const cBase = Float32Array.from({ length: n }, () => 2 * r() - 1);
    const before = base.params.snapshot();
    const obj = top.objective(z, c, { flow: base, context: cBase });
    const res = gradCheck(
      obj,
      Uint32Array.from({ length: n }, (_, i) => i),
      { samples: 80 },
    );
    expect(res.worst).toBeLessThan(2e-2);
    expect(res.directional).toBeLessThan(2e-2);
    // the base stays frozen
    expect(Array.from(base.params.snapshot())).toEqual(Array.from(before));
  });

  it('conditional RQ-spline flow', () => {
    checkFlow({
      type: 'rqs',
      features: 3,
      context: 2,
      blocks: 2,
      hidden: 8,
      bins: 4,
      tailBound: 2,
      activation: 'tanh',
    });
  });
});
