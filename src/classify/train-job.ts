/**
 * One training job of a cross-validation split: train on `trainRows`, stop early on `validationRows`, and return
 * the scores of the rows to score (the test fold, which the model never saw). Runs the same code inline or in a
 * worker thread (train-worker.ts). Only scores and a few figures come back, not the model, to keep transfers small.
 */
import { fitHgb, logLoss, predictRaw, type HgbParams } from './hgb.js';
import { fitMlp, mlpPresets, predictMlp, type MlpArchitecture, type MlpParams } from './mlp.js';

export type ModelKind = 'hgb' | MlpArchitecture;

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
}

export interface TrainResult {
  /** Scores per entry of scoreRows: logits for HGB, probabilities for MLPs (monotone either way). */
  scores: Float64Array[];
  /** Weighted log-loss of the final model on the validation rows. */
  validationLoss: number;
  seconds: number;
  backend: string;
  iterations: number;
}

export async function runTrainJob(job: TrainJob, onProgress?: (done: number, total: number) => void): Promise<TrainResult> {
  const t0 = performance.now();
  if (job.kind === 'hgb') {
    const model = fitHgb(
      { columns: job.columns, y: job.y, weight: job.weight, rows: job.trainRows },
      { ...job.hgb, seed: job.seed, earlyStopping: job.validationRows.length > 0 ? (job.hgb?.earlyStopping ?? true) : false },
      { validationRows: job.validationRows.length > 0 ? job.validationRows : undefined, onIteration: onProgress },
    );
    const scores = job.scoreRows.map((rows) => predictRaw(model, job.columns, rows));
    let validationLoss = NaN;
    if (job.validationRows.length > 0) {
      const raw = predictRaw(model, job.columns, job.validationRows);
      validationLoss = lossOf(raw, job, false);
    }
    return { scores, validationLoss, seconds: (performance.now() - t0) / 1000, backend: 'js', iterations: model.nIter };
  }
  const params: MlpParams = { ...mlpPresets[job.kind], ...job.mlp, seed: job.seed };
  const model = await fitMlp(
    {
      columns: job.columns,
      y: job.y,
      weight: job.weight,
      rows: job.trainRows,
      validationRows: job.validationRows,
    },
    params,
    { onEpoch: onProgress },
  );
  const scores = job.scoreRows.map((rows) => predictMlp(model, job.columns, rows));
  const validationLoss = job.validationRows.length > 0 ? lossOf(predictMlp(model, job.columns, job.validationRows), job, true) : NaN;
  return { scores, validationLoss, seconds: (performance.now() - t0) / 1000, backend: model.backend, iterations: model.epochs };
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
