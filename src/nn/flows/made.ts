/**
 * MADE (Germain et al. 2015) as the conditional autoregressive network of CATHODE's MAF (the masks and layout of
 * ikostrikov/pytorch-flows, which CATHODE's density estimator uses): feature i has degree i, hidden unit h degree
 * h mod (D - 1), a hidden unit sees inputs of degree <= its own, an output for feature j sees hidden units of
 * degree <= j - 1; the context (mjj) feeds every unit of the first hidden layer. The network is a chain of masked
 * dense layers over the row [x_1..x_D, c_1..c_C]; outputs either as chunks [m_1..m_D, a_1..a_D] (affine MAF) or
 * feature-major [p_1,1 .. p_1,P, p_2,1 ...] (P spline parameters per feature).
 * With D = 1 the hidden units see only the context. Hidden units are stored ordered by degree (hiddenDegrees).
 */
import type { Activation } from '../kernels-api.js';
import { Dense } from '../layers/dense.js';
import { Sequential } from '../layers/sequential.js';
import type { InitSpec } from '../params.js';

export interface MadeOptions {
  features: number;
  context: number;
  hidden: number;
  /** Hidden layers (default 2: the joiner and one hidden-to-hidden layer, as pytorch-flows' MADE). */
  hiddenLayers?: number;
  /** Outputs per feature (2 for affine, 3K - 1 for splines). */
  perFeature: number;
  layout: 'chunks' | 'feature-major';
  activation?: Activation;
  /** 'torch' (default): nn.Linear's init per sub-layer; 'orthogonal': orthogonal weights, zero biases (CATHODE). */
  init?: 'torch' | 'orthogonal';
}

/**
 * Hidden-unit degrees: the multiset of pytorch-flows' h mod (D - 1), stored sorted (all degree-0 units, then
 * degree 1, ...). A relabelling of hidden units changes no function the MADE can represent, and sorted degrees
 * make every mask a staircase, so the GEMMs skip the structurally zero blocks (see Dense's reduction ranges).
 */
export function hiddenDegrees(H: number, D: number): Int32Array {
  const deg = new Int32Array(H);
  if (D <= 1) return deg;
  const order = madeHiddenOrder(D, H);
  for (let h = 0; h < H; h++) deg[h] = order[h]! % (D - 1);
  return deg;
}

/** Our hidden unit h is pytorch-flows' unit order[h] (for loading and exporting their weights). */
export function madeHiddenOrder(D: number, H: number): Int32Array {
  const order = new Int32Array(H);
  if (D <= 1) {
    for (let h = 0; h < H; h++) order[h] = h;
    return order;
  }
  let k = 0;
  for (let d = 0; d < D - 1; d++) for (let u = d; u < H; u += D - 1) order[k++] = u;
  return order;
}

/** The 0/1 masks (in x out row-major) of the first, hidden and output layers. */
export function madeMasks(o: MadeOptions): Float32Array[] {
  const D = o.features;
  const C = o.context;
  const H = o.hidden;
  const L = o.hiddenLayers ?? 2;
  const deg = hiddenDegrees(H, D);
  const hiddenDegree = (h: number, _D: number) => deg[h]!;
  const masks: Float32Array[] = [];
  const first = new Float32Array((D + C) * H);
  for (let i = 0; i < D + C; i++) {
    for (let h = 0; h < H; h++) first[i * H + h] = i >= D ? 1 : D > 1 && hiddenDegree(h, D) >= i ? 1 : 0;
  }
  masks.push(first);
  for (let l = 1; l < L; l++) {
    const m = new Float32Array(H * H);
    for (let i = 0; i < H; i++)
      for (let h = 0; h < H; h++) m[i * H + h] = hiddenDegree(h, D) >= hiddenDegree(i, D) ? 1 : 0;
    masks.push(m);
  }
  const out = D * o.perFeature;
  const last = new Float32Array(H * out);
  for (let i = 0; i < H; i++) {
    for (let u = 0; u < out; u++) {
      const j = o.layout === 'chunks' ? u % D : Math.floor(u / o.perFeature);
      last[i * out + u] = D === 1 || j - 1 >= hiddenDegree(i, D) ? 1 : 0;
    }
  }
  masks.push(last);
  return masks;
}

/** The masked dense chain. */
export function buildMade(o: MadeOptions): Sequential {
  const D = o.features;
  const C = o.context;
  const H = o.hidden;
  const L = o.hiddenLayers ?? 2;
  const act = o.activation ?? 'relu';
  const masks = madeMasks(o);
  const ortho = o.init === 'orthogonal';
  const zero: InitSpec = { kind: 'const', value: 0 };
  const layers: Dense[] = [];
  // first layer: x rows with fan-in D, context rows with fan-in C (torch's linear + cond_linear)
  const firstBounds = [
    ...Array<number>(D).fill(1 / Math.sqrt(D)),
    ...Array<number>(C).fill(C > 0 ? 1 / Math.sqrt(C) : 0),
  ];
  layers.push(
    new Dense(H, {
      activation: act,
      mask: masks[0],
      weightInit: ortho
        ? { kind: 'orthogonal', cols: H, groups: C > 0 ? [D, C] : [D] }
        : { kind: 'rows', cols: H, bounds: firstBounds },
      biasInit: ortho ? zero : { kind: 'uniform', bound: 1 / Math.sqrt(D) },
    }),
  );
  for (let l = 1; l < L; l++) {
    layers.push(
      new Dense(H, {
        activation: act,
        mask: masks[l],
        weightInit: ortho ? { kind: 'orthogonal', cols: H, groups: [H] } : undefined,
        biasInit: ortho ? zero : undefined,
      }),
    );
  }
  const out = D * o.perFeature;
  layers.push(
    new Dense(out, {
      mask: masks[L],
      weightInit: ortho ? { kind: 'orthogonal', cols: out, groups: [H] } : undefined,
      biasInit: ortho ? zero : undefined,
    }),
  );
  return new Sequential(layers);
}
