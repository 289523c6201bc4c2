/**
 * The stream's view of the classifier: turns each window snapshot into CWoLa-selected mjj histograms (one per
 * working point), training off the event loop in a pool of worker threads that this selector owns: one pool per
 * compiled run, closed with it.
 */
import { selectWithClassifier } from '../analysis/cwola-selection.js';
import type { ClassifierConfig } from '../classify/config.js';
import type { OnlineSelection } from '../analysis/online-window.js';
import type { BinMapper } from '../classify/binning.js';
import type { EvaluationResult, HistogramResult, ModelInfo } from '../events/result.js';
import type { WindowSnapshot } from '../events/snapshot.js';
import { TrainingPool } from './pool.js';

/** A turn of the event loop (timers, I/O: a metrics scrape) between the steps of a window's selection. */
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

type Selection = Array<{
  workingPoint: number | null;
  histogram: HistogramResult;
  model?: ModelInfo;
  evaluation?: EvaluationResult;
  online?: OnlineSelection;
}>;

export function classifierSelector(config: ClassifierConfig): {
  select: (
    snapshot: WindowSnapshot,
    edges: Float64Array,
    workingPoints: number[],
    opts?: { keepModels?: boolean; warmMappers?: BinMapper[][] },
  ) => Promise<Selection>;
  model: string;
  close: () => Promise<void>;
} {
  let pool: TrainingPool | undefined;
  return {
    model: `cwola-${config.kind}`,
    select: (snapshot, edges, workingPoints, opts) => {
      // Created on the first analysis, so a run that never trains starts no threads.
      pool ??= new TrainingPool(config.workers, config.maxQueued);
      return selectWithClassifier(
        snapshot,
        { ...config, workingPoints },
        { edges },
        {
          train: pool.train,
          pause,
          keepModels: opts?.keepModels === true,
          ...(opts?.warmMappers ? { warmMappers: opts.warmMappers } : {}),
        },
      );
    },
    close: async () => {
      await pool?.close();
      pool = undefined;
    },
  };
}
