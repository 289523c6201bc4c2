/**
 * bench:classify — the shipped classifier on the real LHCO R&D signal region (../shared/data/lhco-rnd-sr), over
 * seeds, with scikit-learn going through the same path, and seed 000's MLP ensemble through the same path (nn engine)
 * with its training speed against TensorFlow.js and PyTorch.
 *
 * What runs (bench/lhco-shipped.ts): the classifier block of topologies/atlas2024-cwola.yaml (ten-member HGB
 * ensemble, five folds 3 train / 1 validation / 1 test, bin-wise median of the members' selected histograms, the
 * hyperparameters of src/classify/config.ts) through selectWithClassifier, exactly as `sideband run` calls it,
 * on one window built from the files:
 *   data       = sr_train + sr_val (120k events, 764 signal: S/B 0.64 %), the SR class;
 *   template   = 20,000 of sr_test's 40,000 background events, the background class (the idealized CWoLa
 *                reference: an independent background sample, as the CATHODE study's "idealized" detector,
 *                smaller than its 272k);
 *   evaluation = sr_test's other 20,000 background and its 20,000 signal events, scored out of fold, never
 *                trained on and never used for tuning or early stopping.
 * Per seed k the template/evaluation split of sr_test's background is drawn with seed k (the data seed) and the
 * classifier's seed is k (fold assignment, member seeds, row/feature subsampling, tie-breaking: the model seed).
 * The figure is the SIC = TPR/√FPR of the events the shipped selection keeps, at each working point of a grid
 * around the shipped ones (0.1, 0.02, 0.01), guarded by ≥ 25 selected background events; "max SIC" is the best
 * working point of that grid. Medians, 16–84 % ranges and per-seed values over the seeds; the target is on the
 * median. The hyperparameters were tuned by bench/tune-hgb.ts on a split that never opens sr_test.
 *
 * Also per seed: the same path with the topology option `combine: average` (members' scores averaged, one
 * selection, instead of the median of their histograms), ours with subsampling off (the algorithm scikit-learn 1.2 has), scikit-learn's
 * HistGradientBoostingClassifier as the trainer of the same path (same jobs, rows, weights, hyperparameters,
 * seeds, the same thread count: our pool of W single-threaded workers against sklearn's OpenMP pool of W threads,
 * early stopping with the same validation size and patience), the members' diversity (mean pairwise Spearman
 * correlation of their scores), and a supervised reference (one HGB, sr_extrasig_train against the data's truth
 * background). Once: single-thread time per model on the same jobs (ours inline, sklearn with one OpenMP
 * thread), and the MLP's samples/s against PyTorch with the same batch and the same thread count.
 *
 * Usage: node dist/bench/classify.js [--json] [--seeds N | --seed-list 1,2,3] [--quick] [--workers W] [--out FILE]
 *        [--no-peer] [--no-mlp] [--no-average] [--params '{"minSamplesLeaf":300}'] [--dir DIR]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, numberFlag, parseArgs } from '../src/cli/args.js';
import type { ClassifierConfig } from '../src/classify/config.js';
import { fitHgb, predictRaw } from '../src/classify/hgb.js';
import { maxSic, rocCurve } from '../src/classify/metrics.js';
import { mlpPresets } from '../src/classify/mlp.js';
import * as nnMlp from '../src/classify/mlp-nn.js';
import * as tfjsMlp from '../src/classify/mlp-tfjs.js';
import { mulberry32, shuffleInPlace } from '../src/classify/random.js';
import { runTrainJob, type TrainJob, type Trainer } from '../src/classify/train-job.js';
import { TopologyError } from '../src/events/errors.js';
import { loadTopology } from '../src/topology/load.js';
import { TrainingPool } from '../src/training/pool.js';
import { loadTf } from '../src/training/tfjs-backend.js';
import { concat, LHCO_FEATURES, readLhco, rowsWithLabel, take, type LhcoTable } from './lhco-data.js';
import { shippedSelection, SIC_WORKING_POINTS, type LhcoSample, type ShippedResult } from './lhco-shipped.js';
import { SklearnTrainer } from './sklearn-trainer.js';
import { benchEnvironment, loadAverageNow, median, seedList, summarize } from './summary.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const args = parseArgs(process.argv.slice(2), ['json', 'quick', 'no-peer', 'no-mlp', 'no-average']);
const withAverage = !args.flags.has('no-average');
const quick = args.flags.has('quick');
const asJson = args.flags.has('json');
const seeds = seedList(flag(args, 'seed-list'), flag(args, 'seeds'), 1, quick ? 2 : 5);
const workers = numberFlag(args, 'workers', os.availableParallelism());
const dir = flag(args, 'dir') ?? path.resolve(repo, '../shared/data/lhco-rnd-sr');
const TEMPLATE_EVENTS = 20_000;
const SHIPPED_TOPOLOGY = 'topologies/atlas2024-cwola.yaml';

function log(msg: string): void {
  if (!asJson) console.error(msg);
}

/** Seed k's split of sr_test: `TEMPLATE_EVENTS` background events as the template, the rest for evaluation. */
function splitTest(test: LhcoTable, seed: number): { template: LhcoTable; evalBackground: LhcoTable } {
  const bkg = shuffleInPlace(rowsWithLabel(test, 0), mulberry32(0x7e57 + seed));
  const tmpl = bkg.slice(0, TEMPLATE_EVENTS).sort();
  const rest = bkg.slice(TEMPLATE_EVENTS).sort();
  return { template: take(test, tmpl), evalBackground: take(test, rest) };
}

interface JobLog {
  seconds: number[];
  iterations: number[];
  jobs: TrainJob[];
}

/** Wrap a trainer to record each job's seconds and iterations (and the first `keep` jobs, for re-timing). */
function recorded(train: Trainer, keep = 0): { train: Trainer; log: JobLog } {
  const log: JobLog = { seconds: [], iterations: [], jobs: [] };
  return {
    log,
    train: async (job, onProgress) => {
      if (log.jobs.length < keep) log.jobs.push(job);
      const r = await train(job, onProgress);
      log.seconds.push(r.seconds);
      log.iterations.push(r.iterations);
      return r;
    },
  };
}

interface SeedRun {
  result: ShippedResult;
  log: JobLog;
}

async function runShipped(sample: LhcoSample, cfg: Partial<ClassifierConfig>, train: Trainer, keep = 0) {
  const r = recorded(train, keep);
  const result = await shippedSelection(sample, cfg, r.train);
  return { result, log: r.log } satisfies SeedRun;
}

/** Per-variant summaries over seeds. */
function summarizeVariant(runs: SeedRun[]) {
  const sicAt = Object.fromEntries(
    SIC_WORKING_POINTS.map((eps) => [
      String(eps),
      summarize(runs.map((r) => r.result.workingPoints.find((w) => w.eps === eps)?.sic ?? null)),
    ]),
  );
  return {
    max_sic: summarize(runs.map((r) => r.result.maxSic)),
    max_sic_working_point: runs.map((r) => r.result.maxSicEps),
    sic_at_working_point: sicAt,
    member_correlation: summarize(runs.map((r) => r.result.model.memberCorrelation ?? null)),
    data_out_of_fold_auc: summarize(runs.map((r) => r.result.dataEvaluation?.auc ?? null)),
    train_wall_seconds_per_selection: summarize(runs.map((r) => r.result.model.trainSeconds)),
    seconds_per_model: summarize(runs.map((r) => median(r.log.seconds))),
    iterations_per_model: summarize(runs.map((r) => median(r.log.iterations))),
    models_per_selection: runs[0]?.log.seconds.length ?? 0,
  };
}

/** The supervised reference: one HGB with the shipped hyperparameters, signal-only sample against the data's
 *  truth background, early-stopped on its own 10 % split; max SIC over the evaluation set's ROC. */
function supervised(extra: LhcoTable, data: LhcoTable, sample: LhcoSample, hgb: object, seed: number): number {
  const bkg = take(data, rowsWithLabel(data, 0));
  const t = concat(extra, bkg);
  const y = new Uint8Array(t.n).fill(1, 0, extra.n);
  const w = new Float32Array(t.n).fill(1, 0, extra.n).fill(extra.n / bkg.n, extra.n);
  const model = fitHgb({ columns: t.columns, y, weight: w }, { ...hgb, earlyStopping: true, seed });
  const ev = concat(sample.evalBackground, sample.evalSignal);
  return maxSic(rocCurve(predictRaw(model, ev.columns), ev.label));
}

/**
 * Samples/s of seed 000's MLP over epochs 2–4 (the first epoch carries start-up): on the shipped backend (the nn
 * engine, one thread, as each pool worker trains), on TensorFlow.js (`classifier.backend: tfjs`), and PyTorch on the
 * same rows with the same batch and one thread.
 */
async function mlpSpeed(weak: LhcoSample, nRows: number) {
  const t = concat(weak.data, weak.template);
  const y = new Uint8Array(t.n).fill(1, 0, weak.data.n);
  const n = Math.min(nRows, t.n);
  const rows = Uint32Array.from({ length: n }, (_, k) => Math.floor((k * t.n) / n));
  const preset = mlpPresets['mlp-atlas2024'];
  const params = { ...preset, maxEpochs: 4, patience: 100 };
  const timed = async (fit: (onEpoch: () => void) => Promise<{ backend: string }>) => {
    const stamps: number[] = [];
    const t0 = performance.now();
    const model = await fit(() => stamps.push(performance.now()));
    return {
      backend: model.backend,
      threads: 1,
      batch: preset.batchSize,
      rows: n,
      samples_per_s: (n * 3) / ((stamps[3]! - stamps[0]!) / 1000),
      first_epoch_seconds: (stamps[0]! - t0) / 1000,
    };
  };
  const ours = await timed((onEpoch) => nnMlp.fitMlp({ columns: t.columns, y, rows }, params, { onEpoch }));
  const rt = await loadTf();
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { getThreadsCount?: () => number };
  const tfjs = {
    ...(await timed((onEpoch) => tfjsMlp.fitMlp({ columns: t.columns, y, rows }, params, rt, { onEpoch }))),
    threads: rt.backend === 'wasm' ? (wasm.getThreadsCount?.() ?? 1) : 1,
  };
  const threads = 1;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sideband-bench-mlp-'));
  try {
    const nf = t.columns.length;
    const x = new Float32Array(n * nf);
    for (let k = 0; k < n; k++) for (let f = 0; f < nf; f++) x[k * nf + f] = t.columns[f]![rows[k]!]!;
    writeFileSync(path.join(tmp, 'x.f32'), x);
    writeFileSync(
      path.join(tmp, 'y.u8'),
      Uint8Array.from(rows, (r) => y[r]!),
    );
    writeFileSync(
      path.join(tmp, 'spec.json'),
      JSON.stringify({
        n_features: nf,
        x: 'x.f32',
        y: 'y.u8',
        hidden: preset.hidden,
        dropout: preset.dropout,
        batch: preset.batchSize,
        epochs: 3,
        threads,
      }),
    );
    const out = execFileSync('/usr/bin/python3', [path.join(repo, 'bench/mlp_peer.py'), tmp], {
      encoding: 'utf8',
      // One thread for PyTorch's BLAS and OpenMP pools too (torch.set_num_threads alone leaves OpenBLAS's pool).
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    });
    const torch = JSON.parse(out.trim().split('\n').pop()!) as { samples_per_s: number };
    return {
      ours,
      tfjs,
      torch: { ...torch, threads, env: { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } },
      speed_ratio_vs_torch: ours.samples_per_s / torch.samples_per_s,
      tfjs_speed_ratio_vs_torch: tfjs.samples_per_s / torch.samples_per_s,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const env = benchEnvironment();
  const topology = await loadTopology(path.join(repo, SHIPPED_TOPOLOGY));
  if (topology.classifier.kind === 'none') throw new TopologyError('has no classifier', { file: SHIPPED_TOPOLOGY });
  const extra = JSON.parse(flag(args, 'params') ?? '{}') as object;
  const shipped: ClassifierConfig = {
    ...topology.classifier,
    hgb: { ...topology.classifier.hgb, ...extra },
    workers,
    ...(quick ? { ensemble: 4 } : {}),
  };
  const noSubsampling = { ...shipped, hgb: { ...shipped.hgb, subsample: 1, colsampleByTree: 1 } };
  const [tr, va, te, xs] = await Promise.all(
    ['sr_train', 'sr_val', 'sr_test', 'sr_extrasig_train'].map((f) => readLhco(path.join(dir, `${f}.parquet`))),
  );
  const data = concat(tr!, va!);
  const evalSignal = take(te!, rowsWithLabel(te!, 1));
  log(`data ${data.n} (signal ${rowsWithLabel(data, 1).length}); seeds ${seeds.join(',')}; ${workers} threads`);

  const pool = new TrainingPool(workers);
  const peer = args.flags.has('no-peer') ? undefined : new SklearnTrainer(workers);
  const ours: SeedRun[] = [];
  const averaged: SeedRun[] = [];
  const nosub: SeedRun[] = [];
  const sk: SeedRun[] = [];
  const sup: number[] = [];
  const mlpRuns: SeedRun[] = [];
  const withMlp = !args.flags.has('no-mlp');
  let timingJobs: TrainJob[] = [];
  let sample0: LhcoSample | undefined;
  try {
    for (const seed of seeds) {
      const split = splitTest(te!, seed);
      const sample: LhcoSample = { data, template: split.template, evalSignal, evalBackground: split.evalBackground };
      sample0 ??= sample;
      ours.push(await runShipped(sample, { ...shipped, seed }, pool.train));
      if (withAverage) averaged.push(await runShipped(sample, { ...shipped, combine: 'average', seed }, pool.train));
      const ns = await runShipped(sample, { ...noSubsampling, seed }, pool.train, timingJobs.length ? 0 : 10);
      if (!timingJobs.length) timingJobs = ns.log.jobs;
      nosub.push(ns);
      if (peer) sk.push(await runShipped(sample, { ...noSubsampling, seed }, peer.train));
      sup.push(supervised(xs!, data, sample, shipped.hgb, seed));
      // Seed 000's MLP ensemble through the same path (its own presets; the nn engine, the shipped backend).
      if (withMlp) mlpRuns.push(await runShipped(sample, { ...shipped, kind: 'mlp-atlas2024', seed }, pool.train));
      log(
        `seed ${seed}: max SIC ours ${ours.at(-1)!.result.maxSic.toFixed(2)}, no subsampling ` +
          `${nosub.at(-1)!.result.maxSic.toFixed(2)}${peer ? `, sklearn ${sk.at(-1)!.result.maxSic.toFixed(2)}` : ''}` +
          `, supervised ${sup.at(-1)!.toFixed(2)}${withMlp ? `, MLP ensemble ${mlpRuns.at(-1)!.result.maxSic.toFixed(2)}` : ''}` +
          `; member correlation ${ours.at(-1)!.result.model.memberCorrelation?.toFixed(3)}`,
      );
    }
  } finally {
    await pool.close();
  }

  // Single-thread time per model on the same ten jobs (subsampling off: the algorithm both have).
  const oursInline: number[] = [];
  for (const j of timingJobs) oursInline.push((await runTrainJob(j, {})).seconds);
  let single: Record<string, unknown> = { jobs: timingJobs.length, ours_seconds_per_model: median(oursInline) };
  let peerConfig: Record<string, unknown> | undefined;
  if (peer) {
    peerConfig = await peer.describe();
    await peer.close();
    const one = new SklearnTrainer(1);
    const secs: number[] = [];
    for (const j of timingJobs) secs.push((await one.train(j)).seconds);
    single = {
      ...single,
      sklearn_seconds_per_model: median(secs),
      sklearn_threads: 1,
      speed_ratio_vs_sklearn: median(secs) / median(oursInline),
    };
    await one.close();
  }

  const oursS = summarizeVariant(ours);
  const averagedS = withAverage ? summarizeVariant(averaged) : undefined;
  const nosubS = summarizeVariant(nosub);
  const skS = peer ? summarizeVariant(sk) : undefined;
  const paired = peer
    ? {
        what: 'per seed, ours without subsampling minus sklearn, the same jobs through the same path',
        max_sic_difference: summarize(nosub.map((r, k) => r.result.maxSic - sk[k]!.result.maxSic)),
        ours_higher_on_seeds: nosub.filter((r, k) => r.result.maxSic > sk[k]!.result.maxSic).length,
        shipped_minus_sklearn: summarize(ours.map((r, k) => r.result.maxSic - sk[k]!.result.maxSic)),
        seeds: seeds.length,
      }
    : undefined;
  const wall = (runs: SeedRun[]) => median(runs.map((r) => r.result.model.trainSeconds));

  const out = {
    bench: 'classify',
    environment: { ...env, loadAverageAtEnd: loadAverageNow() },
    dataset: 'lhco-rnd-sr',
    features: LHCO_FEATURES,
    path: `selectWithClassifier with the classifier block of ${SHIPPED_TOPOLOGY} (see bench/lhco-shipped.ts)`,
    split: {
      data: 'sr_train + sr_val',
      n_data: data.n,
      n_data_signal: rowsWithLabel(data, 1).length,
      template: `${TEMPLATE_EVENTS} of sr_test's background (seeded per seed)`,
      evaluation: "sr_test's other background events and all its signal events (never trained on or tuned on)",
      n_eval_background: te!.n - evalSignal.n - TEMPLATE_EVENTS,
      n_eval_signal: evalSignal.n,
      tuning: 'bench/tune-hgb.ts: sr_train vs 20k of sr_val background, scored on sr_val background + extrasig',
    },
    seeds,
    quick,
    classifier: {
      kind: shipped.kind,
      ensemble: shipped.ensemble,
      folds: shipped.folds,
      cv: shipped.cv,
      combine: shipped.combine,
      hgb: shipped.hgb,
      working_points_scanned: SIC_WORKING_POINTS,
      sic_min_background: shipped.sicMinBackground,
    },
    target: { weak_max_sic_median: 10, measured: oursS.max_sic.median, met: oursS.max_sic.median >= 10 },
    weak: {
      ours: oursS,
      ...(averagedS ? { ours_combine_average: averagedS } : {}),
      ours_no_subsampling: nosubS,
      ...(skS ? { sklearn: skS } : {}),
      ...(mlpRuns.length
        ? { mlp_ensemble: { kind: 'mlp-atlas2024', backend: 'nn', ...summarizeVariant(mlpRuns) } }
        : {}),
    },
    ...(paired ? { paired } : {}),
    supervised_max_sic: summarize(sup),
    speed: {
      threads: workers,
      pool: {
        what: `wall seconds to train one selection's models: ours on ${workers} single-threaded workers, sklearn one model at a time on ${workers} OpenMP threads (subsampling off for both)`,
        ours_seconds: wall(nosub),
        ...(peer ? { sklearn_seconds: wall(sk), speed_ratio_vs_sklearn: wall(sk) / wall(nosub) } : {}),
        ours_shipped_seconds: wall(ours),
      },
      single_thread: single,
    },
    ...(peerConfig ? { peer: peerConfig } : {}),
    ...(!withMlp || !sample0 ? {} : { mlp: await mlpSpeed(sample0, quick ? 20_000 : 50_000) }),
  };
  const text = JSON.stringify(out, null, asJson ? undefined : 2);
  const file = flag(args, 'out');
  if (file) writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(text);
}

await main();
