/**
 * The background models by name (the topology's `background:` block) and the one step a window runs: fit the
 * model on the window's events, generate the SR template, and measure its fidelity against the SR data and,
 * where the events carry truth labels, against the true SR background.
 */
import { SidebandError } from '../events/errors.js';
import {
  Cathode,
  defaultCathodeOptions,
  type CathodeOptions,
  type FlowNetworkOptions,
  type FlowTrainingOptions,
} from './cathode.js';
import { Curtains, defaultCurtainsOptions } from './curtains.js';
import { Salad, defaultSaladOptions, type ReweighterOptions } from './salad.js';
import { templateDistributions } from './distributions.js';
import { MIN_FIDELITY_EVENTS, templateFidelity } from './fidelity.js';
import { regionMasks, type BackgroundModel, type SrTemplate, type TemplateInput } from './template.js';

export type BackgroundModelName = 'sideband' | 'cathode' | 'curtains' | 'salad';

export interface BackgroundConfig {
  model: BackgroundModelName;
  /** CATHODE: template events per SR event; CURTAINS: times every sideband event is mapped into the SR. */
  oversample: number;
  flow: FlowNetworkOptions;
  /** CURTAINS: the mass-to-mass map's network. */
  transport: FlowNetworkOptions;
  /** CURTAINS: bin width (GeV) of the sideband mjj fit the SR masses are drawn from, and its √s. */
  massBinWidth: number;
  sqrtS: number;
  training: FlowTrainingOptions;
  /** Measure the template's fidelity in every window (two extra 5-fold HGB trainings). */
  fidelity: boolean;
  /**
   * Template models per window, each from its own seed (an ensemble): classifier member m learns against template
   * m mod templates, so the spread over members, which the fit takes as its per-bin uncertainty, includes the
   * templates' (seed 000 trains its templates as ensembles for this).
   */
  templates: number;
  /** SALAD: the mjj-parameterised simulation-vs-data classifier, and the clip of its weights. */
  reweighter: ReweighterOptions;
  maxWeight: number;
}

export const defaultBackgroundConfig: BackgroundConfig = {
  model: 'sideband',
  oversample: defaultCathodeOptions.oversample,
  flow: { ...defaultCathodeOptions.flow },
  transport: { ...defaultCurtainsOptions.transport },
  massBinWidth: defaultCurtainsOptions.massBinWidth,
  sqrtS: defaultCurtainsOptions.sqrtS,
  training: { ...defaultCathodeOptions.training },
  fidelity: true,
  templates: 1,
  reweighter: { ...defaultSaladOptions.reweighter },
  maxWeight: defaultSaladOptions.maxWeight,
};

export function resolveBackgroundConfig(c: Partial<BackgroundConfig> = {}): BackgroundConfig {
  return {
    ...defaultBackgroundConfig,
    ...c,
    flow: { ...defaultBackgroundConfig.flow, ...c.flow },
    transport: { ...defaultBackgroundConfig.transport, ...c.transport },
    training: { ...defaultBackgroundConfig.training, ...c.training },
    reweighter: { ...defaultBackgroundConfig.reweighter, ...c.reweighter },
  };
}

/** Whether the model reweights simulated events (and so needs a topology's `simulation:` source). */
export function needsSimulation(c: Pick<BackgroundConfig, 'model'> | undefined): boolean {
  return c?.model === 'salad';
}

/** Whether the model learns a template (every model but the sideband reference). */
export function isLearnedTemplate(c: Pick<BackgroundConfig, 'model'> | undefined): boolean {
  return !!c && c.model !== 'sideband';
}

export function backgroundModel(c: BackgroundConfig): BackgroundModel {
  switch (c.model) {
    case 'cathode': {
      const o: CathodeOptions = { oversample: c.oversample, flow: c.flow, training: c.training };
      return new Cathode(o);
    }
    case 'salad':
      return new Salad({ reweighter: c.reweighter, maxWeight: c.maxWeight });
    case 'curtains':
      return new Curtains({
        oversample: c.oversample,
        flow: c.flow,
        transport: c.transport,
        training: c.training,
        massBinWidth: c.massBinWidth,
        sqrtS: c.sqrtS,
      });
    default:
      throw new SidebandError(`background: model '${c.model}' learns no template`);
  }
}

/**
 * Fit, generate, and measure: the template of one window with its fidelity in `info.fidelity`. `label` (truth:
 * 1 = signal) adds the AUC against the true SR background.
 */
export function learnTemplate(input: TemplateInput, c: BackgroundConfig, label?: Uint8Array): SrTemplate {
  const tpl = backgroundModel(c).template(input);
  const { sr } = regionMasks(input);
  const pick = (want: (i: number) => boolean) => {
    let k = 0;
    for (let i = 0; i < sr.length; i++) if (want(i)) k++;
    const cols = input.columns.map(() => new Float32Array(k));
    k = 0;
    for (let i = 0; i < sr.length; i++) {
      if (!want(i)) continue;
      for (let j = 0; j < cols.length; j++) cols[j]![k] = input.columns[j]![i]!;
      k++;
    }
    return { columns: cols };
  };
  const srData = pick((i) => sr[i] === 1);
  const srTruth = label ? pick((i) => sr[i] === 1 && label[i] === 0) : undefined;
  tpl.info.distributions = templateDistributions(tpl.features, srData.columns, tpl, srTruth?.columns);
  if (!c.fidelity) return tpl;
  const vsData = templateFidelity(tpl, srData, { seed: input.seed });
  const truth = srTruth ? templateFidelity(tpl, srTruth, { seed: input.seed + 1 }) : undefined;
  const valid = Number.isFinite(vsData.auc);
  // A reweighted template (SALAD) is also measured without its weights: what the reweighting corrected.
  const unweighted = tpl.info.reweighting
    ? {
        vsData: templateFidelity({ columns: tpl.columns }, srData, { seed: input.seed }).auc,
        truth: srTruth ? templateFidelity({ columns: tpl.columns }, srTruth, { seed: input.seed + 1 }).auc : NaN,
      }
    : undefined;
  tpl.info.fidelity = {
    aucVsData: vsData.auc,
    ...(truth && Number.isFinite(truth.auc) ? { aucVsTruth: truth.auc } : {}),
    nullSd: vsData.nullSd,
    valid,
    ...(valid ? {} : { why: `fewer than ${MIN_FIDELITY_EVENTS} SR or template events` }),
    ...(unweighted && Number.isFinite(unweighted.vsData)
      ? {
          unweighted: {
            aucVsData: unweighted.vsData,
            ...(Number.isFinite(unweighted.truth) ? { aucVsTruth: unweighted.truth } : {}),
          },
        }
      : {}),
  };
  return tpl;
}
