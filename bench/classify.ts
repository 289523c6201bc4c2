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
import { defaultHgbParams, fitHgb, predictProba, type HgbParams } from '../src/classify/hgb.js';
import { auc, maxSic, rocCurve } from '../src/classify/metrics.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    dir: { type: 'string', default: path.resolve(repo, '../shared/data/lhco-rnd-sr') },
    members: { type: 'string', default: '30' },
    params: { type: 'string', default: '{}' },
    'no-peer': { type: 'boolean', default: false },
    'no-mlp': { type: 'boolean', default: false },
  },
});

/** Weak-supervision hyperparameters; the same dictionary goes to scikit-learn. */
const weakParams: HgbParams = {
  ...defaultHgbParams,
  learningRate: 0.1,
  maxIter: 200,
  maxLeafNodes: 31,
  minSamplesLeaf: 20,
  l2: 0,
  earlyStopping: true,
  validationFraction: 0.1,
  nIterNoChange: 10,
  ...(JSON.parse(args.params!) as Partial<HgbParams>),
};

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

function ensembleOurs(d: Labelled, evalCols: Float32Array[], members: number, params: HgbParams) {
  const avg = new Float64Array(evalCols[0]!.length);
  const secs: number[] = [];
  const iters: number[] = [];
  for (let m = 0; m < members; m++) {
    const t = performance.now();
    const model = fitHgb({ columns: d.columns, y: d.y, weight: d.w }, { ...params, seed: params.seed + m });
    secs.push((performance.now() - t) / 1000);
    iters.push(model.nIter);
    const p = predictProba(model, evalCols);
    for (let i = 0; i < avg.length; i++) avg[i] = avg[i]! + p[i]! / members;
  }
  return { scores: avg, secs, iters };
}

function sicOf(scores: ArrayLike<number>, labels: Uint8Array) {
  const roc = rocCurve(scores, labels);
  return { auc: auc(roc), maxSic: maxSic(roc), maxSic100: maxSic(roc, 100) };
}

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / Math.max(a.length, 1);

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
  const ours = ensembleOurs(weak, evalSet.columns, members, weakParams);
  const oursWeak = sicOf(ours.scores, evalSet.label);
  const single = sicOf(ensembleOurs(weak, evalSet.columns, 1, weakParams).scores, evalSet.label);
  const sup = ensembleOurs(supervised, evalSet.columns, 1, weakParams);
  const oursSup = sicOf(sup.scores, evalSet.label);
  log(`ours: weak ${JSON.stringify(oursWeak)} ${mean(ours.secs).toFixed(3)} s/model, supervised ${JSON.stringify(oursSup)}`);

  const out: Record<string, unknown> = {
    bench: 'classify',
    dataset: 'lhco-rnd-sr',
    features: LHCO_FEATURES,
    n_data: data.n,
    n_template: template.n,
    n_eval: evalSet.n,
    ensemble_members: members,
    hgb_params: weakParams,
    sic_min_background: 25,
    weak_max_sic: oursWeak.maxSic,
    weak_max_sic_min100b: oursWeak.maxSic100,
    weak_auc: oursWeak.auc,
    weak_single_max_sic: single.maxSic,
    supervised_max_sic: oursSup.maxSic,
    supervised_auc: oursSup.auc,
    hgb_seconds_per_model: mean(ours.secs),
    hgb_iterations_mean: mean(ours.iters),
  };

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
      const spec = { hgb_jobs: [job('weak', 'weak', members), job('supervised', 'sup', 1)] };
      writeFileSync(path.join(tmp, 'spec.json'), JSON.stringify(spec));
      const stdout = execFileSync('/usr/bin/python3', [path.join(repo, 'bench/classify_peer.py'), tmp], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });
      const peer = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, { seconds: number[]; n_iter: number[] }> & {
        sklearn_version: string;
      };
      const read = (f: string) => new Float64Array(readFileSync(path.join(tmp, f)).buffer.slice(0));
      const skWeak = sicOf(read('weak_scores.f64'), evalSet.label);
      const skSup = sicOf(read('supervised_scores.f64'), evalSet.label);
      const skSecs = mean(peer.weak!.seconds);
      out.sklearn_version = peer.sklearn_version;
      out.sklearn_threads = os.availableParallelism();
      out.sklearn_weak_max_sic = skWeak.maxSic;
      out.sklearn_weak_max_sic_min100b = skWeak.maxSic100;
      out.sklearn_weak_auc = skWeak.auc;
      out.sklearn_supervised_max_sic = skSup.maxSic;
      out.sklearn_hgb_seconds_per_model = skSecs;
      out.sklearn_hgb_iterations_mean = mean(peer.weak!.n_iter);
      // Per-iteration ratio as well: early stopping may stop the two implementations at different iterations.
      out.hgb_speed_ratio_vs_sklearn = skSecs / mean(ours.secs);
      out.hgb_speed_ratio_per_iteration =
        skSecs / mean(peer.weak!.n_iter) / (mean(ours.secs) / mean(ours.iters));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify(out, null, args.json ? undefined : 2));
}

await main();
