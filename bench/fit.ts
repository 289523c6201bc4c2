/**
 * bench:fit — the statistics engine's fits timed side by side with MINUIT (iminuit via /usr/bin/python3 in
 * bench/fit_minuit.py: the same functions, likelihood, quadrature and strategy loop) on the same inputs in the
 * same run:
 *   1. a 91-bin dijet4 fit of the real ATLAS 139 fb⁻¹ spectrum (../shared/data/atlas-dijet-139fb);
 *   2. 30-bin windows (60 GeV bins, SR masked) with the full ATLAS 2024 strategy, one Poisson draw of a smooth
 *      dijet spectrum per seed (`--seeds`, 2024, 2025, …): per-seed values, medians and 16–84 % ranges;
 *   3. a hard window (the first 30 bins of the real spectrum) where no function describes the full sideband and
 *      the strategy iterates and shrinks.
 * MINUIT runs under several configurations (fit_minuit.py's header: from cold, numerical gradients, to warm
 * starts where ours starts, the analytic gradient and ours' tolerance); each is reported with whether it reached
 * our minimum (the same deviance within 1e-3, or for a strategy the same accepted function and sideband). Ours
 * starts every fit from a least-squares fit of ln n (it is not warm-started from the previous fit of the
 * strategy loop), so the warm peers get exactly that start. The ratios are MINUIT's time / ours: "cold" against
 * the first configuration, "warm analytic" against the fastest warm analytic-gradient configuration that
 * reaches our minimum, "best" against the fastest configuration of any kind that does.
 *
 * Usage: node dist/bench/fit.js [--json] [--reps N] [--seeds N | --seed-list 2024,2025] [--quick] [--out FILE]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyseWindowHistogram } from '../src/analysis/window-analysis.js';
import { flag, numberFlag, parseArgs } from '../src/cli/args.js';
import { SidebandError } from '../src/events/errors.js';
import { fitBinned } from '../src/fit/binned-fit.js';
import { fitFunction } from '../src/fit/functions.js';
import { runFitStrategy, type StrategyResult } from '../src/fit/strategy.js';
import { parseSpectrumTable } from '../src/formats/spectrum-csv.js';
import { seededPoisson } from '../src/stats/random.js';
import { benchEnvironment, loadAverageNow, median, seedList, summarize } from './summary.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedDir = process.env.SIDEBAND_SHARED ?? path.resolve(repoRoot, '../shared');
const csvPath = path.join(sharedDir, 'data/atlas-dijet-139fb/atlas_dijet_139fb_ins1759712_table2.csv');

const args = parseArgs(process.argv.slice(2), ['json', 'quick']);
const quick = args.flags.has('quick');
const reps = numberFlag(args, 'reps', quick ? 30 : 200);
const peerReps = Math.max(3, Math.min(20, Math.round(reps / 10)));
const seeds = seedList(flag(args, 'seed-list'), flag(args, 'seeds'), 2024, quick ? 3 : 5);
const functions = ['dijet3', 'dijet4', 'ua2'];

function time<T>(f: () => T, n: number): { out: T; medianMs: number } {
  for (let i = 0; i < Math.min(20, n); i++) f(); // JIT warm-up
  const t: number[] = [];
  let out = f();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    out = f();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { out, medianMs: median(t) };
}

interface PeerRun {
  medianMs: number;
  function: string | null;
  deviance?: number;
  chi2?: number;
  ndf?: number;
  valid?: boolean;
  nfcn?: number;
  ngrad?: number;
  edm?: number;
  attempts?: number;
  sidebandBins?: number;
}
interface PeerOutput {
  iminuit: string;
  numpy: string;
  configs: Record<string, Record<string, unknown>>;
  problems: { name: string; configs: Record<string, PeerRun> }[];
}

// Inputs.
const text = readFileSync(csvPath, 'utf8');
const csv = parseSpectrumTable(text, csvPath);
const atlasFit = text
  .split('\n')
  .filter((l) => /^\d/.test(l))
  .map((l) => l.split(',').map(Number));
const nb = 30;
const edges = Float64Array.from({ length: nb + 1 }, (_, i) => 2000 + 60 * i);
const wlo = edges.subarray(0, nb);
const whi = edges.subarray(1);
const sr: [number, number] = [2600, 3200];
const shape = (m: number) => (1 - m / 13000) ** 10 * (m / 13000) ** -5;
const expect = Float64Array.from({ length: nb }, (_, i) => {
  let s = 0;
  for (let k = 0; k < 40; k++) s += shape(edges[i]! + (k + 0.5) * 1.5);
  return s;
});
const norm = 20000 / expect.reduce((a, b) => a + b, 0);
const windowCounts = seeds.map((seed) => {
  const draw = seededPoisson(seed);
  return Float64Array.from(expect, (e) => draw(e * norm));
});
const hlo = csv.lo.subarray(0, 30);
const hhi = csv.hi.subarray(0, 30);
const hcounts = csv.observed.subarray(0, 30);
const hsr: [number, number] = [hlo[10]!, hhi[19]!];

// Ours.
const spec = time(() => fitBinned(fitFunction('dijet4'), { lo: csv.lo, hi: csv.hi, counts: csv.observed }), reps);
let within = 0;
atlasFit.forEach((r, i) => {
  if (Math.abs(spec.out.prediction[i]! - r[3]!) <= r[4]!) within++;
});
const windows = windowCounts.map((counts) => ({
  strategy: time(() => runFitStrategy({ lo: wlo, hi: whi, counts }, { strategy: 'atlas2024', functions, sr }), reps),
  analysis: time(() => analyseWindowHistogram({ edges, counts, sr, strategy: 'atlas2024', functions }), reps),
}));
const hard = time(
  () => runFitStrategy({ lo: hlo, hi: hhi, counts: hcounts }, { strategy: 'atlas2024', functions, sr: hsr }),
  Math.max(5, Math.round(reps / 4)),
);

// MINUIT on the same inputs.
const job = {
  sqrtS: 13000,
  problems: [
    {
      name: 'spectrum',
      kind: 'fit',
      lo: Array.from(csv.lo),
      hi: Array.from(csv.hi),
      counts: Array.from(csv.observed),
      function: 'dijet4',
      reps: peerReps,
    },
    ...windowCounts.map((c, k) => ({
      name: `window-${seeds[k]}`,
      kind: 'strategy',
      lo: Array.from(wlo),
      hi: Array.from(whi),
      counts: Array.from(c),
      sr,
      functions,
      reps: peerReps,
    })),
    {
      name: 'hard',
      kind: 'strategy',
      lo: Array.from(hlo),
      hi: Array.from(hhi),
      counts: Array.from(hcounts),
      sr: hsr,
      functions,
      reps: Math.max(2, Math.round(peerReps / 4)),
    },
  ],
};
const py = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'bench/fit_minuit.py')], {
  input: JSON.stringify(job),
  encoding: 'utf8',
  maxBuffer: 1 << 24,
});
if (py.status !== 0) throw new SidebandError(`bench:fit: iminuit peer exited ${py.status}: ${py.stderr.slice(-600)}`);
const peer = JSON.parse(py.stdout) as PeerOutput;
const peerOf = (name: string) => peer.problems.find((p) => p.name === name)!.configs;

/** Did a peer run reach our result? A fit: the same deviance; a strategy: the same function and sideband. */
function sameAsOurs(p: PeerRun, ours: { deviance?: number; strategy?: StrategyResult }): boolean {
  if (ours.deviance !== undefined) return p.deviance !== undefined && Math.abs(p.deviance - ours.deviance) <= 1e-3;
  const s = ours.strategy!;
  const bins = s.fitMask.reduce((a, x) => a + x, 0);
  return p.function === (s.fit?.fn.name ?? null) && (p.sidebandBins ?? -1) === bins;
}

/** Per configuration: its time, its ratio to ours, whether it reached our result; and the two headline ratios. */
function compare(name: string, oursMs: number, ours: { deviance?: number; strategy?: StrategyResult }) {
  const configs = peerOf(name);
  const rows = Object.fromEntries(
    Object.entries(configs).map(([c, p]) => [
      c,
      { ...p, ratio: p.medianMs / oursMs, sameResultAsOurs: sameAsOurs(p, ours) },
    ]),
  );
  const warm = Object.entries(rows)
    .filter(([c, r]) => c.startsWith('warm_analytic') && r.sameResultAsOurs)
    .sort((a, b) => a[1].medianMs - b[1].medianMs)[0];
  const best = Object.entries(rows)
    .filter(([, r]) => r.sameResultAsOurs)
    .sort((a, b) => a[1].medianMs - b[1].medianMs)[0];
  return {
    peer: rows,
    coldRatio: rows.cold?.ratio ?? null,
    warmAnalyticRatio: warm ? warm[1].ratio : null,
    warmAnalyticConfig: warm ? warm[0] : null,
    bestRatio: best ? best[1].ratio : null,
    bestConfig: best ? best[0] : null,
  };
}

const specCmp = compare('spectrum', spec.medianMs, { deviance: spec.out.objectiveValue });
const winCmp = windows.map((w, k) => compare(`window-${seeds[k]}`, w.strategy.medianMs, { strategy: w.strategy.out }));
const hardCmp = compare('hard', hard.medianMs, { strategy: hard.out });

const out = {
  bench: 'fit',
  environment: { ...benchEnvironment(), loadAverageAtEnd: loadAverageNow() },
  reps,
  peerReps,
  peer: {
    iminuit: peer.iminuit,
    numpy: peer.numpy,
    configurations: peer.configs,
    note: 'each configuration: migrad (repeated up to 3 times until valid), then hesse; times include both',
  },
  spectrumFit: {
    input: 'ATLAS 139 fb-1 dijet spectrum, 91 bins, dijet4, binned Poisson likelihood',
    sideband: {
      medianMs: spec.medianMs,
      chi2: spec.out.chi2,
      ndf: spec.out.ndf,
      deviance: spec.out.objectiveValue,
      converged: spec.out.converged,
      iterations: spec.out.iterations,
      edm: spec.out.edm,
      binsWithinAtlasFitErr: within,
      bins: atlasFit.length,
    },
    ...specCmp,
  },
  windowFit: {
    input:
      '30 bins of 60 GeV (2000-3800 GeV), SR [2600, 3200] masked, 20k events, one Poisson draw per seed, ATLAS 2024 strategy dijet3 > dijet4 > ua2',
    seeds,
    sideband: {
      strategyMs: summarize(windows.map((w) => w.strategy.medianMs)),
      analysisMs: summarize(windows.map((w) => w.analysis.medianMs)),
      function: windows.map((w) => w.strategy.out.fit?.fn.name ?? null),
      attempts: windows.map((w) => w.strategy.out.attempts.length),
      z: summarize(windows.map((w) => w.analysis.out.significance.z)),
    },
    coldRatio: summarize(winCmp.map((c) => c.coldRatio)),
    warmAnalyticRatio: summarize(winCmp.map((c) => c.warmAnalyticRatio)),
    warmAnalyticConfig: winCmp.map((c) => c.warmAnalyticConfig),
    bestRatio: summarize(winCmp.map((c) => c.bestRatio)),
    bestConfig: winCmp.map((c) => c.bestConfig),
    perSeed: winCmp.map((c, k) => ({ seed: seeds[k], oursMs: windows[k]!.strategy.medianMs, ...c })),
  },
  hardWindowFit: {
    input: 'first 30 bins of the ATLAS spectrum (1100-2079 GeV), SR = bins 10-19 masked, ATLAS 2024 strategy',
    sideband: {
      strategyMedianMs: hard.medianMs,
      accepted: hard.out.accepted,
      function: hard.out.fit?.fn.name ?? null,
      chi2: hard.out.fit?.chi2 ?? null,
      ndf: hard.out.fit?.ndf ?? null,
      attempts: hard.out.attempts.length,
      sbRange: hard.out.sbRange,
    },
    ...hardCmp,
  },
};
const file = flag(args, 'out');
if (file) writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(out, null, args.flags.has('json') ? 0 : 2)}\n`);
