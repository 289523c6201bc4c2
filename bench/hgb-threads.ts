/**
 * HGB training at window sizes of millions of events: seconds per model on the shipped path (runTrainJob with the
 * runtime's histogram threads, hgb.threads = 2) against scikit-learn's HistGradientBoostingClassifier on 2 OpenMP
 * threads (bench/sklearn-trainer.ts), on the same job, in the same run; plus ours on 1 thread, and whether the
 * 2-thread trees equal the 1-thread ones (they must: rows are summed in fixed blocks merged in order).
 *
 *   node dist/bench/hgb-threads.js --json [--events 1000000,5000000] [--iter 100]
 *
 * Same work on both sides: a fixed number of trees (no early stopping), no row or feature subsampling (sklearn
 * 1.2 has none), 16 leaves, 64 bins, the defaults' minSamplesLeaf and l2. Four CWoLa-like features (jet masses and
 * τ21 of two classes of a weak mixture), weights 1. Ours is timed around runTrainJob without score rows; sklearn's
 * around fit().
 */
import { defaultClassifierConfig } from '../src/classify/config.js';
import { runTrainJob, type TrainJob } from '../src/classify/train-job.js';
import { histogramThreads } from '../src/training/hgb-threads.js';
import { parseArgs, flag, numberFlag } from '../src/cli/args.js';
import { SklearnTrainer } from './sklearn-trainer.js';
import { benchEnvironment, loadAverageNow } from './summary.js';

function job(n: number, iter: number, threads: number): TrainJob {
  let s = 2024;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  const columns = [0, 1, 2, 3].map(() => new Float32Array(n));
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    // Label 1 (a "signal region") holds 2 % of a resonance-like component on top of the shared background.
    y[i] = rand() < 0.5 ? 1 : 0;
    const signal = y[i] === 1 && rand() < 0.02;
    columns[0]![i] = signal ? 100 + 10 * gauss() : 40 + 60 * rand(); // mj_min
    columns[1]![i] = signal ? 400 + 30 * gauss() : 300 * rand(); // delta_mj
    columns[2]![i] = signal ? 0.3 + 0.1 * gauss() : 0.4 + 0.25 * gauss(); // tau21_lighter
    columns[3]![i] = 0.5 + 0.2 * gauss(); // tau21_heavier
  }
  const trainRows = Uint32Array.from({ length: n }, (_, i) => i);
  const d = defaultClassifierConfig.hgb;
  return {
    kind: 'hgb',
    columns,
    y,
    weight: new Float32Array(n).fill(1),
    trainRows,
    validationRows: new Uint32Array(0),
    scoreRows: [],
    seed: 7,
    hgb: {
      ...d,
      maxIter: iter,
      earlyStopping: false,
      subsample: 1,
      colsampleByTree: 1,
      threads,
    },
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2), ['json']);
  const sizes = (flag(args, 'events') ?? '1000000,5000000').split(',').map(Number);
  const iter = numberFlag(args, 'iter', 100);
  const sklearn = new SklearnTrainer(2);
  const env = benchEnvironment();
  const rows: Record<string, unknown>[] = [];
  try {
    // Warm-up on both sides (JIT, helper threads, the Python imports and OpenMP pool), not timed.
    const warm = job(20000, 5, 2);
    await runTrainJob(warm, { histograms: histogramThreads });
    await runTrainJob({ ...warm, hgb: { ...warm.hgb, threads: 1 } }, {});
    await sklearn.train(warm);
    for (const n of sizes) {
      const j2 = job(n, iter, 2);
      const j1 = { ...j2, hgb: { ...j2.hgb, threads: 1 } };
      const runtime = { histograms: histogramThreads };
      const two = await runTrainJob(j2, runtime);
      const one = await runTrainJob(j1, runtime);
      // Same trees ⇒ same scores on every row; compared on all rows (the model scores its own training rows).
      const all = [j2.trainRows];
      const a = await runTrainJob({ ...j2, scoreRows: all, hgb: { ...j2.hgb, maxIter: 10 } }, runtime);
      const b = await runTrainJob({ ...j1, scoreRows: all, hgb: { ...j1.hgb, maxIter: 10 } }, runtime);
      const identical = a.scores[0]!.every((v, i) => v === b.scores[0]![i]);
      const sk = await sklearn.train(j2);
      rows.push({
        events: n,
        trees: iter,
        ours_seconds_2_threads: two.seconds,
        ours_seconds_1_thread: one.seconds,
        thread_speedup: one.seconds / two.seconds,
        trees_identical_1_vs_2_threads: identical,
        sklearn_seconds_2_threads: sk.seconds,
        sklearn_iterations: sk.iterations,
        ours_iterations: two.iterations,
        ratio_vs_sklearn: sk.seconds / two.seconds,
      });
    }
    const res = {
      bench: 'hgb-threads',
      environment: env,
      loadAverageAtEnd: loadAverageNow(),
      params: job(10, iter, 2).hgb,
      ours: 'runTrainJob (shipped path), histograms on the runtime threads (src/training/hgb-threads.ts)',
      sklearn: await sklearn.describe(),
      sizes: rows,
    };
    process.stdout.write(`${JSON.stringify(res, null, flag(args, 'json') ? 0 : 2)}\n`);
  } finally {
    await sklearn.close();
  }
}

main().catch((e) => {
  console.error(`bench:hgb: ${e.message}`);
  process.exit(1);
});
