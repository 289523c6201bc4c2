/**
 * Benchmark of the statistics engine, timed side by side with MINUIT (iminuit via /usr/bin/python3, the same
 * functions, likelihood, quadrature and strategy loop in bench/fit_minuit.py) on the same inputs in the same run:
 *   1. a 91-bin dijet4 fit of the real ATLAS 139 fb⁻¹ spectrum (../shared/data/atlas-dijet-139fb);
 *   2. a 30-bin window (60 GeV bins, SR masked) with the full ATLAS 2024 strategy (and, for sideband alone, the
 *      significance as well).
 * Prints one JSON object. Usage: node dist/bench/fit.js --json [--reps N]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitBinned } from '../src/fit/binned-fit.js';
import { fitFunction } from '../src/fit/functions.js';
import { runFitStrategy } from '../src/fit/strategy.js';
import { parseSpectrumTable } from '../src/formats/spectrum-csv.js';
import { seededPoisson } from '../src/stats/random.js';
import { analyseWindowHistogram } from '../src/analysis/window-analysis.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedDir = process.env.SIDEBAND_SHARED ?? path.resolve(repoRoot, '../shared');
const csvPath = path.join(sharedDir, 'data/atlas-dijet-139fb/atlas_dijet_139fb_ins1759712_table2.csv');

const argv = process.argv.slice(2);
const repsArg = argv.indexOf('--reps');
const reps = repsArg >= 0 ? Number(argv[repsArg + 1]) : 200;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k]! : 0.5 * (s[k - 1]! + s[k]!);
}

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

// 1. ATLAS spectrum, dijet4, all 91 bins.
const text = readFileSync(csvPath, 'utf8');
const csv = parseSpectrumTable(text, csvPath);
const atlasFit = text
  .split('\n')
  .filter((l) => /^\d/.test(l))
  .map((l) => l.split(',').map(Number));
const spec = { lo: csv.lo, hi: csv.hi, counts: csv.observed };
const dijet4 = fitFunction('dijet4');
const s1 = time(() => fitBinned(dijet4, spec), reps);
let within = 0;
atlasFit.forEach((r, i) => {
  if (Math.abs(s1.out.prediction[i]! - r[3]!) <= r[4]!) within++;
});

// 2. A 30-bin window: 2000–3800 GeV in 60 GeV bins, SR [2600, 3200], a smooth dijet spectrum of 20k events
//    fluctuated with a fixed seed.
const nb = 30,
  edges = Float64Array.from({ length: nb + 1 }, (_, i) => 2000 + 60 * i);
const sr: [number, number] = [2600, 3200];
const shape = (m: number) => (1 - m / 13000) ** 10 * (m / 13000) ** -5;
const expect = Float64Array.from({ length: nb }, (_, i) => {
  let s = 0;
  for (let k = 0; k < 40; k++) s += shape(edges[i]! + (k + 0.5) * 1.5);
  return s;
});
const norm = 20000 / expect.reduce((a, b) => a + b, 0);
const draw = seededPoisson(2024);
const counts = Float64Array.from(expect, (e) => draw(e * norm));
const wlo = edges.subarray(0, nb),
  whi = edges.subarray(1);
const functions = ['dijet3', 'dijet4', 'ua2'];
const s2 = time(() => runFitStrategy({ lo: wlo, hi: whi, counts }, { strategy: 'atlas2024', functions, sr }), reps);
const s3 = time(() => analyseWindowHistogram({ edges, counts, sr, strategy: 'atlas2024', functions }), reps);

// 3. A hard window: the first 30 bins of the real ATLAS spectrum (1100-2079 GeV, millions of events per bin), SR
//    = the middle 10 bins; no function describes the full sideband, so the strategy iterates and shrinks.
const hlo = csv.lo.subarray(0, 30),
  hhi = csv.hi.subarray(0, 30),
  hcounts = csv.observed.subarray(0, 30);
const hsr: [number, number] = [hlo[10]!, hhi[19]!];
const s4 = time(
  () => runFitStrategy({ lo: hlo, hi: hhi, counts: hcounts }, { strategy: 'atlas2024', functions, sr: hsr }),
  reps,
);

// MINUIT on the same inputs.
const job = {
  reps: Math.max(5, Math.min(30, reps)),
  sqrtS: 13000,
  spectrum: { lo: Array.from(csv.lo), hi: Array.from(csv.hi), counts: Array.from(csv.observed), function: 'dijet4' },
  window: { lo: Array.from(wlo), hi: Array.from(whi), counts: Array.from(counts), sr, functions },
  hardWindow: { lo: Array.from(hlo), hi: Array.from(hhi), counts: Array.from(hcounts), sr: hsr, functions },
};
const py = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'bench/fit_minuit.py')], {
  input: JSON.stringify(job),
  encoding: 'utf8',
  maxBuffer: 1 << 24,
});
let minuit: Record<string, unknown>;
try {
  minuit = py.status === 0 ? JSON.parse(py.stdout) : { error: `python exited ${py.status}: ${py.stderr.slice(-400)}` };
} catch (e) {
  minuit = { error: `unreadable iminuit output: ${(e as Error).message}` };
}
const mSpec = minuit.spectrumFit as { chi2?: number; deviance?: number; valid?: boolean; nfcn?: number } | undefined;
const mWin = minuit.windowFit as
  | { function?: string; chi2?: number; ndf?: number; attempts?: number; sidebandBins?: number }
  | undefined;
const mHard = minuit.hardWindowFit as typeof mWin;
const ratio = (a: unknown, b: number) => (typeof a === 'number' ? a / b : null);

const out = {
  bench: 'fit',
  node: process.version,
  reps,
  targetMs: 5,
  spectrumFit: {
    input: 'ATLAS 139 fb-1 dijet spectrum, 91 bins, dijet4, binned Poisson likelihood',
    sideband: {
      medianMs: s1.medianMs,
      chi2: s1.out.chi2,
      ndf: s1.out.ndf,
      deviance: s1.out.objectiveValue,
      converged: s1.out.converged,
      iterations: s1.out.iterations,
      edm: s1.out.edm,
      binsWithinAtlasFitErr: within,
      bins: atlasFit.length,
    },
    minuit: {
      medianMs: minuit.spectrumFitMs ?? null,
      chi2: mSpec?.chi2 ?? null,
      deviance: mSpec?.deviance ?? null,
      valid: mSpec?.valid ?? null,
      nfcn: mSpec?.nfcn ?? null,
    },
    speedupVsMinuit: ratio(minuit.spectrumFitMs, s1.medianMs),
  },
  windowFit: {
    input:
      '30 bins of 60 GeV (2000-3800 GeV), SR [2600, 3200] masked, 20k events (seed 2024), ATLAS 2024 strategy dijet3 > dijet4 > ua2',
    sideband: {
      strategyMedianMs: s2.medianMs,
      analysisMedianMs: s3.medianMs,
      function: s2.out.fit?.fn.name ?? null,
      chi2: s2.out.fit?.chi2 ?? null,
      ndf: s2.out.fit?.ndf ?? null,
      attempts: s2.out.attempts.length,
      sbRange: s2.out.sbRange,
      z: s3.out.significance.z,
    },
    minuit: {
      medianMs: minuit.windowFitMs ?? null,
      function: mWin?.function ?? null,
      chi2: mWin?.chi2 ?? null,
      ndf: mWin?.ndf ?? null,
      attempts: mWin?.attempts ?? null,
      sidebandBins: mWin?.sidebandBins ?? null,
    },
    speedupVsMinuit: ratio(minuit.windowFitMs, s2.medianMs),
  },
  hardWindowFit: {
    input: 'first 30 bins of the ATLAS spectrum (1100-2079 GeV), SR = bins 10-19 masked, ATLAS 2024 strategy',
    sideband: {
      strategyMedianMs: s4.medianMs,
      accepted: s4.out.accepted,
      function: s4.out.fit?.fn.name ?? null,
      chi2: s4.out.fit?.chi2 ?? null,
      ndf: s4.out.fit?.ndf ?? null,
      attempts: s4.out.attempts.length,
      sbRange: s4.out.sbRange,
    },
    minuit: {
      medianMs: minuit.hardWindowFitMs ?? null,
      function: mHard?.function ?? null,
      chi2: mHard?.chi2 ?? null,
      ndf: mHard?.ndf ?? null,
      attempts: mHard?.attempts ?? null,
      sidebandBins: mHard?.sidebandBins ?? null,
    },
    speedupVsMinuit: ratio(minuit.hardWindowFitMs, s4.medianMs),
  },
  versions: { iminuit: minuit.iminuit ?? null, numpy: minuit.numpy ?? null },
  ...(minuit.error ? { minuitError: minuit.error } : {}),
};
process.stdout.write(`${JSON.stringify(out, null, argv.includes('--json') ? 0 : 2)}\n`);
