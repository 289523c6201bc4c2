/**
 * bench:classify — CWoLa-style weak supervision on the real LHCO R&D signal region, our histogram gradient boosting
 * against scikit-learn's HistGradientBoostingClassifier (same split, same hyperparameters, same run), and the
 * seed 000 MLP on TensorFlow.js against PyTorch on the same network and batch.
 *
 *   data      = sr_train + sr_val (background with ~0.6 % signal), label 1
 *   template  = the first 20,000 background events of sr_test, label 0 (weighted up to the data's total)
 *   evaluate  = the rest of sr_test (20,000 background + 20,000 signal), truth labels
 *   supervised reference = sr_extrasig_train (signal) vs the truth-background events of the data
 *
 * Usage: node dist/bench/classify.js [--json] [--dir DIR] [--members N] [--no-peer] [--no-mlp]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { concat, readLhco, take, LHCO_FEATURES, type LhcoTable } from './lhco-data.js';
import { defaultHgbParams, fitHgb, predictProba, stratifiedSplit, type HgbParams } from '../src/classify/hgb.js';
import { fitMlp, mlpPresets } from '../src/classify/mlp.js';
import { TrainingPool } from '../src/training/pool.js';
import { toShared } from '../src/classify/train-job.js';
import { loadTf } from '../src/training/tfjs-backend.js';
import { iota } from '../src/classify/random.js';
import { auc, maxSic, rocCurve } from '../src/classify/metrics.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    dir: { type: 'string', default: path.resolve(repo, '../shared/data/lhco-rnd-sr') },
    members: { type: 'string', default: '50' },
    bag: { type: 'string', default: '0.5' },
    'mlp-events': { type: 'string', default: '50000' },
    params: { type: 'string', default: '{}' },
    'no-peer': { type: 'boolean', default: false },
    'no-mlp': { type: 'boolean', default: false },
  },
});

/** Weak-supervision hyperparameters; the same dictionary goes to scikit-learn. */
const weakParams: HgbParams = {
  ...defaultHgbParams,
  learningRate: 0.1,
  maxIter: 300,
  maxLeafNodes: 31,
  minSamplesLeaf: 300,
  l2: 20,
  maxBins: 64,
  earlyStopping: true,
  validationFraction: 0.1,
  nIterNoChange: 10,
  ...(JSON.parse(args.params!) as Partial<HgbParams>),
};
/** Each member trains on its own seeded half of data and template (bagging): members then disagree on the
 *  template's fluctuations, which averaging removes; all members seeing the same template cannot. */
const bagFraction = Number(args.bag);

function log(msg: string): void {
  if (!args.json) console.error(msg);
}

interface Labelled {
  columns: Float32Array[];
  y: Uint8Array;
  w: Float32Array;
}

/** Stack a label-1 and a label-0 table, weighting class 0 up to the same total as class 1. */
function stack(one: LhcoTable, zero: LhcoTable): Labelled {
  const t = concat(one, zero);
  const y = new Uint8Array(t.n).fill(1, 0, one.n);
  const w = new Float32Array(t.n).fill(1, 0, one.n).fill(one.n / zero.n, one.n);
  return { columns: t.columns, y, w };
}

function rowMajor(columns: Float32Array[]): Float32Array {
  const n = columns[0]!.length;
  const nf = columns.length;
  const out = new Float32Array(n * nf);
  for (let i = 0; i < n; i++) for (let f = 0; f < nf; f++) out[i * nf + f] = columns[f]![i]!;
  return out;
}

/** n rows spread evenly over the stacked data + template rows (both classes present). */
function mlpRowsOf(total: number, n: number): Uint32Array {
  return Uint32Array.from({ length: n }, (_, k) => Math.floor((k * total) / n));
}

/** Seeded stratified subsample of all rows for member m (ascending), or undefined for all rows. */
function bagRows(y: Uint8Array, fraction: number, m: number): Uint32Array | undefined {
  if (!(fraction > 0 && fraction < 1)) return undefined;
  return stratifiedSplit(iota(y.length), y, fraction, 7919 + m).validation;
}

function ensembleOurs(d: Labelled, evalCols: Float32Array[], members: number, params: HgbParams, bag: number) {
  const avg = new Float64Array(evalCols[0]!.length);
  const secs: number[] = [];
  const iters: number[] = [];
  const rows: Uint32Array[] = [];
  for (let m = 0; m < members; m++) {
    const r = bagRows(d.y, bag, m);
    if (r) rows.push(r);
    const t = performance.now();
    const model = fitHgb({ columns: d.columns, y: d.y, weight: d.w, rows: r }, { ...params, seed: params.seed + m });
    secs.push((performance.now() - t) / 1000);
    iters.push(model.nIter);
    const p = predictProba(model, evalCols);
    for (let i = 0; i < avg.length; i++) avg[i] = avg[i]! + p[i]! / members;
  }
  return { scores: avg, secs, iters, rows };
}

/** The same ensemble trained on the worker pool (2 threads on this machine): wall seconds per model. */
async function ensembleOnPool(d: Labelled, members: number, params: HgbParams, bag: number, workers: number) {
  const pool = new TrainingPool(workers);
  const shared = { columns: d.columns.map((c) => toShared(c)), y: toShared(d.y), weight: toShared(d.w) };
  const t = performance.now();
  await Promise.all(
    Array.from({ length: members }, (_, m) => {
      const rows = bagRows(d.y, bag, m) ?? iota(d.y.length);
      const split = stratifiedSplit(rows, d.y, params.validationFraction, params.seed + m);
      return pool.submit({
        kind: 'hgb',
        ...shared,
        trainRows: split.train,
        validationRows: split.validation,
        scoreRows: [],
        seed: params.seed + m,
        hgb: params,
      });
    }),
  );
  const wall = (performance.now() - t) / 1000;
  await pool.close();
  return wall / members;
}

function sicOf(scores: ArrayLike<number>, labels: Uint8Array) {
  const roc = rocCurve(scores, labels);
  return { auc: auc(roc), maxSic: maxSic(roc), maxSic100: maxSic(roc, 100) };
}

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / Math.max(a.length, 1);
const median = (a: number[]) => {
  const s = a.slice().sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : 0.5 * (s[s.length / 2 - 1]! + s[s.length / 2]!);
};

async function main(): Promise<void> {
  const dir = args.dir!;
  const members = Number(args.members);
  const [tr, va, te, xs] = await Promise.all(
    ['sr_train', 'sr_val', 'sr_test', 'sr_extrasig_train'].map((f) => readLhco(path.join(dir, `${f}.parquet`))),
  );
  const data = concat(tr!, va!);
  const tmplRows: number[] = [];
  const evalRows: number[] = [];
  for (let i = 0; i < te!.n; i++) {
    if (te!.label[i] === 0 && tmplRows.length < 20_000) tmplRows.push(i);
    else evalRows.push(i);
  }
  const template = take(te!, tmplRows);
  const evalSet = take(te!, evalRows);
  const weak = stack(data, template);
  const bkgRows: number[] = [];
  for (let i = 0; i < data.n; i++) if (data.label[i] === 0) bkgRows.push(i);
  const supervised = stack(xs!, take(data, bkgRows));
  log(`data ${data.n} (signal ${data.label.reduce((s, x) => s + x, 0)}), template ${template.n}, eval ${evalSet.n}`);

  // Ours: the weak ensemble and a single supervised model (same hyperparameters).
  const ours = ensembleOurs(weak, evalSet.columns, members, weakParams, bagFraction);
  const oursWeak = sicOf(ours.scores, evalSet.label);
  const single = sicOf(ensembleOurs(weak, evalSet.columns, 1, weakParams, 0).scores, evalSet.label);
  const sup = ensembleOurs(supervised, evalSet.columns, 1, weakParams, 0);
  const poolSecondsPerModel = await ensembleOnPool(weak, members, weakParams, bagFraction, 2);
  const oursSup = sicOf(sup.scores, evalSet.label);
  log(
    `ours: weak ${JSON.stringify(oursWeak)} ${mean(ours.secs).toFixed(3)} s/model, supervised ${JSON.stringify(oursSup)}`,
  );

  const out: Record<string, unknown> = {
    bench: 'classify',
    dataset: 'lhco-rnd-sr',
    features: LHCO_FEATURES,
    n_data: data.n,
    n_template: template.n,
    n_eval: evalSet.n,
    ensemble_members: members,
    ensemble_bag_fraction: bagFraction,
    ensemble_combination: 'mean probability over members',
    hgb_params: weakParams,
    sic_min_background: 25,
    weak_max_sic: oursWeak.maxSic,
    weak_max_sic_min100b: oursWeak.maxSic100,
    weak_auc: oursWeak.auc,
    weak_single_max_sic: single.maxSic,
    supervised_max_sic: oursSup.maxSic,
    supervised_auc: oursSup.auc,
    // Single thread, one model after another; the median over members (the first models include JIT warm-up).
    hgb_seconds_per_model: median(ours.secs),
    hgb_seconds_per_model_mean: mean(ours.secs),
    hgb_iterations_mean: mean(ours.iters),
    // The same ensemble on the 2-thread training pool: wall seconds / members.
    hgb_pool2_seconds_per_model: poolSecondsPerModel,
  };

  if (!args['no-mlp']) {
    // seed 000's network on the first 50k weak-supervision rows, batch 512: samples/s over epochs 2..4 (epoch 1
    // includes backend start-up and kernel compilation).
    const nM = Math.min(Number(args['mlp-events']), weak.y.length);
    const rows = mlpRowsOf(weak.y.length, nM);
    const stamps: number[] = [];
    const t0 = performance.now();
    const m = await fitMlp(
      { columns: weak.columns, y: weak.y, rows },
      { ...mlpPresets['mlp-atlas2024'], maxEpochs: 4 },
      await loadTf(),
      { onEpoch: () => stamps.push(performance.now()) },
    );
    out.mlp_backend = m.backend;
    out.mlp_events = nM;
    out.mlp_samples_per_s = (nM * 3) / ((stamps[3]! - stamps[0]!) / 1000);
    out.mlp_first_epoch_seconds = (stamps[0]! - t0) / 1000;
  }

  if (!args['no-peer']) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'sideband-bench-classify-'));
    try {
      writeFileSync(path.join(tmp, 'weak_x.f32'), rowMajor(weak.columns));
      writeFileSync(path.join(tmp, 'weak_y.u8'), weak.y);
      writeFileSync(path.join(tmp, 'weak_w.f32'), weak.w);
      writeFileSync(path.join(tmp, 'sup_x.f32'), rowMajor(supervised.columns));
      writeFileSync(path.join(tmp, 'sup_y.u8'), supervised.y);
      writeFileSync(path.join(tmp, 'sup_w.f32'), supervised.w);
      writeFileSync(path.join(tmp, 'eval_x.f32'), rowMajor(evalSet.columns));
      const bagLengths = ours.rows.map((r) => r.length);
      if (ours.rows.length > 0) {
        const all = new Uint32Array(bagLengths.reduce((a, b) => a + b, 0));
        let o = 0;
        for (const r of ours.rows) {
          all.set(r, o);
          o += r.length;
        }
        writeFileSync(path.join(tmp, 'weak_bags.u32'), all);
      }
      const job = (name: string, pre: string, m: number) => ({
        name,
        n_features: LHCO_FEATURES.length,
        x: `${pre}_x.f32`,
        y: `${pre}_y.u8`,
        w: `${pre}_w.f32`,
        x_eval: 'eval_x.f32',
        members: m,
        params: weakParams,
        scores_out: `${name}_scores.f64`,
      });
      const mlpRows = Math.min(Number(args['mlp-events']), weak.y.length);
      const mr = mlpRowsOf(weak.y.length, mlpRows);
      writeFileSync(
        path.join(tmp, 'mlp_x.f32'),
        rowMajor(weak.columns.map((c) => Float32Array.from(mr, (r) => c[r]!))),
      );
      writeFileSync(
        path.join(tmp, 'mlp_y.u8'),
        Uint8Array.from(mr, (r) => weak.y[r]!),
      );
      const spec = {
        hgb_jobs: [
          {
            ...job('weak', 'weak', members),
            ...(ours.rows.length > 0 ? { bags: 'weak_bags.u32', bag_lengths: bagLengths } : {}),
          },
          job('supervised', 'sup', 1),
          // Single-threaded sklearn on a few members, for the per-core comparison.
          {
            ...job('weak1t', 'weak', 5),
            threads: 1,
            ...(ours.rows.length > 0 ? { bags: 'weak_bags.u32', bag_lengths: bagLengths.slice(0, 5) } : {}),
          },
        ],
        ...(args['no-mlp']
          ? {}
          : {
              mlp_job: {
                n_features: LHCO_FEATURES.length,
                x: 'mlp_x.f32',
                y: 'mlp_y.u8',
                rows: mlpRows,
                hidden: [64, 64, 64],
                dropout: 0.05,
                batch: 512,
                epochs: 3,
              },
            }),
      };
      writeFileSync(path.join(tmp, 'spec.json'), JSON.stringify(spec));
      const stdout = execFileSync('/usr/bin/python3', [path.join(repo, 'bench/classify_peer.py'), tmp], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });
      const peer = JSON.parse(stdout.trim().split('\n').pop()!) as Record<
        string,
        { seconds: number[]; n_iter: number[] }
      > & {
        sklearn_version: string;
        mlp?: { samples_per_s: number; samples_per_s_dataloader: number; threads: number };
      };
      const read = (f: string) => new Float64Array(readFileSync(path.join(tmp, f)).buffer.slice(0));
      const skWeak = sicOf(read('weak_scores.f64'), evalSet.label);
      const skSup = sicOf(read('supervised_scores.f64'), evalSet.label);
      const skSecs = median(peer.weak!.seconds);
      const sk1Secs = median(peer.weak1t!.seconds);
      out.sklearn_version = peer.sklearn_version;
      out.sklearn_threads = os.availableParallelism();
      out.sklearn_weak_max_sic = skWeak.maxSic;
      out.sklearn_weak_max_sic_min100b = skWeak.maxSic100;
      out.sklearn_weak_auc = skWeak.auc;
      out.sklearn_supervised_max_sic = skSup.maxSic;
      out.sklearn_hgb_seconds_per_model = skSecs;
      out.sklearn_hgb_seconds_per_model_1thread = sk1Secs;
      out.sklearn_hgb_iterations_mean = mean(peer.weak!.n_iter);
      // sklearn as Debian ships it (OpenMP over both cores) against ours on ONE thread; medians over members.
      out.hgb_speed_ratio_vs_sklearn = skSecs / median(ours.secs);
      out.hgb_speed_ratio_vs_sklearn_1thread = sk1Secs / median(ours.secs);
      out.hgb_speed_ratio_pool2_vs_sklearn = skSecs / poolSecondsPerModel;
      // Per iteration as well: early stopping may stop the two at different iterations.
      out.hgb_speed_ratio_per_iteration = skSecs / mean(peer.weak!.n_iter) / (median(ours.secs) / mean(ours.iters));
      if (peer.mlp) {
        if (out.mlp_samples_per_s)
          out.mlp_speed_ratio_vs_torch = (out.mlp_samples_per_s as number) / peer.mlp.samples_per_s;
        out.torch_version = (peer as unknown as { torch_version: string }).torch_version;
        out.torch_mlp_samples_per_s = peer.mlp.samples_per_s;
        out.torch_mlp_samples_per_s_dataloader = peer.mlp.samples_per_s_dataloader;
        out.torch_threads = peer.mlp.threads;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify(out, null, args.json ? undefined : 2));
}

await main();
