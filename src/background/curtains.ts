/**
 * CURTAINS as the ATLAS 2024 search ran it (seed 000 §V.B; Sengupta et al., "CURTAINs flows for flows",
 * arXiv:2305.04646): the background template of a signal region is the sideband data themselves, each event
 * carried from its own mass into the SR by a learned, mass-conditioned map.
 *  1. A conditional flow p(x | mjj) is trained on the sideband events (the same flow and logit preprocessing as
 *     CATHODE's, ./cathode.ts).
 *  2. A second conditional flow f(x; m₁, m₂) is trained on pairs of masses drawn from the joint sidebands ("flows
 *     for flows"): an event x at m₁ is mapped to u = f(x; m₁, m₂) and scored by the frozen first flow at m₂, loss
 *     −log p(u | m₂) − log|det ∂u/∂x|, so f learns to carry p(x | m₁) onto p(x | m₂). It works in the first flow's
 *     preprocessed space (its Jacobian cancels between the two sides of the map).
 *  3. The sideband mjj spectrum is fitted with the dijet function p₁(1 − x)^p₂ x^−p₃ (x = mjj/√s; the project's
 *     fit engine, src/fit), the fit is interpolated into the SR, and target masses are drawn from it.
 *  4. Every sideband event is mapped m times into the SR, each time to a fresh mass from step 3 (oversampling ×m:
 *     m × n_SB template events; seed 000 generates m × n for n events in the combined SBs).
 * Unlike CATHODE, no feature value is sampled from a latent Gaussian: the template is made of real sideband
 * events moved in mass, so the flow's density only has to be right up to the map, not everywhere.
 */
import { deriveSeed, mulberry32 } from '../classify/random.js';
import { SidebandError } from '../events/errors.js';
import { fitBinned } from '../fit/binned-fit.js';
import { density, fitFunction } from '../fit/functions.js';
import { ConditionalFlow } from '../nn/flows/flow.js';
import { fitPreprocessor, preprocess, unpreprocess } from '../nn/flows/preprocess.js';
import {
  defaultFlowNetwork,
  defaultFlowTraining,
  flowFitOptions,
  flowSpec,
  networkName,
  sidebandSample,
  trainConditionalFlow,
  validationSplit,
  type FlowNetworkOptions,
  type FlowTrainingOptions,
} from './cathode.js';
import { columnsOf, type BackgroundModel, type SrTemplate, type TemplateInput } from './template.js';

export interface CurtainsOptions {
  /** Times every sideband event is mapped into the SR (seed 000: m; template events = m × n_SB). */
  oversample: number;
  /** The sideband density flow (step 1). */
  flow: FlowNetworkOptions;
  /** The mass-to-mass map (step 2): a flow conditioned on (m₁, m₂), without batch norm so that it can stay close to the identity. */
  transport: FlowNetworkOptions;
  training: FlowTrainingOptions;
  /** Bin width of the sideband mjj fit (GeV), and √s of its x = mjj/√s. */
  massBinWidth: number;
  sqrtS: number;
}

export const defaultTransportNetwork: FlowNetworkOptions = { type: 'maf', blocks: 4, hidden: 64, batchNorm: false };

export const defaultCurtainsOptions: CurtainsOptions = {
  oversample: 4,
  flow: defaultFlowNetwork,
  transport: defaultTransportNetwork,
  training: defaultFlowTraining,
  massBinWidth: 50,
  sqrtS: 13000,
};

/** Points of the SR grid the fitted mass density is inverted on. */
const MASS_GRID = 1024;

/**
 * The dijet fit (dijet3) of the sideband mjj spectrum, interpolated into the SR: the inverse CDF of the fitted
 * density over the SR on a fine grid. Throws when the fit fails (too few sideband bins, no convergence).
 */
export function sidebandMassFit(
  mjj: Float32Array,
  sb: [number, number][],
  sr: [number, number],
  binWidth: number,
  sqrtS: number,
): { params: Float64Array; sample: (n: number, seed: number) => Float32Array; pvalue: number } {
  const lo = Math.min(sr[0], ...sb.map((s) => s[0]));
  const hi = Math.max(sr[1], ...sb.map((s) => s[1]));
  const nb = Math.max(1, Math.ceil((hi - lo) / binWidth));
  const los = new Float64Array(nb);
  const his = new Float64Array(nb);
  const counts = new Float64Array(nb);
  const use = new Uint8Array(nb);
  for (let b = 0; b < nb; b++) {
    los[b] = lo + b * binWidth;
    his[b] = Math.min(hi, lo + (b + 1) * binWidth);
    // a bin enters the fit when it lies inside one sideband (never one that reaches into the SR)
    use[b] = sb.some(([a, c]) => los[b]! >= a && his[b]! <= c) ? 1 : 0;
  }
  for (let i = 0; i < mjj.length; i++) {
    const m = mjj[i]!;
    if (!(m >= lo && m < hi)) continue;
    counts[Math.min(nb - 1, Math.floor((m - lo) / binWidth))]! += 1;
  }
  const fn = fitFunction('dijet3');
  const fit = fitBinned(fn, { lo: los, hi: his, counts }, { use, sqrtS });
  if (!fit.converged || !fit.params.every(Number.isFinite))
    throw new SidebandError(`background curtains: the sideband mjj fit failed (${fit.status})`, { retriable: false });
  // inverse CDF on the SR grid (trapezoids of the fitted density)
  const xs = new Float64Array(MASS_GRID + 1);
  const cdf = new Float64Array(MASS_GRID + 1);
  const step = (sr[1] - sr[0]) / MASS_GRID;
  let prev = 0;
  for (let k = 0; k <= MASS_GRID; k++) {
    xs[k] = sr[0] + k * step;
    const d = density(fn, xs[k]! / sqrtS, fit.params);
    if (k > 0) cdf[k] = cdf[k - 1]! + 0.5 * (d + prev) * step;
    prev = d;
  }
  const total = cdf[MASS_GRID]!;
  if (!(total > 0 && Number.isFinite(total)))
    throw new SidebandError('background curtains: the sideband mjj fit predicts no events in the SR', {
      retriable: false,
    });
  const sample = (n: number, seed: number): Float32Array => {
    const rand = mulberry32(seed);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const t = rand() * total;
      let a = 0;
      let b = MASS_GRID;
      while (b - a > 1) {
        const c = (a + b) >> 1;
        if (cdf[c]! <= t) a = c;
        else b = c;
      }
      const w = cdf[b]! - cdf[a]!;
      const m = xs[a]! + (w > 0 ? (t - cdf[a]!) / w : 0.5) * step;
      // [lo, hi): the SR is half-open
      out[i] = m >= sr[1] ? Math.fround(sr[1] - 1e-3 * step) : m;
    }
    return out;
  };
  return { params: fit.params, sample, pvalue: fit.pvalue };
}

/**
 * Train the mass-to-mass map f(x; m₁, m₂) on the base flow's preprocessed sideband rows Z (n x D) at masses m:
 * each row is paired with the mass of a seeded random other sideband row, and the validation rows likewise.
 */
export function trainTransport(
  base: ConditionalFlow,
  Z: Float32Array,
  m: Float32Array,
  D: number,
  net: FlowNetworkOptions,
  tr: FlowTrainingOptions,
  seed: number,
): ConditionalFlow {
  const n = m.length;
  // One stream: the shuffle, then the partner masses.
  const rand = mulberry32(deriveSeed(seed, 31));
  const { order, nVal } = validationSplit(n, tr, rand);
  const part = (rows: Uint32Array) => {
    const k = rows.length;
    const z = new Float32Array(k * D);
    const pair = new Float32Array(2 * k);
    const target = new Float32Array(k);
    for (let r = 0; r < k; r++) {
      const i = rows[r]!;
      for (let j = 0; j < D; j++) z[r * D + j] = Z[i * D + j]!;
      // the partner mass: any sideband event's, both sidebands together (seed 000: all m₁, m₂ pairs in the joint SBs)
      const m2 = m[rows[Math.floor(rand() * k)]!]!;
      pair[2 * r] = m[i]!;
      pair[2 * r + 1] = m2;
      target[r] = m2;
    }
    return { z, pair, target };
  };
  const train = part(order.subarray(nVal));
  const val = nVal > 0 ? part(order.subarray(0, nVal)) : null;
  const flow = new ConditionalFlow(flowSpec(net, D, 2), { seed: deriveSeed(seed, 32), capacity: tr.batchSize });
  flow.preprocessor = fitPreprocessor(train.z, train.pair, D, 2, { kind: 'none' });
  flow.fit(train.z, train.pair, val?.z ?? null, val?.pair ?? null, {
    ...flowFitOptions(tr, val !== null, deriveSeed(seed, 33)),
    base: { flow: base, context: train.target, ...(val ? { contextVal: val.target } : {}) },
  });
  return flow;
}

export class Curtains implements BackgroundModel {
  readonly name = 'curtains';
  constructor(readonly options: CurtainsOptions = defaultCurtainsOptions) {}

  template(input: TemplateInput): SrTemplate {
    const t0 = performance.now();
    const o = this.options;
    if (!(Number.isInteger(o.oversample) && o.oversample >= 1))
      throw new SidebandError(`background curtains: oversample ${o.oversample} must be a whole number >= 1`, {
        retriable: false,
      });
    const D = input.columns.length;
    const { regions, X, m, nSb } = sidebandSample(this.name, input);

    // 1. the sideband density; built with an input gradient, as it is the map's base below
    const base = trainConditionalFlow(X, m, D, o.flow, o.training, input.seed, 1, true);
    const pre = base.preprocessor!;
    const Z = preprocess(pre, X);
    // 2. the map from any sideband mass to any other
    const transport = trainTransport(base, Z, m, D, o.transport, o.training, deriveSeed(input.seed, 30));
    // 3. SR masses from the dijet fit of the sidebands
    const fit = sidebandMassFit(input.mjj, input.sb, input.sr, o.massBinWidth, o.sqrtS);
    const nT = o.oversample * nSb;
    const masses = fit.sample(nT, deriveSeed(input.seed, 41));
    // 4. every sideband event, m times, to a fresh SR mass
    const zRep = new Float32Array(nT * D);
    const pair = new Float32Array(2 * nT);
    for (let r = 0; r < o.oversample; r++) {
      zRep.set(Z, r * nSb * D);
      for (let i = 0; i < nSb; i++) {
        pair[2 * (r * nSb + i)] = m[i]!;
        pair[2 * (r * nSb + i) + 1] = masses[r * nSb + i]!;
      }
    }
    const moved = unpreprocess(pre, transport.transform(zRep, pair).z);
    const tr = transport.training!;
    return {
      features: input.features,
      columns: columnsOf(moved, D),
      mjj: masses,
      weight: new Float32Array(nT).fill(regions.nSr / nT),
      n: nT,
      info: {
        model: this.name,
        trainEvents: nSb,
        srEvents: regions.nSr,
        templateEvents: nT,
        oversample: o.oversample,
        trainSeconds: (performance.now() - t0) / 1000,
        epochs: base.training!.epochs + tr.epochs,
        bestEpoch: tr.bestEpoch,
        ...(tr.valLoss.length ? { validationLoss: tr.valLoss[tr.bestEpoch - 1]! } : {}),
        network: `${networkName(o.flow)} + map ${networkName(o.transport)}`,
      },
    };
  }
}
