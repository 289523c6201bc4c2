/**
 * The seed MLP classifiers of mlp.ts (same presets, signatures, option names and model shape) trained on the
 * project's own neural engine (src/nn: SIMD WebAssembly kernels) instead of TensorFlow.js:
 *  - ATLAS 2024 (seed 000 App. A): 64-64-64-1, ReLU, 5 % dropout, Adam 1e-3, binary cross-entropy, batch 512,
 *    early stopping on the validation loss (patience 10, at most 100 epochs);
 *  - ATLAS 2020 (seed 001): 64-32-8-1, ReLU, sigmoid output, Adam, binary cross-entropy.
 * As in mlp.ts: inputs standardised on the training rows, Glorot-uniform kernels and zero biases (TensorFlow.js's
 * defaults), a linear output unit with the sigmoid folded into the weighted loss, the best validation epoch's
 * weights restored. The presets and model shape are mlp.ts's, shared with the TensorFlow.js backend.
 */
import type { NumericColumn } from './binning.js';
import type { MlpData, MlpModel, MlpParams } from './mlp.js';
import { fit } from '../nn/fit.js';
import { Dense } from '../nn/layers/dense.js';
import { Network } from '../nn/network.js';
import { NetworkObjective } from '../nn/objective.js';
import { dense, network, type LayerSpec } from '../nn/spec.js';
import { SidebandError } from '../events/errors.js';

function denseLayers(net: Network): Dense[] {
  return net.root.modules.map((m) => {
    if (!(m instanceof Dense)) throw new SidebandError(`mlp: unexpected ${m.kind} layer`);
    return m;
  });
}

function gather(columns: NumericColumn[], rows: Uint32Array, mean: Float64Array, std: Float64Array): Float32Array {
  const nF = columns.length;
  const out = new Float32Array(rows.length * nF);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    for (let f = 0; f < nF; f++) out[k * nF + f] = (columns[f]![r]! - mean[f]!) / std[f]!;
  }
  return out;
}

function specOf(hidden: number[], dropout: number): LayerSpec[] {
  return [
    ...hidden.map((units) => dense(units, { activation: 'relu', dropout, init: 'glorot' })),
    dense(1, { init: 'glorot' }),
  ];
}

function toBackend(b: 'tensorflow' | 'wasm' | 'cpu' | undefined): 'auto' | 'wasm' | 'js' {
  return b === 'cpu' ? 'js' : b === 'wasm' ? 'wasm' : 'auto';
}

export interface MlpFitOptions {
  onEpoch?: (epoch: number, maxEpochs: number) => void;
  backend?: 'tensorflow' | 'wasm' | 'cpu';
}

/** Train a network; returns its weights. Early stopping restores the weights of the best validation epoch. */
export async function fitMlp(data: MlpData, params: MlpParams, opts: MlpFitOptions = {}): Promise<MlpModel> {
  return trainMlp(data, params, opts);
}

/** fitMlp without the Promise: the engine trains synchronously (what a background model, itself synchronous, calls). */
export function trainMlp(data: MlpData, params: MlpParams, opts: MlpFitOptions = {}): MlpModel {
  const nF = data.columns.length;
  const mean = new Float64Array(nF);
  const std = new Float64Array(nF);
  for (let f = 0; f < nF; f++) {
    let s = 0;
    let s2 = 0;
    for (const r of data.rows) {
      const v = data.columns[f]![r]!;
      s += v;
      s2 += v * v;
    }
    mean[f] = s / data.rows.length;
    std[f] = Math.sqrt(Math.max(s2 / data.rows.length - mean[f]! ** 2, 0)) || 1;
  }
  const vr = data.validationRows && data.validationRows.length > 0 ? data.validationRows : undefined;
  const all = vr ? Uint32Array.from([...data.rows, ...vr]) : data.rows;
  const x = gather(data.columns, all, mean, std);
  const y = Float32Array.from(all, (r) => data.y[r]!);
  const w = data.weight ? Float32Array.from(all, (r) => data.weight![r]!) : undefined;
  const net = new Network(network(nF, specOf(params.hidden, params.dropout)), {
    seed: params.seed,
    backend: toBackend(opts.backend),
    capacity: params.batchSize,
  });
  const obj = new NetworkObjective(net, { x, y, w }, { name: 'bce' });
  const n = data.rows.length;
  const train = Uint32Array.from({ length: n }, (_, i) => i);
  const val = vr ? Uint32Array.from({ length: vr.length }, (_, i) => n + i) : null;
  const res = fit(obj, train, val, {
    epochs: params.maxEpochs,
    batchSize: params.batchSize,
    lr: params.learningRate,
    patience: val ? params.patience : undefined,
    seed: params.seed,
    onEpoch: (r) => opts.onEpoch?.(r.epoch, params.maxEpochs),
  });
  const layers = denseLayers(net).map((d) => ({
    kernel: net.params.read(d.W),
    bias: net.params.read(d.b!),
    units: d.units,
  }));
  return {
    kind: 'mlp',
    backend: `nn-${net.heap.kind}`,
    nFeatures: nF,
    mean,
    std,
    layers,
    validationLoss: res.valLoss,
    epochs: res.epochs,
  };
}

/** Network output (probability) for rows of the columns: batched through the engine's GEMM kernels. */
export function predictMlp(model: MlpModel, columns: NumericColumn[], rows?: Uint32Array): Float64Array {
  const idx = rows ?? Uint32Array.from({ length: columns[0]!.length }, (_, i) => i);
  const x = gather(columns, idx, model.mean, model.std);
  const net = new Network(
    network(
      model.nFeatures,
      model.layers.map((l, i) => dense(l.units, i < model.layers.length - 1 ? { activation: 'relu' } : {})),
    ),
    { capacity: 4096 },
  );
  denseLayers(net).forEach((d, i) => {
    net.params.write(d.W, model.layers[i]!.kernel);
    net.params.write(d.b!, model.layers[i]!.bias);
  });
  const z = net.predict(x, idx.length);
  const out = new Float64Array(idx.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-z[i]!));
  return out;
}
