/**
 * CATHODE (seed 003; Hallin et al., arXiv:2109.00546): a conditional normalising flow p(x | mjj) is trained on the
 * sideband events, where no signal is expected; SR masses are drawn from a KDE of the SR data's mjj
 * (./kde.ts) and the flow, interpolated into the SR, samples k features per mass (oversampling ×k, default 4).
 * The samples are the SR background template; a classifier of template against SR data then looks for what the
 * data have that the interpolated background lacks. Unlike the sideband reference, features that vary with mjj
 * are modelled at the SR's own masses, so a mass-correlated feature does not by itself tell SR from template.
 *
 * The flow (src/nn/flows) is CATHODE's MAF (affine MADE blocks with batch norm and reversals; the paper: 15 blocks
 * × 128 units, here 5 × 64 by default, sized for a CPU) or a rational-quadratic spline flow, on logit-preprocessed
 * features (min–max over all sideband events, widened by 2 % so that held-out and generated events stay finite;
 * the Jacobian is carried by the preprocessing, so log-likelihoods are those of the raw features). Training holds
 * out a fraction of the sideband events and keeps the best validation epoch.
 */
import { deriveSeed, iota, mulberry32, shuffleInPlace } from '../classify/random.js';
import { ConditionalFlow, type FlowFitOptions, type FlowSpec } from '../nn/flows/flow.js';
import { fitPreprocessor } from '../nn/flows/preprocess.js';
import type { Schedule } from '../nn/optim.js';
import { fitKde1d, sampleKde1d } from './kde.js';
import {
  columnsOf,
  regionMasks,
  requireEvents,
  rowMajor,
  type BackgroundModel,
  type SrTemplate,
  type TemplateInput,
} from './template.js';

export interface FlowNetworkOptions {
  type: 'maf' | 'rqs';
  blocks: number;
  hidden: number;
  batchNorm: boolean;
  /** rqs: spline bins. */
  bins?: number;
}

export interface FlowTrainingOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /** Fraction of the training events held out for early stopping / best-epoch selection. */
  validationFraction: number;
  /** Epochs without improvement before stopping (0 = run every epoch). */
  patience: number;
  /** Cosine learning-rate decay over the epochs. */
  cosine: boolean;
}

export interface CathodeOptions {
  /** Template events per SR data event (seed 003: 4). */
  oversample: number;
  flow: FlowNetworkOptions;
  training: FlowTrainingOptions;
}

export const defaultFlowNetwork: FlowNetworkOptions = { type: 'maf', blocks: 5, hidden: 64, batchNorm: true };
export const defaultFlowTraining: FlowTrainingOptions = {
  epochs: 100,
  batchSize: 256,
  lr: 1e-3,
  weightDecay: 1e-6,
  validationFraction: 0.2,
  patience: 0,
  cosine: true,
};
export const defaultCathodeOptions: CathodeOptions = {
  oversample: 4,
  flow: defaultFlowNetwork,
  training: defaultFlowTraining,
};

/** Fewest sideband events a flow is trained on. */
const MIN_TRAIN_EVENTS = 200;
/** Fewest SR events the mass KDE is built from. */
const MIN_SR_EVENTS = 20;

/** The logit preprocessing's widening of each feature's range (fraction of the range, on both sides). */
export const FLOW_MARGIN = 0.02;

/** The flow spec of the options for D features and one context (mjj). */
export function flowSpec(net: FlowNetworkOptions, D: number, context = 1): FlowSpec {
  return {
    type: net.type,
    features: D,
    context,
    blocks: net.blocks,
    hidden: net.hidden,
    batchNorm: net.batchNorm,
    ...(net.type === 'rqs' ? { bins: net.bins ?? 8 } : {}),
  };
}

export function networkName(net: FlowNetworkOptions): string {
  return `${net.type} ${net.blocks}x${net.hidden}${net.batchNorm ? ' bn' : ''}`;
}

/** Rows of `mask` whose features and mjj are all finite (a flow cannot take NaN), as a new mask and count. */
export function finiteRows(columns: Float32Array[], mjj: Float32Array, mask: Uint8Array): [Uint8Array, number] {
  const out = new Uint8Array(mask.length);
  let k = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i] || !Number.isFinite(mjj[i]!)) continue;
    let ok = true;
    for (const c of columns) ok &&= Number.isFinite(c[i]!);
    if (ok) {
      out[i] = 1;
      k++;
    }
  }
  return [out, k];
}

/** 0..n-1 shuffled by `rand`; the first nVal of them (tr.validationFraction, at least one) validate. */
export function validationSplit(
  n: number,
  tr: FlowTrainingOptions,
  rand: () => number,
): { order: Uint32Array; nVal: number } {
  const order = shuffleInPlace(iota(n), rand);
  return { order, nVal: tr.validationFraction > 0 ? Math.max(1, Math.floor(n * tr.validationFraction)) : 0 };
}

/** fit() options of every template flow: AdamW, the optional cosine schedule, patience only with validation rows. */
export function flowFitOptions(tr: FlowTrainingOptions, validates: boolean, seed: number): FlowFitOptions {
  const schedule: Schedule | undefined = tr.cosine ? { type: 'cosine', tMax: tr.epochs } : undefined;
  return {
    epochs: tr.epochs,
    batchSize: tr.batchSize,
    lr: tr.lr,
    optimizer: 'adamw',
    weightDecay: tr.weightDecay,
    ...(schedule ? { schedule } : {}),
    ...(tr.patience > 0 && validates ? { patience: tr.patience } : {}),
    seed,
  };
}

/** The finite sideband events of a window as a row-major matrix and their masses (at least MIN_TRAIN_EVENTS). */
export function sidebandSample(
  name: string,
  input: TemplateInput,
): { regions: ReturnType<typeof regionMasks>; X: Float32Array; m: Float32Array; nSb: number } {
  const regions = regionMasks(input);
  const [sb, nSb] = finiteRows(input.columns, input.mjj, regions.sb);
  requireEvents(name, 'in the sidebands', nSb, MIN_TRAIN_EVENTS);
  const X = rowMajor(input.columns, sb, nSb);
  const m = new Float32Array(nSb);
  for (let i = 0, k = 0; i < sb.length; i++) if (sb[i]) m[k++] = input.mjj[i]!;
  return { regions, X, m, nSb };
}

/**
 * Train a conditional flow p(x | m) on row-major X (n x D) and masses m, holding out a seeded fraction for
 * validation; the preprocessing is fitted on all rows. Returns the flow with its best validation epoch's weights
 * (`inputGradient`: built to serve as a frozen base of another flow, as CURTAINS' map needs).
 */
export function trainConditionalFlow(
  X: Float32Array,
  m: Float32Array,
  D: number,
  net: FlowNetworkOptions,
  tr: FlowTrainingOptions,
  seed: number,
  context = 1,
  inputGradient = false,
): ConditionalFlow {
  const n = X.length / D;
  const { order, nVal } = validationSplit(n, tr, mulberry32(deriveSeed(seed, 11)));
  const take = (rows: Uint32Array, src: Float32Array, w: number) => {
    const out = new Float32Array(rows.length * w);
    for (let k = 0; k < rows.length; k++) for (let j = 0; j < w; j++) out[k * w + j] = src[rows[k]! * w + j]!;
    return out;
  };
  const trainRows = order.subarray(nVal);
  const valRows = order.subarray(0, nVal);
  const flow = new ConditionalFlow(flowSpec(net, D, context), {
    seed: deriveSeed(seed, 12),
    capacity: tr.batchSize,
    inputGradient,
  });
  flow.preprocessor = fitPreprocessor(X, m, D, context, { kind: 'logit', margin: FLOW_MARGIN });
  flow.fit(
    take(trainRows, X, D),
    take(trainRows, m, context),
    nVal > 0 ? take(valRows, X, D) : null,
    nVal > 0 ? take(valRows, m, context) : null,
    flowFitOptions(tr, nVal > 0, deriveSeed(seed, 13)),
  );
  return flow;
}

export class Cathode implements BackgroundModel {
  readonly name = 'cathode';
  constructor(readonly options: CathodeOptions = defaultCathodeOptions) {}

  template(input: TemplateInput): SrTemplate {
    const t0 = performance.now();
    const o = this.options;
    const D = input.columns.length;
    const { regions, X, m, nSb } = sidebandSample(this.name, input);
    requireEvents(this.name, 'in the signal region', regions.nSr, MIN_SR_EVENTS);
    const flow = trainConditionalFlow(X, m, D, o.flow, o.training, input.seed);

    // SR masses from a KDE of the SR data's mjj, k per SR event.
    const srMjj = new Float64Array(regions.nSr);
    for (let i = 0, k = 0; i < regions.sr.length; i++) if (regions.sr[i]) srMjj[k++] = input.mjj[i]!;
    const nT = Math.round(o.oversample * regions.nSr);
    const masses = sampleKde1d(fitKde1d(srMjj, input.sr[0], input.sr[1]), nT, deriveSeed(input.seed, 21));
    const samples = flow.sample(nT, masses, deriveSeed(input.seed, 22));
    const tr = flow.training!;
    return {
      features: input.features,
      columns: columnsOf(samples, D),
      mjj: masses,
      weight: new Float32Array(nT).fill(1 / o.oversample),
      n: nT,
      info: {
        model: this.name,
        trainEvents: nSb,
        srEvents: regions.nSr,
        templateEvents: nT,
        oversample: o.oversample,
        trainSeconds: (performance.now() - t0) / 1000,
        epochs: tr.epochs,
        bestEpoch: tr.bestEpoch,
        ...(tr.valLoss.length ? { validationLoss: tr.valLoss[tr.bestEpoch - 1]! } : {}),
        network: networkName(o.flow),
      },
    };
  }
}
