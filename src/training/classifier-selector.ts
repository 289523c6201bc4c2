/**
 * The stream's view of the classifier: turns each window snapshot into CWoLa-selected mjj histograms (one per
 * working point), training off the event loop in a pool of worker threads that this selector owns: one pool per
 * compiled run, closed with it.
 */
import { selectWithClassifier } from '../analysis/cwola-selection.js';
import { isLearnedTemplate, type BackgroundConfig } from '../background/models.js';
import { deriveSeed } from '../classify/random.js';
import type { ClassifierConfig } from '../classify/config.js';
import type { OnlineSelection } from '../analysis/online-window.js';
import type { BinMapper } from '../classify/binning.js';
import type { EvaluationResult, HistogramResult, ModelInfo } from '../events/result.js';
import type { WindowSnapshot } from '../events/snapshot.js';
import { TrainingPool } from './pool.js';
import type { SrTemplate } from '../background/template.js';
import { learnWindowTemplate, type WindowSimulation } from './template-runner.js';

/** A turn of the event loop (timers, I/O: a metrics scrape) between the steps of a window's selection. */
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

type Selection = Array<{
  workingPoint: number | null;
  histogram: HistogramResult;
  model?: ModelInfo;
  evaluation?: EvaluationResult;
  online?: OnlineSelection;
  pick?: Uint8Array;
}>;

/** `simulation`: the simulated events of a window, for a template that reweights simulation (SALAD). */
export function classifierSelector(
  config: ClassifierConfig,
  background?: BackgroundConfig,
  simulation?: WindowSimulation,
): {
  select: (
    snapshot: WindowSnapshot,
    edges: Float64Array,
    workingPoints: number[],
    opts?: { keepModels?: boolean; warmMappers?: BinMapper[][]; lookupCells?: number },
  ) => Promise<Selection>;
  model: string;
  close: () => Promise<void>;
} {
  let pool: TrainingPool | undefined;
  return {
    model: isLearnedTemplate(background) ? `${background!.model}-${config.kind}` : `cwola-${config.kind}`,
    select: async (snapshot, edges, workingPoints, opts) => {
      // Created on the first analysis, so a run that never trains starts no threads.
      pool ??= new TrainingPool(config.workers, config.maxQueued);
      // Learned templates first (each in its own worker thread, at most as many at once as the pool has
      // workers), then the template-vs-data classifier in the pool. Template k > 0 of an ensemble takes seed k
      // derived from the first's, so one template is what it was before ensembles existed.
      let template: SrTemplate[] | undefined;
      if (isLearnedTemplate(background)) {
        const seed = deriveSeed(deriveSeed(config.seed, windowHash(snapshot.window.id)), snapshot.sequence ?? 0);
        const k = background!.templates;
        const learn = (j: number) =>
          learnWindowTemplate(
            snapshot,
            background!,
            j === 0 ? seed : deriveSeed(seed, j),
            config.workers === 0,
            simulation,
          );
        template = [];
        const atOnce = Math.max(1, config.workers);
        for (let j = 0; j < k; j += atOnce)
          template.push(
            ...(await Promise.all(Array.from({ length: Math.min(atOnce, k - j) }, (_, i) => learn(j + i)))),
          );
      }
      return selectWithClassifier(
        snapshot,
        { ...config, workingPoints },
        { edges },
        {
          train: pool.train,
          pause,
          keepModels: opts?.keepModels === true,
          ...(opts?.warmMappers ? { warmMappers: opts.warmMappers } : {}),
          ...(opts?.lookupCells ? { lookupCells: opts.lookupCells } : {}),
          ...(template ? { template } : {}),
        },
      );
    },
    close: async () => {
      await pool?.close();
      pool = undefined;
    },
  };
}

/** A window's id as a number for seeding (FNV-1a): each window's template has its own random stream. */
function windowHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
