/**
 * Validation of the topology's `background:` block: which background template the classifier learns the SR data
 * against — the sidebands themselves (`sideband`, CWoLa hunting, the default when the block is absent) or a
 * learned SR template (`cathode`: src/background/cathode.ts; `curtains`: src/background/curtains.ts; `salad`:
 * src/background/salad.ts, simulation reweighted to data, which needs the topology's `simulation:` source) — and
 * the template model's networks, training, oversampling and reweighter. Defaults are src/background/models.ts's.
 */
import { defaultBackgroundConfig } from '../background/models.js';
import { compileBlock, type FieldProblem } from './field-errors.js';

const net = defaultBackgroundConfig.flow;
const tr = defaultBackgroundConfig.training;
const rw = defaultBackgroundConfig.reweighter;
const map = defaultBackgroundConfig.transport;

const network = (d: typeof net) =>
  ({
    type: 'object',
    strict: true,
    default: { ...d },
    props: {
      type: { type: 'enum', values: ['maf', 'rqs'], default: d.type },
      blocks: { type: 'number', integer: true, min: 1, max: 32, default: d.blocks },
      hidden: { type: 'number', integer: true, min: 2, max: 1024, default: d.hidden },
      batchNorm: { type: 'boolean', default: d.batchNorm },
      bins: { type: 'number', integer: true, min: 2, max: 64, optional: true },
    },
  }) as const;

export const backgroundConfigSchema = {
  model: { type: 'enum', values: ['sideband', 'cathode', 'curtains', 'salad'], default: 'sideband' },
  oversample: { type: 'number', positive: true, max: 100, default: defaultBackgroundConfig.oversample },
  fidelity: { type: 'boolean', default: defaultBackgroundConfig.fidelity },
  templates: { type: 'number', integer: true, min: 1, max: 20, default: defaultBackgroundConfig.templates },
  flow: network(net),
  // CURTAINS: the mass-to-mass map, the sideband mjj fit's bin width (GeV) and √s
  transport: network(map),
  massBinWidth: { type: 'number', positive: true, default: defaultBackgroundConfig.massBinWidth },
  sqrtS: { type: 'number', positive: true, default: defaultBackgroundConfig.sqrtS },
  training: {
    type: 'object',
    strict: true,
    default: { ...tr },
    props: {
      epochs: { type: 'number', integer: true, positive: true, default: tr.epochs },
      batchSize: { type: 'number', integer: true, positive: true, default: tr.batchSize },
      lr: { type: 'number', positive: true, default: tr.lr },
      weightDecay: { type: 'number', min: 0, default: tr.weightDecay },
      validationFraction: { type: 'number', min: 0, max: 0.5, default: tr.validationFraction },
      patience: { type: 'number', integer: true, min: 0, default: tr.patience },
      cosine: { type: 'boolean', default: tr.cosine },
    },
  },
  // SALAD's simulation-vs-data classifier (seed 000 App. A) and the clip of its weights.
  reweighter: {
    type: 'object',
    strict: true,
    default: { ...rw, hidden: [...rw.hidden] },
    props: {
      hidden: { type: 'array', items: 'number|integer|min:1|max:1024', min: 1, max: 8, default: [...rw.hidden] },
      dropout: { type: 'number', min: 0, max: 0.9, default: rw.dropout },
      learningRate: { type: 'number', positive: true, default: rw.learningRate },
      batchSize: { type: 'number', integer: true, positive: true, default: rw.batchSize },
      maxEpochs: { type: 'number', integer: true, positive: true, default: rw.maxEpochs },
      patience: { type: 'number', integer: true, min: 0, default: rw.patience },
      validationFraction: { type: 'number', min: 0, max: 0.9, default: rw.validationFraction },
      ensemble: { type: 'number', integer: true, min: 1, max: 20, default: rw.ensemble },
    },
  },
  maxWeight: { type: 'number', min: 1, default: defaultBackgroundConfig.maxWeight },
} as const;

const check = compileBlock(backgroundConfigSchema);

/**
 * The problems of a background block (paths under `background.`); fills defaults in. `simulation`: whether the
 * topology declares a `simulation:` source (SALAD needs one; nothing else reads it).
 */
export function backgroundProblems(
  block: unknown,
  classifierKind: string | undefined,
  simulation = false,
): FieldProblem[] {
  const problems = check(block, 'background');
  const model = (block as { model?: unknown } | null)?.model;
  if (!problems.length && model === 'salad' && !simulation)
    problems.push({
      path: 'simulation',
      what: "background.model 'salad' reweights simulated events: declare them as a `simulation:` source block beside `source:` (e.g. {kind: generator, mode: simulation, events: ...})",
    });
  if (!problems.length && model !== 'sideband' && classifierKind === 'none')
    problems.push({
      path: 'background.model',
      what: 'a learned template needs a classifier (classifier.kind is none)',
      value: model,
    });
  if (!problems.length && model !== 'salad' && simulation)
    problems.push({
      path: 'simulation',
      what: `only background.model 'salad' reads a simulation source (model is ${String(model ?? 'sideband')})`,
    });
  return problems;
}
