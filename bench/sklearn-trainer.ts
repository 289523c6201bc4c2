/**
 * scikit-learn's HistGradientBoostingClassifier as a `Trainer` for the shipped path (bench peer): the same
 * training jobs the run's pool would get (same folds, rows, weights, hyperparameters, seeds) go to one Python
 * process (bench/sklearn_trainer.py, Debian's python3-sklearn), one job at a time, with its OpenMP pool limited
 * to `threads`. So sklearn's models go through exactly our cross-validation, ensemble and selection, and its SIC
 * and its time per selection are comparable with ours job for job. Our row/feature subsampling has no
 * counterpart in scikit-learn 1.2; `describe()` says so.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defaultHgbParams, type HgbParams } from '../src/classify/hgb.js';
import type { TrainJob, TrainResult } from '../src/classify/train-job.js';
import { SidebandError } from '../src/events/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.resolve(here, '../../bench/sklearn_trainer.py');

interface Reply {
  id: number;
  scores?: string[];
  seconds?: number;
  n_iter?: number;
  validation_loss?: number | null;
  error?: string;
}

export class SklearnTrainer {
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'sideband-sklearn-'));
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  private hello!: Record<string, unknown>;
  private dataKey = new WeakMap<Float32Array, string>();
  private nextData = 0;
  private nextJob = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private ready: Promise<void>;

  constructor(readonly threads: number) {
    this.proc = spawn('/usr/bin/python3', [script, String(threads)], {
      env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: '1' },
    });
    let stderr = '';
    this.proc.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-2000);
    });
    const lines = createInterface({ input: this.proc.stdout });
    this.ready = new Promise((resolve, reject) => {
      this.proc.on('exit', (code) => {
        const e = new SidebandError(`sklearn peer: python exited ${code}: ${stderr}`);
        reject(e);
        for (const f of this.waiting.values()) f({ id: -1, error: e.message });
      });
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as Reply & { ready?: boolean };
        if (msg.ready) {
          this.hello = msg as unknown as Record<string, unknown>;
          resolve();
          return;
        }
        const f = this.waiting.get(msg.id);
        this.waiting.delete(msg.id);
        f?.(msg);
      });
    });
  }

  /** How the peer is configured (versions, threads, thread pools, what differs from ours). */
  async describe(): Promise<Record<string, unknown>> {
    await this.ready;
    return {
      ...this.hello,
      ready: undefined,
      estimator: 'sklearn.ensemble.HistGradientBoostingClassifier',
      earlyStopping:
        'fit on the training + validation rows with validation_fraction = |validation| / (|training| + |validation|), ' +
        "scoring 'loss', the same n_iter_no_change and tol (sklearn 1.2 takes no explicit validation rows)",
      subsampling:
        'none (sklearn 1.2 has no row or feature subsampling): compare with ours at subsample = colsampleByTree = 1',
      jobs: 'one at a time in one process',
    };
  }

  /** The data set's files, written once per feature-column array. */
  private dataOf(job: TrainJob): string {
    const c0 = job.columns[0]!;
    const known = this.dataKey.get(c0);
    if (known) return known;
    const key = `d${this.nextData++}`;
    const n = c0.length;
    const nf = job.columns.length;
    const x = new Float32Array(n * nf);
    for (let f = 0; f < nf; f++) {
      const c = job.columns[f]!;
      for (let i = 0; i < n; i++) x[i * nf + f] = c[i]!;
    }
    writeFileSync(path.join(this.dir, `${key}_x.f32`), x);
    writeFileSync(path.join(this.dir, `${key}_y.u8`), job.y);
    writeFileSync(path.join(this.dir, `${key}_w.f32`), job.weight);
    this.dataKey.set(c0, key);
    return key;
  }

  /** A `Trainer`: jobs queue and run one after another in the Python process. */
  readonly train = (job: TrainJob): Promise<TrainResult> => {
    const run = async (): Promise<TrainResult> => {
      await this.ready;
      if (job.kind !== 'hgb') throw new SidebandError(`sklearn peer: only HGB jobs (got ${job.kind})`);
      const id = this.nextJob++;
      const data = this.dataOf(job);
      const file = (name: string, rows: Uint32Array) => {
        writeFileSync(path.join(this.dir, name), rows);
        return name;
      };
      const p: HgbParams = { ...defaultHgbParams, ...job.hgb, seed: job.seed };
      const msg = {
        id,
        dir: this.dir,
        data,
        n_features: job.columns.length,
        train: file(`j${id}_train.u32`, job.trainRows),
        validation: file(`j${id}_val.u32`, job.validationRows),
        score: job.scoreRows.map((r, k) => file(`j${id}_score${k}.u32`, r)),
        params: { ...p, earlyStopping: p.earlyStopping === 'auto' ? true : p.earlyStopping },
        seed: job.seed,
      };
      const reply = await new Promise<Reply>((resolve) => {
        this.waiting.set(id, resolve);
        this.proc.stdin.write(`${JSON.stringify(msg)}\n`);
      });
      if (reply.error) throw new SidebandError(`sklearn peer (job ${id}): ${reply.error}`);
      const scores = reply.scores!.map((f) => {
        const b = readFileSync(path.join(this.dir, f));
        rmSync(path.join(this.dir, f));
        return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8).slice();
      });
      for (const f of [msg.train, msg.validation, ...msg.score]) rmSync(path.join(this.dir, f));
      return {
        scores,
        validationLoss: reply.validation_loss ?? Number.NaN,
        seconds: reply.seconds!,
        backend: 'sklearn',
        iterations: reply.n_iter!,
      };
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  };

  async close(): Promise<void> {
    this.proc.stdin.end();
    await new Promise((r) => (this.proc.exitCode === null ? this.proc.once('exit', r) : r(null)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
