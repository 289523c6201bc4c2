import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DdpTrainingSetGenerator } from '../../src/analysis/ddp-training-set.js';
import {
  INPUT_CHANNELS,
  Znet3,
  Znet3Objective,
  smoothReference,
  trainZnet3,
  znet3Data,
  znet3Input,
  znet3Spec,
  type Znet3Config,
} from '../../src/analysis/ddp-znet3.js';
import { znet3Scanner } from '../../src/analysis/ddp-scan.js';
import { Network } from '../../src/nn/network.js';
import { saveNetwork } from '../../src/nn/serialize.js';
import { atlasSpectrumCsv, repoRoot } from '../helpers/paths.js';

const tiny: Znet3Config = { kernels: [3, 7], branchChannels: 3, head: [6] };
const set = new DdpTrainingSetGenerator({ seed: 11 }).batch(0, 24);
const data = znet3Data(set);

describe('Znet3 (seed 002 §5.1)', () => {
  it('runs forward and backward at any bin count with the same weights (fully convolutional)', () => {
    const base = new Network(znet3Spec(100, tiny), { seed: 4, capacity: 8 });
    const model = new Znet3(saveNetwork(base), 8);
    for (const nb of [30, 57, 100, 131]) {
      const net = model.networkFor(nb);
      expect(net.inputs).toBe(nb * INPUT_CHANNELS);
      expect(net.outputs).toBe(nb * 2);
      expect(net.params.size).toBe(base.params.size);
    }
    // backward on 57-bin histograms: finite, non-zero gradients for every parameter tensor
    const nb = 57;
    const counts = new Int32Array(3 * nb).map((_, i) => 1000 - 10 * (i % nb) + (i % 7));
    const offsets = Int32Array.from([0, nb, 2 * nb, 3 * nb]);
    const d = znet3Data({ counts, offsets, background: new Float32Array(counts), zMixed: new Float32Array(3 * nb) });
    const net = model.networkFor(nb);
    const obj = new Znet3Objective(net, d);
    net.params.zeroGrad();
    const rows = Uint32Array.from([0, 1, 2]);
    const loss = obj.lossGrad(rows, 0, 3, 0, obj.normalizer(rows, 0, 3), 1);
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    const g = net.heap.f32;
    for (const p of net.params.params) {
      const grad = g.subarray(p.g, p.g + p.size);
      expect(grad.every(Number.isFinite)).toBe(true);
      expect(grad.some((v) => v !== 0)).toBe(true);
    }
  });

  it('gives the same per-bin outputs padded to 100 bins (training) as compiled at the histogram length (scan)', () => {
    const base = new Network(znet3Spec(100, tiny), { seed: 9, capacity: 4 });
    const model = new Znet3(saveNetwork(base), 4);
    const r = 3;
    const o = set.offsets[r]!,
      nb = set.offsets[r + 1]! - o;
    expect(nb).toBeLessThan(100);
    const x = new Float32Array(100 * INPUT_CHANNELS);
    znet3Input(set.counts, o, nb, x, 0, new Float64Array(nb));
    const padded = base.predict(x, 1);
    const direct = model.networkFor(nb).predict(x.subarray(0, nb * INPUT_CHANNELS), 1);
    for (let q = 0; q < nb * 2; q++) expect(direct[q]).toBeCloseTo(padded[q]!, 5);
    // and the batched scan agrees with both
    const scan = model.predict({ counts: set.counts.subarray(o, o + nb), offsets: Int32Array.from([0, nb]) });
    for (let j = 0; j < nb; j++) expect(scan.z[j]).toBeCloseTo(Math.max(0, padded[2 * j]!), 5);
  });

  it('the smooth reference reproduces a log-quartic background exactly', () => {
    const nb = 40;
    const counts = Float64Array.from({ length: nb }, (_, j) => {
      const x = (2 * j) / (nb - 1) - 1;
      return Math.exp(8 - 2 * x + 0.3 * x * x - 0.1 * x ** 3 + 0.05 * x ** 4);
    });
    const ref = new Float64Array(nb);
    smoothReference(counts, 0, nb, ref);
    for (let j = 0; j < nb; j++) expect(ref[j]! / counts[j]!).toBeCloseTo(1, 8);
  });

  it('trains deterministically for a seed, and another seed gives other weights', () => {
    const run = (seed: number) =>
      saveNetwork(trainZnet3(data, { config: tiny, seed, epochs: 2, batchSize: 8, bins: 100 }).net).values;
    const a = run(5);
    expect(run(5)).toBe(a);
    expect(run(6)).not.toBe(a);
  });

  it('lowers the loss on its training set', () => {
    const losses: number[] = [];
    trainZnet3(data, {
      config: tiny,
      seed: 1,
      epochs: 6,
      batchSize: 4,
      lr: 3e-3,
      bins: 100,
      validation: 0,
      onEpoch: (r) => losses.push(r.trainLoss),
    });
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
  });

  it('says when a histogram lies outside the training domain (bins, events per bin)', () => {
    const model = new Znet3(saveNetwork(new Network(znet3Spec(100, tiny), { seed: 2 })));
    const flat = (nb: number, level: number) => new Float64Array(nb).fill(level);
    expect(model.outsideDomain(flat(35, 1000))).toBeUndefined();
    expect(model.outsideDomain(flat(20, 1000))).toMatch(/20 bins; the model was trained on 30-100/);
    expect(model.outsideDomain(flat(50, 4e6))).toMatch(/events per bin; the model was trained on 10-100000/);
    expect(model.outsideDomain(flat(50, 2))).toMatch(/events per bin/);
  });

  it('scans a spectrum through the PerBinScanner interface', () => {
    const model = new Znet3(saveNetwork(new Network(znet3Spec(100, tiny), { seed: 2 })));
    const counts = Float64Array.from({ length: 45 }, (_, j) => 5000 * Math.exp(-j / 12));
    const lo = Float64Array.from({ length: 45 }, (_, j) => 1000 + 50 * j);
    const scan = znet3Scanner(model).scan({ lo, hi: lo.map((v) => v + 50), counts });
    expect(scan.zMixed).toHaveLength(45);
    expect(scan.background).toHaveLength(45);
    expect(scan.zMixed.every((z) => z >= 0)).toBe(true);
    expect(scan.background.every((b) => b > 0)).toBe(true);
  });
});

describe('sideband ddp train and ddp scan --model', () => {
  const bin = path.join(repoRoot, 'bin/sideband.js');
  const sideband = (args: string[]) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sideband-znet3-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains with checkpoints, resumes, and scans a small CSV beside the fit-based z', () => {
    const model = path.join(dir, 'm.json');
    const small = ['--kernels', '3,5', '--branch-channels', '2', '--head', '4'];
    const first = JSON.parse(
      sideband([
        'ddp',
        'train',
        '--histograms',
        '40',
        '--seed',
        '3',
        '--epochs',
        '1',
        '--out',
        model,
        ...small,
        '--json',
      ]),
    );
    expect(first.epochs).toBe(1);
    const saved = JSON.parse(readFileSync(model, 'utf8'));
    expect(saved.extra.epoch).toBe(1);
    const resumed = JSON.parse(
      sideband([
        'ddp',
        'train',
        '--histograms',
        '40',
        '--seed',
        '3',
        '--epochs',
        '2',
        '--out',
        model,
        '--resume',
        '--json',
      ]),
    );
    expect(resumed.final.epoch).toBe(2);
    expect(JSON.parse(readFileSync(model, 'utf8')).extra.history).toHaveLength(2);

    // 40 bins of the ATLAS spectrum
    const lines = readFileSync(atlasSpectrumCsv, 'utf8').split('\n');
    const header = lines.findIndex((l) => l.startsWith('mjj_low_GeV'));
    const csv = path.join(dir, 'small.csv');
    writeFileSync(csv, `${lines.slice(header, header + 41).join('\n')}\n`);
    const plot = path.join(dir, 'scan.png');
    const out = JSON.parse(sideband(['ddp', 'scan', '--spectrum', csv, '--model', model, '--plot', plot, '--json']));
    expect(out.bins).toHaveLength(40);
    expect(out.reference.model).toBe('fit');
    for (const b of out.bins) {
      expect(b.z_mw).toBeGreaterThanOrEqual(0);
      expect(b.z_mw_reference).toBeGreaterThanOrEqual(0);
      expect(b.background).toBeGreaterThan(0);
    }
    expect(readFileSync(plot).subarray(1, 4).toString()).toBe('PNG');
  });
});
