/**
 * bench:nn — the neural engine (src/nn, SIMD WebAssembly kernels) against PyTorch 1.13 on the same data, initial
 * weights, batch order, architecture, batch size, optimizer, epochs and thread count, in one run:
 *   mlp          4 -> 64-64-64 -> 1, ReLU, 5 % dropout, BCE, batch 512 (LHCO R&D signal vs background)
 *   maf          conditional MAF, 4 features + mjj, 5 affine MADE blocks x 64, batch 256 (LHCO background)
 *   maf_bn       5 blocks x 64 with batch norm (the template flow of src/background, cathode.ts's default), batch 256
 *   maf_cathode  15 blocks x 128 with batch norm (CATHODE's density estimator), batch 256
 *   rqs          conditional RQ-spline flow, 4 transforms, 8 bins, 64 hidden, batch 256
 *   cnn          DDP Znet3-style 1-D CNN on 64-bin histograms (kernels 3/5/9, concat with input, per-bin head)
 * Ours runs in this process at 1 thread and on worker threads (src/training/nn-parallel.ts) at 2; PyTorch
 * (bench/peers/nn_torch.py) with torch.set_num_threads(1) and (2). samples_per_s = training rows x epochs / wall
 * seconds of the whole fit (validation, and for batch-norm flows the per-epoch statistics pass, included on both
 * sides). GFLOP/s counts the model's dense/conv multiply-adds (fwd + bwd for training rows, fwd for validation
 * and statistics passes) over the same seconds.
 *
 * Usage: node dist/bench/nn.js [--json] [--only mlp,maf,...] [--threads 1,2] [--scale 1] [--no-peer]
 *        [--profile]   (also: V8's CPU profile of each workload's fit on our side at 1 thread, self time by
 *                       function, wasm kernels by export name)
 */
import { execFileSync } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { concat, readLhco } from './lhco-data.js';
import { defaultBackend } from '../src/nn/backend.js';
import { wasmBase64 } from '../src/nn/kernels-wasm.js';
import { fit, type FitResult } from '../src/nn/fit.js';
import { ConditionalFlow, type FlowSpec } from '../src/nn/flows/flow.js';
import { fitPreprocessor, preprocess, preprocessContext, type Preprocessor } from '../src/nn/flows/preprocess.js';
import { AutoregressiveStep } from '../src/nn/flows/steps.js';
import { madeHiddenOrder } from '../src/nn/flows/made.js';
import type { Branches } from '../src/nn/layers/branches.js';
import type { Conv1d } from '../src/nn/layers/conv1d.js';
import type { Dense } from '../src/nn/layers/dense.js';
import type { Sequential } from '../src/nn/layers/sequential.js';
import { Network } from '../src/nn/network.js';
import { NetworkObjective } from '../src/nn/objective.js';
import type { ParamStore, Param } from '../src/nn/params.js';
import { mixKey, mulberry32, shuffle } from '../src/nn/random.js';
import { branches, conv1d, dense, flatten, network, toSequence, type NetworkSpec } from '../src/nn/spec.js';
import { trainParallel } from '../src/training/nn-parallel.js';
import { seededPoisson } from '../src/stats/random.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    dir: { type: 'string', default: path.resolve(repo, '../shared/data/lhco-rnd-sr') },
    only: { type: 'string', default: 'mlp,maf,maf_bn,maf_cathode,rqs,cnn' },
    threads: { type: 'string', default: '1,2' },
    scale: { type: 'string', default: '1' },
    'no-peer': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'profile-one': { type: 'string' },
    'profile-dir': { type: 'string' },
  },
});

function log(msg: string): void {
  if (!args.json) console.error(msg);
}

const SEED = 7;
/** Logit preprocessing fitted on training and validation rows, range widened by 1 %. */
const PREPROCESS = { kind: 'logit', margin: 0.01 } as const;
const scale = Number(args.scale);

interface Workload {
  name: string;
  kind: 'mlp' | 'cnn' | 'flow';
  description: string;
  batch: number;
  epochs: number;
  lr: number;
  /** Rows: training rows first, then validation rows. */
  x: Float32Array;
  y?: Float32Array;
  c?: Float32Array;
  /** Raw features and context (flows: the engine preprocesses them itself, identically). */
  rawX?: Float32Array;
  rawC?: Float32Array;
  pre?: Preprocessor;
  nTrain: number;
  nRows: number;
  net?: NetworkSpec;
  flow?: FlowSpec;
  /** Multiply-add FLOPs per row: training (fwd + bwd) and forward only. */
  flopTrain: number;
  flopFwd: number;
  bnPass: boolean;
  peerModel: Record<string, unknown>;
}

// ----------------------------------------------------------------------------------------------- FLOP counting
function denseFlops(dims: number[]): { fwd: number; train: number } {
  let fwd = 0;
  let train = 0;
  for (let i = 0; i + 1 < dims.length; i++) {
    const f = 2 * dims[i]! * dims[i + 1]!;
    fwd += f;
    // weight gradient always, input gradient except for the first layer
    train += f + f + (i > 0 ? f : 0);
  }
  return { fwd, train };
}

// ----------------------------------------------------------------------------------------------- data
function lcg(seed: number) {
  return mulberry32(seed);
}

function standardise(x: Float32Array, d: number, nFit: number): void {
  for (let j = 0; j < d; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < nFit; i++) {
      s += x[i * d + j]!;
      s2 += x[i * d + j]! ** 2;
    }
    const m = s / nFit;
    const sd = Math.sqrt(s2 / nFit - m * m) || 1;
    for (let i = 0; i < x.length / d; i++) x[i * d + j] = (x[i * d + j]! - m) / sd;
  }
}

function rowMajor(cols: Float32Array[], rows: ArrayLike<number>): Float32Array {
  const d = cols.length;
  const out = new Float32Array(rows.length * d);
  for (let k = 0; k < rows.length; k++) for (let j = 0; j < d; j++) out[k * d + j] = cols[j]![rows[k]!]!;
  return out;
}

/** DDP-style histograms: smoothly falling background, optional Gaussian bump, Poisson counts; target = per-bin
 *  local significance of the counts against the true background; input scaled to [0, 1] by its maximum. */
function histograms(n: number, bins: number, seed: number): { x: Float32Array; y: Float32Array } {
  const u = lcg(seed);
  const pois = seededPoisson(seed + 1);
  const x = new Float32Array(n * bins);
  const y = new Float32Array(n * bins);
  for (let h = 0; h < n; h++) {
    const A = 10 ** (2 + 3 * u());
    const slope = 2 + 6 * u();
    const bump = u() < 0.5;
    const mu = 0.15 + 0.7 * u();
    const sig = 0.02 + 0.05 * u();
    // bump amplitude set by its peak local significance (0 to 8 sigma)
    const amp = bump ? 8 * u() * Math.sqrt(A * Math.exp(-slope * mu)) : 0;
    let mx = 1;
    const counts = new Float64Array(bins);
    for (let i = 0; i < bins; i++) {
      const t = (i + 0.5) / bins;
      const b = A * Math.exp(-slope * t);
      const s = amp * Math.exp(-0.5 * ((t - mu) / sig) ** 2);
      const k = pois(b + s);
      counts[i] = k;
      mx = Math.max(mx, k);
      const z =
        k > 0 ? Math.sign(k - b) * Math.sqrt(2 * Math.max(k * Math.log(k / b) - (k - b), 0)) : -Math.sqrt(2 * b);
      y[h * bins + i] = z;
    }
    for (let i = 0; i < bins; i++) x[h * bins + i] = counts[i]! / mx;
  }
  return { x, y };
}

async function buildWorkloads(only: Set<string>): Promise<Workload[]> {
  const out: Workload[] = [];
  const needLhco = ['mlp', 'maf', 'maf_bn', 'maf_cathode', 'rqs'].some((w) => only.has(w));
  const files = needLhco
    ? await Promise.all(
        ['sr_train', 'sr_val', 'sr_test', 'sr_extrasig_train'].map((f) =>
          readLhco(path.join(args.dir!, `${f}.parquet`)),
        ),
      )
    : [];
  if (only.has('mlp')) {
    // supervised signal vs background: every event of the four files, shuffled once, 80 / 20
    const all = concat(concat(files[0]!, files[1]!), concat(files[2]!, files[3]!));
    const nUse = Math.min(all.n, Math.round(150000 * scale));
    const order = shuffle(
      Uint32Array.from({ length: all.n }, (_, i) => i),
      lcg(SEED),
    ).subarray(0, nUse);
    const x = rowMajor(all.columns, order);
    const nTrain = Math.round(0.8 * nUse);
    standardise(x, 4, nTrain);
    const y = Float32Array.from(order, (r) => all.label[r]!);
    const hidden = [64, 64, 64];
    const f = denseFlops([4, ...hidden, 1]);
    out.push({
      name: 'mlp',
      kind: 'mlp',
      description: '4 -> 64-64-64 -> 1, ReLU, dropout 0.05, weighted BCE (w = 1), Adam 1e-3',
      batch: 512,
      epochs: 8,
      lr: 1e-3,
      x,
      y,
      nTrain,
      nRows: nUse,
      net: network(4, [...hidden.map((u) => dense(u, { activation: 'relu', dropout: 0.05 })), dense(1)]),
      flopTrain: f.train,
      flopFwd: f.fwd,
      bnPass: false,
      peerModel: { inputs: 4, hidden, dropout: 0.05 },
    });
  }
  const flowKinds: [string, FlowSpec, number, number][] = [
    ['maf', { type: 'maf', features: 4, context: 1, blocks: 5, hidden: 64 }, 6, 100000],
    ['maf_bn', { type: 'maf', features: 4, context: 1, blocks: 5, hidden: 64, batchNorm: true }, 4, 100000],
    ['maf_cathode', { type: 'maf', features: 4, context: 1, blocks: 15, hidden: 128, batchNorm: true }, 2, 60000],
    ['rqs', { type: 'rqs', features: 4, context: 1, blocks: 4, hidden: 64, bins: 8, tailBound: 4 }, 3, 60000],
  ];
  if (flowKinds.some(([n]) => only.has(n))) {
    // background-only "sideband" sample: truth-background events of the LHCO signal-region files
    const bkg = concat(concat(files[0]!, files[1]!), files[2]!);
    const rows = Uint32Array.from({ length: bkg.n }, (_, i) => i).filter((i) => bkg.label[i] === 0);
    const order = shuffle(rows, lcg(SEED + 1));
    for (const [name, spec, epochs, nTrainWant] of flowKinds) {
      if (!only.has(name)) continue;
      const nTrain = Math.round(nTrainWant * scale);
      const nVal = Math.round(0.2 * nTrain);
      const use = order.subarray(0, nTrain + nVal);
      const rawX = rowMajor(bkg.columns, use);
      const rawC = Float32Array.from(use, (r) => bkg.mjj[r]!);
      const pre = fitPreprocessor(rawX, rawC, 4, 1, PREPROCESS);
      const x = preprocess(pre, rawX);
      const c = preprocessContext(pre, rawC);
      const H = spec.hidden;
      const P = spec.type === 'maf' ? 2 : 3 * (spec.bins ?? 8) - 1;
      const f = denseFlops([5, H, H, 4 * P]);
      // the MADE's input gradient is needed in every block but the first (the flow passes gradients down)
      const train = spec.blocks * (f.train + 2 * 5 * H) - 2 * 5 * H;
      out.push({
        name,
        kind: 'flow',
        description:
          `conditional ${spec.type === 'maf' ? 'MAF' : 'RQ-spline flow'}, 4 features + mjj, ${spec.blocks} x ${H}` +
          `${spec.batchNorm ? ', batch norm' : ''}${spec.type === 'rqs' ? `, ${spec.bins} bins` : ''}` +
          ', logit preprocessing, Adam 1e-3',
        batch: 256,
        epochs,
        lr: 1e-3,
        x,
        c,
        rawX,
        rawC,
        pre,
        nTrain,
        nRows: nTrain + nVal,
        flow: spec,
        flopTrain: train,
        flopFwd: spec.blocks * f.fwd,
        bnPass: !!spec.batchNorm,
        peerModel: { ...spec },
      });
    }
  }
  if (only.has('cnn')) {
    const bins = 64;
    const nTrain = Math.round(20000 * scale);
    const nVal = Math.round(5000 * scale);
    const { x, y } = histograms(nTrain + nVal, bins, SEED + 3);
    const kernels = [3, 5, 9];
    const ch = 16;
    const head = 32;
    const depth = 2;
    const spec = network(bins, [
      toSequence(1),
      branches(
        kernels.map((k) => [conv1d(ch, k, { activation: 'relu' }), conv1d(ch, k, { activation: 'relu' })]),
        true,
      ),
      conv1d(head, 1, { activation: 'relu' }),
      conv1d(1, 1),
      flatten(),
    ]);
    let fwd = 0;
    let train = 0;
    for (const k of kernels) {
      const f1 = 2 * bins * k * 1 * ch;
      const f2 = 2 * bins * k * ch * ch;
      fwd += f1 + f2;
      train += 2 * f1 + 3 * f2;
    }
    const tot = 1 + kernels.length * ch;
    const h1 = 2 * bins * tot * head;
    const h2 = 2 * bins * head;
    fwd += h1 + h2;
    train += 3 * h1 + 3 * h2;
    out.push({
      name: 'cnn',
      kind: 'cnn',
      description:
        `Znet3-style: 64-bin histogram, branches kernels ${kernels.join('/')} x ${depth} conv(16) ReLU, ` +
        'concat with input, per-bin 1x1 head 32 -> 1, MSE, Adam 1e-3',
      batch: 100,
      epochs: 3,
      lr: 1e-3,
      x,
      y,
      nTrain,
      nRows: nTrain + nVal,
      net: spec,
      flopTrain: train,
      flopFwd: fwd,
      bnPass: false,
      peerModel: { kernels, channels: ch, head, depth, bins },
    });
  }
  return out;
}

// ----------------------------------------------------------------------------------------------- torch layouts
interface TensorOut {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A dense layer in torch's layout; our output unit j / input i are torch's outOrder[j] / inOrder[i - r0]. */
function linearOut(
  store: ParamStore,
  d: Dense,
  prefix: string,
  rows?: [number, number],
  outOrder?: Int32Array,
  inOrder?: Int32Array,
): TensorOut[] {
  const W = store.read(d.W);
  const inDim = d.inDim;
  const [r0, r1] = rows ?? [0, inDim];
  const o = d.units;
  const w = new Float32Array(o * (r1 - r0));
  for (let i = r0; i < r1; i++) {
    for (let j = 0; j < o; j++) {
      const ti = inOrder ? inOrder[i - r0]! : i - r0;
      const tj = outOrder ? outOrder[j]! : j;
      w[tj * (r1 - r0) + ti] = W[i * o + j]!;
    }
  }
  const res: TensorOut[] = [{ name: `${prefix}.weight`, shape: [o, r1 - r0], data: w }];
  if (d.b && !rows?.[0]) {
    const b = store.read(d.b);
    const bt = new Float32Array(o);
    for (let j = 0; j < o; j++) bt[outOrder ? outOrder[j]! : j] = b[j]!;
    res.push({ name: `${prefix}.bias`, shape: [o], data: bt });
  }
  return res;
}

function convOut(store: ParamStore, c: Conv1d, prefix: string, cin: number): TensorOut[] {
  const W = store.read(c.W);
  const co = c.channels;
  const k = c.kernel;
  const w = new Float32Array(co * cin * k);
  for (let o = 0; o < co; o++)
    for (let ci = 0; ci < cin; ci++)
      for (let t = 0; t < k; t++) w[(o * cin + ci) * k + t] = W[(t * cin + ci) * co + o]!;
  return [
    { name: `${prefix}.weight`, shape: [co, cin, k], data: w },
    { name: `${prefix}.bias`, shape: [co], data: store.read(c.b as Param) },
  ];
}

function initTensors(w: Workload): TensorOut[] {
  if (w.kind === 'mlp') {
    const net = new Network(w.net!, { seed: SEED, capacity: w.batch });
    return (net.root.modules as Dense[]).flatMap((d, i) => linearOut(net.params, d, `l${i}`));
  }
  if (w.kind === 'cnn') {
    const net = new Network(w.net!, { seed: SEED, capacity: w.batch });
    const br = net.root.modules[1] as Branches;
    const out: TensorOut[] = [];
    br.branches.forEach((s, bi) => {
      (s as Sequential).modules.forEach((m, li) =>
        out.push(...convOut(net.params, m as Conv1d, `b${bi}.${li}`, li === 0 ? 1 : 16)),
      );
    });
    out.push(...convOut(net.params, net.root.modules[2] as Conv1d, 'h1', 1 + 3 * 16));
    out.push(...convOut(net.params, net.root.modules[3] as Conv1d, 'h2', 32));
    return out;
  }
  const flow = new ConditionalFlow(w.flow!, { seed: SEED, capacity: w.batch });
  const out: TensorOut[] = [];
  const D = w.flow!.features;
  // our MADE stores hidden units ordered by degree; torch's pytorch-flows order is ord[h]
  const ord = madeHiddenOrder(D, w.flow!.hidden);
  flow.steps
    .filter((s) => s instanceof AutoregressiveStep)
    .forEach((st, b) => {
      const [l1, l2, l3] = (st as AutoregressiveStep).made.modules as Dense[];
      out.push(...linearOut(flow.params, l1!, `m${b}.l1`, [0, D], ord));
      out.push(...linearOut(flow.params, l1!, `m${b}.l1c`, [D, D + w.flow!.context], ord));
      out.push(
        ...linearOut(flow.params, l2!, `m${b}.l2`, undefined, ord, ord),
        ...linearOut(flow.params, l3!, `m${b}.l3`, undefined, undefined, ord),
      );
    });
  return out;
}

/** The batch order fit() draws (same generator, same keys), epochs x nTrain. */
function permutations(nTrain: number, epochs: number): Uint32Array {
  const all = new Uint32Array(nTrain * epochs);
  const order = new Uint32Array(nTrain);
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < nTrain; i++) order[i] = i;
    shuffle(order, mulberry32(mixKey(SEED, e, 0x5eed)));
    all.set(order, e * nTrain);
  }
  return all;
}

function writeF32(file: string, a: Float32Array | Uint32Array): void {
  writeFileSync(file, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

// ----------------------------------------------------------------------------------------------- our runs
interface OurRun {
  seconds: number;
  cpuSeconds: number;
  valLoss: number;
  curve: number[];
}

async function runOurs(w: Workload, threads: number): Promise<OurRun> {
  const train = Uint32Array.from({ length: w.nTrain }, (_, i) => i);
  const val = Uint32Array.from({ length: w.nRows - w.nTrain }, (_, i) => w.nTrain + i);
  const fitOpts = { epochs: w.epochs, batchSize: w.batch, lr: w.lr, seed: SEED, restoreBest: false };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let res: FitResult;
  if (threads === 1) {
    if (w.kind === 'flow') {
      const flow = new ConditionalFlow(w.flow!, { seed: SEED, capacity: w.batch });
      flow.preprocessor = w.pre;
      const D = w.flow!.features;
      res = flow.fit(
        w.rawX!.subarray(0, w.nTrain * D),
        w.rawC!.subarray(0, w.nTrain),
        w.rawX!.subarray(w.nTrain * D),
        w.rawC!.subarray(w.nTrain),
        fitOpts,
      );
    } else {
      const net = new Network(w.net!, { seed: SEED, capacity: w.batch });
      const obj = new NetworkObjective(net, { x: w.x, y: w.y! }, { name: w.kind === 'mlp' ? 'bce' : 'mse' });
      res = fit(obj, train, val, fitOpts);
    }
  } else if (w.kind === 'flow') {
    const D = w.flow!.features;
    ({ result: res } = await trainParallel(
      {
        kind: 'flow',
        spec: w.flow!,
        seed: SEED,
        capacity: Math.ceil(w.batch / threads),
        X: w.rawX!.subarray(0, w.nTrain * D),
        m: w.rawC!.subarray(0, w.nTrain),
        Xval: w.rawX!.subarray(w.nTrain * D),
        mval: w.rawC!.subarray(w.nTrain),
        preprocessor: w.pre,
        fit: fitOpts,
      },
      threads,
    ));
  } else {
    ({ result: res } = await trainParallel(
      {
        kind: 'network',
        spec: w.net!,
        seed: SEED,
        capacity: Math.ceil(w.batch / threads),
        loss: { name: w.kind === 'mlp' ? 'bce' : 'mse' },
        x: w.x,
        y: w.y!,
        train,
        val,
        fit: fitOpts,
      },
      threads,
    ));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  return {
    seconds,
    cpuSeconds: (cu.user + cu.system) / 1e6,
    valLoss: res.valLoss[res.valLoss.length - 1]!,
    curve: res.valLoss,
  };
}

// ----------------------------------------------------------------------------------------------- profile
/** Function index -> export name of the kernels module (V8 profiles name wasm functions by index only). */
function wasmNames(): Map<number, string> {
  const buf = Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0));
  const names = new Map<number, string>();
  let p = 8;
  const leb = () => {
    let r = 0;
    let sh = 0;
    let b: number;
    do {
      b = buf[p++]!;
      r |= (b & 0x7f) << sh;
      sh += 7;
    } while (b & 0x80);
    return r >>> 0;
  };
  while (p < buf.length) {
    const id = buf[p++]!;
    const len = leb();
    const end = p + len;
    if (id === 7) {
      const n = leb();
      for (let i = 0; i < n; i++) {
        const l = leb();
        const name = new TextDecoder().decode(buf.subarray(p, p + l));
        p += l;
        const kind = buf[p++]!;
        const idx = leb();
        if (kind === 0) names.set(idx, name);
      }
    }
    p = end;
  }
  return names;
}

function profileSummary(dir: string): { function: string; self_pct: number }[] {
  const wn = wasmNames();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string }; hitCount?: number }[];
    samples: number[];
  };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const s of prof.samples) {
    const n = byId.get(s)!;
    const url = n.callFrame.url;
    const fn = n.callFrame.functionName;
    const wasm = /^wasm-function\[(\d+)\]$/.exec(fn);
    const name = wasm
      ? `${wn.get(Number(wasm[1])) ?? fn} [wasm kernel]`
      : `${fn || '(anonymous)'}${url ? ` [${path.basename(url)}]` : ''}`;
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const total = prof.samples.length;
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([f, c]) => ({ function: f, self_pct: Math.round((1000 * c) / total) / 10 }));
}

// ----------------------------------------------------------------------------------------------- targets
interface ThreadResult {
  threads: number;
  samples_per_s: number;
  torch_samples_per_s: number | null;
  ratio: number | null;
  val_loss_rel_diff: number | null;
}

/** The issue's targets, evaluated on this run's numbers (wall-clock ratios). */
function targetsOf(
  name: string,
  r: ThreadResult[],
): Record<string, { value: number | null; target: string; met: boolean | null }> {
  const t1 = r.find((x) => x.threads === 1);
  const t2 = r.find((x) => x.threads === 2);
  const out: Record<string, { value: number | null; target: string; met: boolean | null }> = {};
  const check = (key: string, value: number | null | undefined, target: number, label: string) => {
    out[key] = {
      value: value ?? null,
      target: label,
      met: value === null || value === undefined ? null : value >= target,
    };
  };
  if (t1) check('ratio_1_thread', t1.ratio, 1, '>= 1.0');
  if (t2 && name !== 'mlp') check('ratio_2_threads', t2.ratio, 1, '>= 1.0');
  if (name === 'mlp' && t2 && t1?.torch_samples_per_s) {
    check(
      'ours_2_threads_over_torch_1_thread',
      Math.round((100 * t2.samples_per_s) / t1.torch_samples_per_s) / 100,
      2,
      '>= 2.0',
    );
  }
  const worst = Math.max(...r.map((x) => Math.abs(x.val_loss_rel_diff ?? NaN)));
  out.val_loss_within_2pct = {
    value: Number.isFinite(worst) ? worst : null,
    target: '<= 0.02',
    met: Number.isFinite(worst) ? worst <= 0.02 : null,
  };
  return out;
}

// ----------------------------------------------------------------------------------------------- main
function wasmFeatures() {
  const WA = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
  const mod = (op: number[], params: number) =>
    Uint8Array.from([
      0x00,
      0x61,
      0x73,
      0x6d,
      0x01,
      0x00,
      0x00,
      0x00,
      0x01,
      5 + params,
      0x01,
      0x60,
      params,
      ...Array(params).fill(0x7b),
      0x01,
      0x7b,
      0x03,
      0x02,
      0x01,
      0x00,
      0x0a,
      4 + 2 * params + op.length,
      0x01,
      2 + 2 * params + op.length,
      0x00,
      ...Array.from({ length: params }, (_, i) => [0x20, i]).flat(),
      ...op,
      0x0b,
    ]);
  return {
    simd128: WA.validate(mod([0xfd, 0xe4, 0x01], 2)),
    relaxed_simd_fma: WA.validate(mod([0xfd, 0x85, 0x02], 3)),
  };
}

async function main(): Promise<void> {
  const only = new Set(args.only!.split(','));
  if (args['profile-one']) {
    // child mode: one workload, ours, 1 thread, V8's sampling profiler around the fit only
    const [w] = await buildWorkloads(new Set([args['profile-one']]));
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    await runOurs(w!, 1);
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path.join(args['profile-dir']!, 'fit.cpuprofile'), JSON.stringify(profile));
    session.disconnect();
    return;
  }
  const threadList = args.threads!.split(',').map(Number);
  const workloads = await buildWorkloads(only);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-nn-'));
  const jobs = workloads.map((w) => {
    const tensors = initTensors(w);
    let off = 0;
    const manifest = tensors.map((t) => {
      const e = { name: t.name, shape: t.shape, offset: off };
      off += t.data.length;
      return e;
    });
    const flat = new Float32Array(off);
    tensors.forEach((t, i) => flat.set(t.data, manifest[i]!.offset));
    writeF32(path.join(dir, `${w.name}.init.f32`), flat);
    writeF32(path.join(dir, `${w.name}.x.f32`), w.x);
    if (w.y) writeF32(path.join(dir, `${w.name}.y.f32`), w.y);
    if (w.c) writeF32(path.join(dir, `${w.name}.c.f32`), w.c);
    writeF32(path.join(dir, `${w.name}.perm.u32`), permutations(w.nTrain, w.epochs));
    return {
      name: w.name,
      kind: w.kind,
      seed: SEED,
      rows: w.nRows,
      train: w.nTrain,
      epochs: w.epochs,
      batch: w.batch,
      lr: w.lr,
      x: `${w.name}.x.f32`,
      y: w.y ? `${w.name}.y.f32` : undefined,
      c: w.c ? `${w.name}.c.f32` : undefined,
      perm: `${w.name}.perm.u32`,
      init: `${w.name}.init.f32`,
      tensors: manifest,
      model: w.peerModel,
    };
  });
  writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ jobs }));
  const peerScript = path.join(repo, 'bench/peers/nn_torch.py');
  let peerConfig: unknown;
  const results: Record<string, unknown>[] = [];
  for (const w of workloads) {
    const totalFlop = (seconds: number) =>
      (w.epochs * (w.nTrain * w.flopTrain + (w.nRows - w.nTrain) * w.flopFwd + (w.bnPass ? w.nTrain * w.flopFwd : 0))) /
      seconds /
      1e9;
    const perThreads: Record<string, unknown>[] = [];
    for (const T of threadList) {
      log(`${w.name}: ours, ${T} thread(s) ...`);
      const ours = await runOurs(w, T);
      let torch:
        | { seconds: number; cpu_seconds: number; samples_per_s: number; val_loss: number; val_curve: number[] }
        | undefined;
      if (!args['no-peer']) {
        log(`${w.name}: torch, ${T} thread(s) ...`);
        // Debian's torch calls OpenBLAS (pthreads) for GEMMs, whose pool torch.set_num_threads does not govern:
        // every pool is limited to T threads from the environment, read when the libraries load
        const env = {
          ...process.env,
          OMP_NUM_THREADS: String(T),
          OPENBLAS_NUM_THREADS: String(T),
          MKL_NUM_THREADS: String(T),
        };
        const outp = execFileSync('/usr/bin/python3', [peerScript, dir, String(T), w.name], {
          encoding: 'utf8',
          maxBuffer: 1 << 26,
          env,
        });
        const parsed = JSON.parse(outp) as { config: unknown; results: Record<string, typeof torch> };
        peerConfig ??= parsed.config;
        torch = parsed.results[w.name];
      }
      const sps = (w.nTrain * w.epochs) / ours.seconds;
      perThreads.push({
        threads: T,
        samples_per_s: Math.round(sps),
        torch_samples_per_s: torch ? Math.round(torch.samples_per_s) : null,
        ratio: torch ? Math.round((100 * sps) / torch.samples_per_s) / 100 : null,
        seconds: Math.round(ours.seconds * 100) / 100,
        torch_seconds: torch ? Math.round(torch.seconds * 100) / 100 : null,
        // CPU seconds (all threads) of the same fits: less sensitive to other processes sharing the cores
        cpu_seconds: Math.round(ours.cpuSeconds * 100) / 100,
        torch_cpu_seconds: torch ? Math.round(torch.cpu_seconds * 100) / 100 : null,
        ratio_cpu: torch ? Math.round((100 * torch.cpu_seconds) / ours.cpuSeconds) / 100 : null,
        gflops: Math.round(totalFlop(ours.seconds) * 10) / 10,
        torch_gflops: torch ? Math.round(totalFlop(torch.seconds) * 10) / 10 : null,
        val_loss: Number(ours.valLoss.toFixed(5)),
        torch_val_loss: torch ? Number(torch.val_loss.toFixed(5)) : null,
        val_loss_rel_diff: torch
          ? Number(((ours.valLoss - torch.val_loss) / Math.abs(torch.val_loss)).toFixed(4))
          : null,
        val_curve: ours.curve.map((v) => Number(v.toFixed(5))),
        torch_val_curve: torch ? torch.val_curve.map((v) => Number(v.toFixed(5))) : null,
      });
      log(`  ${JSON.stringify(perThreads[perThreads.length - 1])}`);
    }
    const entry: Record<string, unknown> = {
      workload: w.name,
      description: w.description,
      batch: w.batch,
      epochs: w.epochs,
      train_rows: w.nTrain,
      val_rows: w.nRows - w.nTrain,
      flop_per_train_row: w.flopTrain,
      flop_per_eval_row: w.flopFwd,
      results: perThreads,
      targets: targetsOf(w.name, perThreads as unknown as ThreadResult[]),
    };
    if (args.profile) {
      const pdir = mkdtempSync(path.join(os.tmpdir(), 'bench-nn-prof-'));
      execFileSync(
        process.execPath,
        [
          fileURLToPath(import.meta.url),
          '--profile-one',
          w.name,
          '--profile-dir',
          pdir,
          '--scale',
          String(scale),
          '--dir',
          args.dir!,
        ],
        { stdio: 'ignore' },
      );
      entry.profile_1_thread = profileSummary(pdir);
      rmSync(pdir, { recursive: true, force: true });
    }
    results.push(entry);
  }
  rmSync(dir, { recursive: true, force: true });
  const report = {
    bench: 'nn',
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      loadavg_at_end: os.loadavg().map((v) => Math.round(v * 100) / 100),
      node: process.version,
      v8: process.versions.v8,
      backend: defaultBackend(),
      wasm: wasmFeatures(),
    },
    peer: peerConfig ?? null,
    ratio_cpu: 'torch CPU seconds / our CPU seconds for the same work (process-wide, all threads)',
    method:
      'same data, initial weights, batch order, architecture, batch, Adam and epochs; ours at 1 thread ' +
      'in-process, 2 threads on worker threads with deterministic gradient reduction; torch.set_num_threads(n). ' +
      'Times are wall seconds of the whole fit incl. per-epoch validation. Dropout masks differ (each side its ' +
      'own generator).',
    workloads: results,
  };
  console.log(JSON.stringify(report, null, args.json ? 0 : 2));
}

await main();
