/**
 * Multilayer perceptrons on TensorFlow.js, as the seeds trained them:
 *  - ATLAS 2024 (seed 000 App. A): 64-64-64-1, ReLU, 5 % dropout, Adam 1e-3, binary cross-entropy, batch 512,
 *    early stopping on the validation loss (patience 10, at most 100 epochs);
 *  - ATLAS 2020 (seed 001): 64-32-8-1, ReLU, sigmoid output, Adam, binary cross-entropy.
 * TensorFlow.js comes in loaded (src/training/tfjs-backend.ts picks the backend), so this file stays free of module
 * loading and file access. The backend in use is reported with every model. The default backend is the project's
 * own engine (mlp-nn.ts, `classifier.backend: nn`): bench:nn measures it at 1.6–1.8× PyTorch 1.13 on one thread
 * for this network, tfjs-wasm at about 0.15×; this one stays for `classifier.backend: tfjs` (and tfjs-node where
 * it installs).
 */
import type { NumericColumn } from './binning.js';
import type { MlpData, MlpModel, MlpParams } from './mlp.js';
import { mulberry32 } from './random.js';

export type Tf = typeof import('@tensorflow/tfjs');

/** A loaded TensorFlow.js and the name of its backend (src/training/tfjs-backend.ts loads it). */
export interface TfRuntime {
  tf: Tf;
  backend: string;
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

/** Train a network; returns its weights. Early stopping restores the weights of the best validation epoch. */
export async function fitMlp(
  data: MlpData,
  params: MlpParams,
  runtime: TfRuntime,
  opts: { onEpoch?: (epoch: number, maxEpochs: number) => void } = {},
): Promise<MlpModel> {
  const { tf, backend } = runtime;
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
  const rand = mulberry32(params.seed);
  const model = tf.sequential();
  let inDim = nF;
  for (const units of params.hidden) {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        inputShape: [inDim],
        kernelInitializer: tf.initializers.glorotUniform({ seed: Math.floor(rand() * 2 ** 31) }),
      }),
    );
    if (params.dropout > 0) model.add(tf.layers.dropout({ rate: params.dropout, seed: Math.floor(rand() * 2 ** 31) }));
    inDim = units;
  }
  // The output unit is linear here and the sigmoid is folded into the loss (fewer ops per step, stable for large
  // logits); predictMlp applies the sigmoid.
  model.add(
    tf.layers.dense({
      units: 1,
      activation: 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: Math.floor(rand() * 2 ** 31) }),
    }),
  );
  const optimizer = tf.train.adam(params.learningRate);

  const n = data.rows.length;
  const X = gather(data.columns, data.rows, mean, std);
  const Y = new Float32Array(n);
  const W = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    Y[k] = data.y[data.rows[k]!]!;
    W[k] = data.weight ? data.weight[data.rows[k]!]! : 1;
  }
  let vX: import('@tensorflow/tfjs').Tensor2D | undefined;
  let vY: import('@tensorflow/tfjs').Tensor2D | undefined;
  let vW: import('@tensorflow/tfjs').Tensor2D | undefined;
  const vr = data.validationRows && data.validationRows.length > 0 ? data.validationRows : undefined;
  if (vr) {
    vX = tf.tensor2d(gather(data.columns, vr, mean, std), [vr.length, nF]);
    vY = tf.tensor2d(
      Float32Array.from(vr, (r) => data.y[r]!),
      [vr.length, 1],
    );
    vW = tf.tensor2d(
      Float32Array.from(vr, (r) => (data.weight ? data.weight[r]! : 1)),
      [vr.length, 1],
    );
  }
  const bs = params.batchSize;
  // The whole training set lives in backend memory once; each step gathers its batch by an index tensor, so a
  // step creates one small tensor instead of copying three batches in from JS.
  const Xt = tf.tensor2d(X, [n, nF]);
  const Yt = tf.tensor2d(Y, [n, 1]);
  const Wt = tf.tensor2d(W, [n, 1]);
  const perm = new Int32Array(n);
  const bx = new Float32Array(bs * nF);
  const by = new Float32Array(bs);
  const bw = new Float32Array(bs);
  for (let i = 0; i < n; i++) perm[i] = i;
  const validationLoss: number[] = [];
  let best = Infinity;
  let bestWeights: import('@tensorflow/tfjs').Tensor[] | undefined;
  let sinceBest = 0;
  let epochs = 0;
  const weightedBce = (
    logits: import('@tensorflow/tfjs').Tensor,
    y: import('@tensorflow/tfjs').Tensor,
    w: import('@tensorflow/tfjs').Tensor,
  ) =>
    // Weighted mean of softplus(z) − y·z, the binary cross-entropy of sigmoid(z).
    tf.tidy(
      () => tf.softplus(logits).sub(y.mul(logits)).mul(w).sum().div(w.sum()) as import('@tensorflow/tfjs').Scalar,
    );
  for (let epoch = 0; epoch < params.maxEpochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
    }
    for (let s = 0; s < n; s += bs) {
      const m = Math.min(bs, n - s);
      for (let k = 0; k < m; k++) {
        const r = perm[s + k]!;
        for (let f = 0; f < nF; f++) bx[k * nF + f] = X[r * nF + f]!;
        by[k] = Y[r]!;
        bw[k] = W[r]!;
      }
      tf.tidy(() => {
        const xb = tf.tensor2d(bx.subarray(0, m * nF), [m, nF]);
        const yb = tf.tensor2d(by.subarray(0, m), [m, 1]);
        const wb = tf.tensor2d(bw.subarray(0, m), [m, 1]);
        optimizer.minimize(() =>
          weightedBce(model.apply(xb, { training: true }) as import('@tensorflow/tfjs').Tensor, yb, wb),
        );
      });
    }
    epochs = epoch + 1;
    opts.onEpoch?.(epochs, params.maxEpochs);
    if (vX && vY && vW) {
      const lossT = tf.tidy(() => {
        return weightedBce(model.predict(vX) as import('@tensorflow/tfjs').Tensor, vY, vW);
      });
      const loss = (await lossT.data())[0]!;
      lossT.dispose();
      validationLoss.push(loss);
      if (loss < best) {
        best = loss;
        sinceBest = 0;
        for (const t of bestWeights ?? []) t.dispose();
        bestWeights = model.getWeights().map((t) => t.clone());
      } else if (++sinceBest >= params.patience) break;
    }
  }
  Xt.dispose();
  Yt.dispose();
  Wt.dispose();
  if (bestWeights) model.setWeights(bestWeights);
  const layers: MlpModel['layers'] = [];
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length !== 2) continue; // dropout layers carry no weights
    layers.push({
      kernel: (await ws[0]!.data()) as Float32Array,
      bias: (await ws[1]!.data()) as Float32Array,
      units: ws[1]!.shape[0]!,
    });
  }
  for (const t of bestWeights ?? []) t.dispose();
  vX?.dispose();
  vY?.dispose();
  vW?.dispose();
  model.dispose();
  optimizer.dispose();
  return { kind: 'mlp', backend, nFeatures: nF, mean, std, layers, validationLoss, epochs };
}

/**
 * Network output for rows of the columns, in plain TypeScript (inference is a few multiply-adds per event, cheaper
 * than a round trip through a backend, and it needs no TensorFlow.js in the caller's thread).
 */
export function predictMlp(model: MlpModel, columns: NumericColumn[], rows?: Uint32Array): Float64Array {
  const n = rows ? rows.length : columns[0]!.length;
  const out = new Float64Array(n);
  const maxUnits = Math.max(model.nFeatures, ...model.layers.map((l) => l.units));
  let a = new Float64Array(maxUnits);
  let b = new Float64Array(maxUnits);
  for (let k = 0; k < n; k++) {
    const r = rows ? rows[k]! : k;
    let dim = model.nFeatures;
    for (let f = 0; f < dim; f++) a[f] = (columns[f]![r]! - model.mean[f]!) / model.std[f]!;
    for (let li = 0; li < model.layers.length; li++) {
      const { kernel, bias, units } = model.layers[li]!;
      const last = li === model.layers.length - 1;
      for (let u = 0; u < units; u++) {
        let s = bias[u]!;
        for (let i = 0; i < dim; i++) s += a[i]! * kernel[i * units + u]!;
        b[u] = last ? 1 / (1 + Math.exp(-s)) : s > 0 ? s : 0; // linear output unit + sigmoid
      }
      const t = a;
      a = b;
      b = t;
      dim = units;
    }
    out[k] = a[0]!;
  }
  return out;
}
