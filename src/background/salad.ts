/**
 * SALAD (seed 000 §V.B; Andreassen, Nachman and Shih, arXiv:2001.05001): simulation reweighted to data. In the
 * sidebands, where no signal is expected, a classifier A learns simulation (label 0) against data (label 1) from
 * the features and mjj, so it is parameterised in mjj and interpolates into the signal region; each simulated SR
 * event i then gets the weight w_i = A(i) / (1 − A(i)), the likelihood-ratio trick's estimate of the density ratio
 * p_data / p_sim at its features and mass. The weighted SR simulation is the background template, and the
 * template-vs-data classifier in the SR (src/analysis/cwola-selection.ts) looks for what data have beyond it.
 *
 * Unlike CATHODE and CURTAINS, SALAD generates nothing: the template has as many events as the simulation has in
 * the SR, and its fidelity is bounded by how well the simulation's mismodelling varies smoothly with mjj.
 *
 * The classifier is seed 000 App. A's reweighter: 64-64-64-1 MLP, ReLU, 5 % dropout, Adam 1e-3, batch 512, half
 * the sideband events for training and half for validation, up to 200 epochs with early stopping (patience 25);
 * the two classes are given equal total weight, so w estimates the ratio of the normalised densities, and the
 * template's weights are then scaled to the SR data count. ln w is clipped to ±ln maxWeight (a handful of events
 * at the edges of the simulation's support would otherwise carry the template). `ensemble: k` averages the
 * log-odds of k reweighters, each on its own hold-out (the seed: one).
 */
import { deriveSeed, iota, mulberry32, shuffleInPlace } from '../classify/random.js';
import type { MlpParams } from '../classify/mlp.js';
import { predictMlp, trainMlp } from '../classify/mlp-nn.js';
import { SidebandError } from '../events/errors.js';
import { finiteRows } from './cathode.js';
import { regionMasks, requireEvents, type BackgroundModel, type SrTemplate, type TemplateInput } from './template.js';

export interface ReweighterOptions {
  hidden: number[];
  dropout: number;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  /** Epochs without improvement of the validation loss before stopping (0 = run every epoch). */
  patience: number;
  /** Fraction of the sideband events held out for early stopping (seed 000: half). */
  validationFraction: number;
  /** Reweighters averaged (their mean log-odds), each on its own hold-out (seed 000: one). */
  ensemble: number;
}

export interface SaladOptions {
  reweighter: ReweighterOptions;
  /** Largest weight (and smallest, its inverse) a simulated event may get. */
  maxWeight: number;
}

/** Seed 000 App. A. */
export const defaultReweighter: ReweighterOptions = {
  hidden: [64, 64, 64],
  dropout: 0.05,
  learningRate: 1e-3,
  batchSize: 512,
  maxEpochs: 200,
  patience: 25,
  validationFraction: 0.5,
  ensemble: 1,
};

export const defaultSaladOptions: SaladOptions = { reweighter: defaultReweighter, maxWeight: 20 };

/** Fewest sideband events of each sample (simulation, data) the reweighter is trained on. */
const MIN_TRAIN_EVENTS = 200;
/** Fewest simulated SR events a template is made of, and SR data events it stands for. */
const MIN_SR_EVENTS = 20;

/** The simulated events of a window (features in the data's order). */
export type SimulationSample = NonNullable<TemplateInput['simulation']>;

/** The reweighter trained on the sidebands, and what it reports. */
export interface SaladReweighter {
  /** Weight p_data / p_sim of each of the given events (columns in feature order, then mjj), clipped. */
  weights(columns: Float32Array[], mjj: Float32Array): { w: Float32Array; clipped: number };
  simulationEvents: number;
  dataEvents: number;
  epochs: number;
  bestEpoch: number;
  validationLoss?: number;
}

/**
 * Train the mjj-parameterised classifier of simulation (0) against data (1) on the rows of `sim` and `data`
 * marked in their masks.
 */
export function trainReweighter(
  data: { columns: Float32Array[]; mjj: Float32Array; weight?: Float32Array; mask: Uint8Array },
  sim: { columns: Float32Array[]; mjj: Float32Array; weight?: Float32Array; mask: Uint8Array },
  o: SaladOptions,
  seed: number,
): SaladReweighter {
  const D = data.columns.length;
  if (sim.columns.length !== D)
    throw new SidebandError(`background salad: simulation has ${sim.columns.length} features, data ${D}`);
  const count = (m: Uint8Array) => m.reduce((a, v) => a + v, 0);
  const nS = count(sim.mask);
  const nD = count(data.mask);
  requireEvents('salad', 'of simulation in the sidebands', nS, MIN_TRAIN_EVENTS);
  requireEvents('salad', 'of data in the sidebands', nD, MIN_TRAIN_EVENTS);
  const n = nS + nD;
  // Features then mjj, simulation rows first.
  const columns = Array.from({ length: D + 1 }, () => new Float32Array(n));
  const y = new Uint8Array(n);
  const weight = new Float32Array(n);
  let sumS = 0;
  let sumD = 0;
  let k = 0;
  const fill = (s: typeof sim, label: 0 | 1) => {
    for (let i = 0; i < s.mask.length; i++) {
      if (!s.mask[i]) continue;
      for (let j = 0; j < D; j++) columns[j]![k] = s.columns[j]![i]!;
      columns[D]![k] = s.mjj[i]!;
      y[k] = label;
      const w = s.weight ? s.weight[i]! : 1;
      weight[k] = w;
      if (label) sumD += w;
      else sumS += w;
      k++;
    }
  };
  fill(sim, 0);
  fill(data, 1);
  // Equal total weight per class (mean weight 1 overall), so that A / (1 - A) is the ratio of normalised densities.
  for (let i = 0; i < n; i++) weight[i] = (weight[i]! * n) / (2 * (y[i] ? sumD : sumS));
  const r = o.reweighter;
  const members = Array.from({ length: r.ensemble }, (_, k) => {
    // Each member its own hold-out and initialisation; member 0 is the seed's single reweighter.
    const { rows, validationRows } = stratifiedHoldOut(y, r.validationFraction, deriveSeed(seed, 31 + k));
    const params: MlpParams = {
      hidden: r.hidden,
      dropout: r.dropout,
      learningRate: r.learningRate,
      batchSize: r.batchSize,
      maxEpochs: r.maxEpochs,
      // patience 0: every epoch runs (the engine's fit stops at once on a patience of 0), the best one kept.
      patience: r.patience > 0 ? r.patience : r.maxEpochs,
      seed: k === 0 ? seed : deriveSeed(seed, 41 + k),
    };
    const model = trainMlp({ columns, y, weight, rows, ...(validationRows ? { validationRows } : {}) }, params);
    const vl = model.validationLoss;
    let best = 0;
    for (let e = 1; e < vl.length; e++) if (vl[e]! < vl[best]!) best = e;
    return { model, best: vl.length ? best + 1 : model.epochs, loss: vl.length ? vl[best]! : undefined };
  });
  const mean = (f: (m: (typeof members)[number]) => number) => members.reduce((a, m) => a + f(m), 0) / members.length;
  const lMax = Math.log(o.maxWeight);
  const loss = members.every((m) => m.loss !== undefined) ? mean((m) => m.loss!) : undefined;
  return {
    simulationEvents: nS,
    dataEvents: nD,
    epochs: Math.round(mean((m) => m.model.epochs)),
    bestEpoch: Math.round(mean((m) => m.best)),
    ...(loss !== undefined ? { validationLoss: loss } : {}),
    weights(cols, mjj) {
      // The members' mean log-odds: ln w = mean_k ln(A_k / (1 - A_k)), clipped to ±ln(maxWeight).
      const logit = new Float64Array(mjj.length);
      for (const m of members) {
        const a = predictMlp(m.model, [...cols, mjj]);
        for (let i = 0; i < a.length; i++) {
          const p = Math.min(Math.max(a[i]!, 1e-12), 1 - 1e-12);
          logit[i]! += Math.log(p / (1 - p)) / members.length;
        }
      }
      const w = new Float32Array(mjj.length);
      let clipped = 0;
      for (let i = 0; i < w.length; i++) {
        let l = logit[i]!;
        if (l > lMax || l < -lMax) {
          clipped++;
          l = l > lMax ? lMax : -lMax;
        }
        w[i] = Math.exp(l);
      }
      return { w, clipped };
    },
  };
}

export class Salad implements BackgroundModel {
  readonly name = 'salad';
  constructor(readonly options: SaladOptions = defaultSaladOptions) {}

  template(input: TemplateInput): SrTemplate {
    const t0 = performance.now();
    const sim = input.simulation;
    if (!sim)
      throw new SidebandError(
        'background salad: no simulated events (a topology declares them as a `simulation:` source)',
        { retriable: false },
      );
    const D = input.columns.length;
    const dataRegions = regionMasks(input);
    const simRegions = regionMasks({ mjj: sim.mjj, sr: input.sr, sb: input.sb });
    requireEvents(this.name, 'of data in the signal region', dataRegions.nSr, MIN_SR_EVENTS);
    const [dataSb] = finiteRows(input.columns, input.mjj, dataRegions.sb);
    const [simSb] = finiteRows(sim.columns, sim.mjj, simRegions.sb);
    const [simSr, nSimSr] = finiteRows(sim.columns, sim.mjj, simRegions.sr);
    requireEvents(this.name, 'of simulation in the signal region', nSimSr, MIN_SR_EVENTS);
    const rw = trainReweighter(
      { columns: input.columns, mjj: input.mjj, ...(input.weight ? { weight: input.weight } : {}), mask: dataSb },
      { ...sim, mask: simSb },
      this.options,
      input.seed,
    );
    // The simulated SR events, each with its weight, scaled so the template stands for the SR data count.
    const columns = Array.from({ length: D }, () => new Float32Array(nSimSr));
    const mjj = new Float32Array(nSimSr);
    const prior = new Float64Array(nSimSr);
    for (let i = 0, k = 0; i < simSr.length; i++) {
      if (!simSr[i]) continue;
      for (let j = 0; j < D; j++) columns[j]![k] = sim.columns[j]![i]!;
      mjj[k] = sim.mjj[i]!;
      prior[k] = sim.weight ? sim.weight[i]! : 1;
      k++;
    }
    const { w, clipped } = rw.weights(columns, mjj);
    let sum = 0;
    let sum2 = 0;
    for (let k = 0; k < nSimSr; k++) {
      const v = w[k]! * prior[k]!;
      sum += v;
      sum2 += v * v;
    }
    const nSr = sumWeights(dataRegions.sr, input.weight);
    const scale = nSr / sum;
    const weight = new Float32Array(nSimSr);
    for (let k = 0; k < nSimSr; k++) weight[k] = w[k]! * prior[k]! * scale;
    const r = this.options.reweighter;
    return {
      features: input.features,
      columns,
      mjj,
      weight,
      n: nSimSr,
      info: {
        model: this.name,
        trainEvents: rw.simulationEvents + rw.dataEvents,
        srEvents: dataRegions.nSr,
        templateEvents: nSimSr,
        oversample: nSimSr / dataRegions.nSr,
        trainSeconds: (performance.now() - t0) / 1000,
        epochs: rw.epochs,
        bestEpoch: rw.bestEpoch,
        ...(rw.validationLoss !== undefined ? { validationLoss: rw.validationLoss } : {}),
        network: `mlp ${r.hidden.join('x')}${r.ensemble > 1 ? ` x${r.ensemble}` : ''} (features + mjj)`,
        reweighting: {
          simulationSbEvents: rw.simulationEvents,
          dataSbEvents: rw.dataEvents,
          clipped,
          // Kish's effective number of template events: what the weights leave of the simulation's statistics.
          effectiveEvents: (sum * sum) / sum2,
        },
      },
    };
  }
}

/** A seeded hold-out of `fraction` of each class (seed 000: half), the rest for training. */
function stratifiedHoldOut(
  y: Uint8Array,
  fraction: number,
  seed: number,
): { rows: Uint32Array; validationRows?: Uint32Array } {
  if (!(fraction > 0)) return { rows: iota(y.length) };
  const rand = mulberry32(seed);
  const train: number[] = [];
  const val: number[] = [];
  for (const label of [0, 1]) {
    const idx = shuffleInPlace(Uint32Array.from(iota(y.length).filter((i) => y[i] === label)), rand);
    const nVal = Math.round(fraction * idx.length);
    for (let k = 0; k < idx.length; k++) (k < nVal ? val : train).push(idx[k]!);
  }
  return { rows: Uint32Array.from(train), validationRows: Uint32Array.from(val) };
}

function sumWeights(mask: Uint8Array, weight?: Float32Array): number {
  let s = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) s += weight ? weight[i]! : 1;
  return s;
}
