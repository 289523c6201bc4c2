/**
 * One training job of a cross-validation split: train on `trainRows`, stop early on `validationRows`, and return
 * the scores of the rows to score (the test fold, which the model never saw). The same code runs inline or in a
 * worker thread of the training runtime (src/training). Only scores and a few figures come back, and the model only
 * when asked for (flattened HGB trees, for online scoring), to keep transfers small.
 */
import { SidebandError } from '../events/errors.js';
import { binRowMajor, type BinMapper } from './binning.js';
import { flattenHgb, scoreBinned, type FlatForest } from './forest.js';
import { tabulateForest, type LookupGrid } from './forest-lookup.js';
import { fitHgb, logLoss, type HgbParams, type HistogramBuilder } from './hgb.js';
import { mlpPresets, type MlpArchitecture, type MlpParams } from './mlp.js';
import * as nnMlp from './mlp-nn.js';
import * as tfjsMlp from './mlp-tfjs.js';

export type ModelKind = 'hgb' | MlpArchitecture;

/** Where the MLPs train: the project's engine (src/nn, the default: the faster) or TensorFlow.js. */
export type MlpBackend = 'nn' | 'tfjs';

export interface TrainJob {
  kind: ModelKind;
  /** Feature columns; SharedArrayBuffer-backed when sent to workers so they are not copied per job. */
  columns: Float32Array[];
  y: Uint8Array;
  weight: Float32Array;
  trainRows: Uint32Array;
  validationRows: Uint32Array;
  /** Row sets to score after training (e.g. the test fold). */
  scoreRows: Uint32Array[];
  seed: number;
  hgb?: Partial<HgbParams>;
  mlp?: Partial<MlpParams>;
  /** Default 'nn'. */
  mlpBackend?: MlpBackend;
  /** Return the trained model (HGB: flattened), for scoring events that arrive after training (trigger.online). */
  keepModel?: boolean;
  /** HGB warm start: the bin mapper of this split's model in the previous training of the window. */
  hgbMapper?: BinMapper;
  /** With keepModel: also tabulate the model on this grid (online scoring by lookup, src/classify/forest-lookup.ts). */
  lookupGrid?: LookupGrid;
}

export interface TrainResult {
  /** Scores per entry of scoreRows: logits for HGB, probabilities for MLPs (monotone either way). */
  scores: Float64Array[];
  /** Weighted log-loss of the final model on the validation rows. */
  validationLoss: number;
  seconds: number;
  backend: string;
  iterations: number;
  /** The trained HGB model, flattened (only when the job asked for it with keepModel). */
  forest?: FlatForest;
  /** Its bin mapper (with keepModel), for the next training's warm start. */
  mapper?: BinMapper;
  /** The model tabulated on the job's lookupGrid. */
  lookup?: Float32Array;
}

/** How a window analysis gets its jobs trained: the runtime's pool, or inline (tests). */
export type Trainer = (job: TrainJob, onProgress?: (done: number, total: number) => void) => Promise<TrainResult>;

/** What a job may need from its runtime: TensorFlow.js for the tfjs MLPs, loaded on first use. */
export interface TrainRuntime {
  tf?: () => Promise<tfjsMlp.TfRuntime>;
  /** HGB histogram builders on `threads` threads (hgb.threads > 1); absent: every model on its own thread. */
  histograms?: (threads: number) => HistogramBuilder;
}

export async function runTrainJob(
  job: TrainJob,
  runtime: TrainRuntime,
  onProgress?: (done: number, total: number) => void,
): Promise<TrainResult> {
  const t0 = performance.now();
  if (job.kind === 'hgb') {
    const model = fitHgb(
      { columns: job.columns, y: job.y, weight: job.weight, rows: job.trainRows },
      {
        ...job.hgb,
        seed: job.seed,
        earlyStopping: job.validationRows.length > 0 ? (job.hgb?.earlyStopping ?? true) : false,
      },
      {
        validationRows: job.validationRows.length > 0 ? job.validationRows : undefined,
        onIteration: onProgress,
        ...(job.hgbMapper ? { mapper: job.hgbMapper } : {}),
        histograms: (job.hgb?.threads ?? 1) > 1 ? runtime.histograms?.(job.hgb!.threads!) : undefined,
      },
    );
    // Scored on the model's own bins (src/classify/forest.ts, bit for bit predictRaw's sums): 1.6× faster than
    // walking the float thresholds on 400k rows of a 150-tree model, and a model's test fold grows with the window
    // while its training rows stop at classifier.maxTrainEvents.
    const flat = flattenHgb(model);
    const score = (rows: Uint32Array) => {
      const out = new Float64Array(rows.length);
      scoreBinned(flat, binRowMajor(flat.mapper, job.columns, rows), rows.length, out);
      return out;
    };
    const scores = job.scoreRows.map(score);
    const validationLoss = job.validationRows.length > 0 ? lossOf(score(job.validationRows), job, false) : NaN;
    const forest = job.keepModel ? flat : undefined;
    return {
      scores,
      validationLoss,
      seconds: (performance.now() - t0) / 1000,
      backend: 'js',
      iterations: model.nIter,
      ...(forest ? { forest, mapper: model.mapper } : {}),
      ...(forest && job.lookupGrid ? { lookup: tabulateForest(forest, job.lookupGrid) } : {}),
    };
  }
  const params: MlpParams = { ...mlpPresets[job.kind], ...job.mlp, seed: job.seed };
  const data = {
    columns: job.columns,
    y: job.y,
    weight: job.weight,
    rows: job.trainRows,
    validationRows: job.validationRows,
  };
  let model: Awaited<ReturnType<typeof nnMlp.fitMlp>>;
  let predict: typeof nnMlp.predictMlp;
  if ((job.mlpBackend ?? 'nn') === 'nn') {
    model = await nnMlp.fitMlp(data, params, { onEpoch: onProgress });
    predict = nnMlp.predictMlp;
  } else {
    if (!runtime.tf) throw new SidebandError(`training (${job.kind}): no TensorFlow.js runtime was provided`);
    model = await tfjsMlp.fitMlp(data, params, await runtime.tf(), { onEpoch: onProgress });
    predict = tfjsMlp.predictMlp;
  }
  const scores = job.scoreRows.map((rows) => predict(model, job.columns, rows));
  const validationLoss =
    job.validationRows.length > 0 ? lossOf(predict(model, job.columns, job.validationRows), job, true) : NaN;
  return {
    scores,
    validationLoss,
    seconds: (performance.now() - t0) / 1000,
    backend: model.backend,
    iterations: model.epochs,
  };
}

function lossOf(out: Float64Array, job: TrainJob, isProbability: boolean): number {
  const rows = job.validationRows;
  const raw = new Float64Array(rows.length);
  const y = new Uint8Array(rows.length);
  const w = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const p = Math.min(Math.max(out[k]!, 1e-7), 1 - 1e-7);
    raw[k] = isProbability ? Math.log(p / (1 - p)) : out[k]!;
    y[k] = job.y[rows[k]!]!;
    w[k] = job.weight[rows[k]!]!;
  }
  return logLoss(raw, y, w);
}

/** Copy a typed array into shared memory so that jobs sent to worker threads reference it instead of copying it. */
export function toShared<T extends Float32Array | Uint8Array | Uint32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const out = new Ctor(new SharedArrayBuffer(a.length * Ctor.BYTES_PER_ELEMENT));
  out.set(a as never);
  return out;
}
