import FastestValidator from 'fastest-validator';
import { TopologyError } from '../events/errors.js';
import type { HistogramResult, ModelInfo, EvaluationResult } from '../events/result.js';
import type { WindowSnapshot } from '../events/snapshot.js';
import { classifierConfigSchema, closeTrainingPools, selectWithClassifier, type ClassifierConfig } from '../analysis/cwola-selection.js';

type Selection = Array<{ workingPoint: number | null; histogram: HistogramResult; model?: ModelInfo; evaluation?: EvaluationResult }>;

const Validator = FastestValidator as unknown as typeof import('fastest-validator').default;
const check = new Validator({ useNewCustomCheckerFunction: true }).compile({ $$root: true, type: 'object', strict: true, props: { ...classifierConfigSchema } } as never);

/**
 * The stream's view of the classifier: validate the topology's `classifier:` block, then turn each window
 * snapshot into CWoLa-selected mjj histograms (one per working point), training off the event loop.
 */
export function classifierSelector(block: Record<string, unknown>, seed: number, file = 'topology'): {
  select: (snapshot: WindowSnapshot, edges: Float64Array, workingPoints: number[]) => Promise<Selection>;
  model: string;
  close: () => Promise<void>;
} {
  const cfg = { seed, ...block };
  const res = check(cfg);
  if (res !== true) {
    const e = (res as Array<{ field: string; message?: string }>)[0]!;
    throw new TopologyError(e.message ?? 'invalid', { file, path: `classifier.${e.field}` });
  }
  const config = cfg as unknown as ClassifierConfig;
  return {
    model: `cwola-${config.kind}`,
    select: (snapshot, edges, workingPoints) => selectWithClassifier(snapshot, { ...config, workingPoints }, { edges }),
    close: closeTrainingPools,
  };
}
