/**
 * Benchmark of the DDP neural bump hunter's data side (seed 002), printed as one JSON object:
 *  - generation: training histograms per second, with their z_PL targets (4 widths) and without (the targets
 *    timed alone on the same histograms), median of `reps` runs;
 *  - targets peer: the same z_PL computed by NumPy (vectorised Newton over all centres of a histogram,
 *    test/analysis/fixtures/ddp_zpl_reference.py --bench) on the same histograms in the same run, one thread each;
 *  - writing: the Parquet list-column writer against hyparquet-writer on the same columns (its default page and
 *    statistics settings, UNCOMPRESSED like ours);
 *  - target statistics over ≥ 5 seeds (median and 16–84 % range over the seeds): the per-histogram maximum of
 *    the mixed-width target, the share of histograms with it in 0–10σ, z_PL at the true signal bin and width
 *    minus the injected σ, and the null behaviour (share of bins at exactly 0);
 *  - the fit-based reference scan of the ATLAS 139 fb⁻¹ spectrum (time per scan, largest z);
 *  - the network's figures of issue 15 (bench/ddp-network.ts: bias and spread of Z_pred − Z_PL on held-out seeds,
 *    scan histograms/s, the ATLAS per-bin z beside the fit-based one, training time) for the shipped model.
 *   node dist/bench/ddp.js --json [--histograms N] [--seeds K] [--reps R] [--peer-histograms M]
 *        [--model FILE] [--network-histograms N] [--network-seeds K]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParquetWriter } from 'hyparquet-writer';
import { fileWriter } from 'hyparquet-writer/src/node.js';
import { DdpTrainingSetGenerator, type DdpBatch } from '../src/analysis/ddp-training-set.js';
import { gaussianTemplate, zPlScanInto } from '../src/analysis/ddp-targets.js';
import { fitScanner } from '../src/analysis/ddp-scan.js';
import { parseSpectrumTable } from '../src/formats/spectrum-csv.js';
import { DdpTrainingSetWriter, ddpColumns } from '../src/sinks/ddp-training-set.js';
import { networkFigures } from './ddp-network.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedDir = process.env.SIDEBAND_SHARED ?? path.resolve(repoRoot, '../shared');
const atlasCsv = path.join(sharedDir, 'data/atlas-dijet-139fb/atlas_dijet_139fb_ins1759712_table2.csv');
const peerScript = path.join(repoRoot, 'test/analysis/fixtures/ddp_zpl_reference.py');

const argv = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const histograms = opt('histograms', 20000);
const seeds = opt('seeds', 5);
const reps = opt('reps', 3);
const peerHistograms = opt('peer-histograms', 1000);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k]! : 0.5 * (s[k - 1]! + s[k]!);
}
function quantile(xs: ArrayLike<number>, p: number): number {
  const s = Float64Array.from(xs).sort();
  if (s.length === 0) return NaN;
  const x = p * (s.length - 1),
    i = Math.floor(x),
    f = x - i;
  return i + 1 < s.length ? s[i]! * (1 - f) + s[i + 1]! * f : s[i]!;
}
/** Median and 16–84 % range of a figure over seeds. */
function overSeeds(values: number[]): { median: number; q16: number; q84: number; per_seed: number[] } {
  return { median: quantile(values, 0.5), q16: quantile(values, 0.16), q84: quantile(values, 0.84), per_seed: values };
}

// ---- 1. Generation speed, with and without targets ---------------------------------------------------------
const gen = new DdpTrainingSetGenerator({ seed: 1 });
gen.batch(0, 500); // JIT warm-up
const genRuns: number[] = [],
  targetRuns: number[] = [];
let sample: DdpBatch = gen.batch(0, 1);
const tpls = gen.options.widths.map((w) => gaussianTemplate(w));
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  sample = gen.batch(r * histograms, histograms);
  genRuns.push((performance.now() - t0) / 1000);
  // Targets alone on the same histograms (float64 background, as the generator computes them).
  const t1 = performance.now();
  const z = new Float64Array(gen.options.binsMax);
  for (let h = 0; h < sample.rows; h++) {
    const o = sample.offsets[h]!,
      e = sample.offsets[h + 1]!;
    const c = sample.counts.subarray(o, e),
      b = Float64Array.from(sample.background.subarray(o, e));
    for (const t of tpls) zPlScanInto(c, b, t, z.subarray(0, e - o));
  }
  targetRuns.push((performance.now() - t1) / 1000);
}
const genS = median(genRuns),
  tgtS = median(targetRuns);
const meanBins = sample.counts.length / sample.rows;

// ---- 2. Targets peer: NumPy on the same histograms ---------------------------------------------------------
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sideband-bench-ddp-'));
let peer: Record<string, unknown>;
let oursPeerS = NaN,
  oursZsum = 0;
{
  const n = Math.min(peerHistograms, sample.rows);
  const hs = Array.from({ length: n }, (_, h) => {
    const o = sample.offsets[h]!,
      e = sample.offsets[h + 1]!;
    const counts = Array.from(sample.counts.subarray(o, e)),
      background = Array.from(sample.background.subarray(o, e));
    return { counts, background };
  });
  const file = path.join(tmp, 'peer.json');
  writeFileSync(file, JSON.stringify({ widths: gen.options.widths, histograms: hs }));
  // Ours on exactly these inputs (float32 background as stored), for the z-sum agreement and the ratio.
  const z = new Float64Array(gen.options.binsMax);
  const runs: number[] = [];
  for (let r = 0; r < reps; r++) {
    oursZsum = 0;
    const t0 = performance.now();
    for (const h of hs) {
      const b = Float64Array.from(h.background);
      for (const t of tpls) {
        const zv = z.subarray(0, b.length);
        zPlScanInto(h.counts, b, t, zv);
        for (let i = 0; i < zv.length; i++) oursZsum += zv[i]!;
      }
    }
    runs.push((performance.now() - t0) / 1000);
  }
  oursPeerS = median(runs);
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const res = spawnSync('/usr/bin/python3', [peerScript, '--bench', file], { encoding: 'utf8', env });
  try {
    peer = JSON.parse(res.stdout.trim().split('\n').pop() ?? '');
  } catch {
    peer = { error: `peer did not run: ${res.stderr.slice(-300)}` };
  }
  peer.config = '/usr/bin/python3, Debian NumPy, OMP/OpenBLAS/MKL threads = 1, templates cut at ±⌈5w⌉ bins as ours';
  peer.ours_histograms_per_s = n / oursPeerS;
  peer.ours_z_sum = oursZsum;
  if (typeof peer.z_sum === 'number') {
    peer.z_sum_relative_difference = Math.abs(oursZsum - peer.z_sum) / Math.max(1, Math.abs(oursZsum));
  }
  if (typeof peer.histograms_per_s === 'number') {
    peer.speed_ratio_ours_over_peer = n / oursPeerS / peer.histograms_per_s;
  }
}

// ---- 3. Writing: ours against hyparquet-writer on the same columns ----------------------------------------
const oursFile = path.join(tmp, 'ours.parquet'),
  peerFile = path.join(tmp, 'hyparquet.parquet');
const writeRuns: number[] = [];
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  const w = await DdpTrainingSetWriter.create(oursFile, 1, gen.describe());
  await w.append(sample);
  await w.close();
  writeRuns.push((performance.now() - t0) / 1000);
}
const oursWriteS = median(writeRuns);
let hyparquetS = NaN;
{
  const cols = ddpColumns(sample, 1);
  const listSchema = (name: string, type: string) => [
    { name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'REQUIRED', type },
  ];
  const typeOf: Record<string, string> = { int32: 'INT32', float: 'FLOAT', double: 'DOUBLE', string: 'BYTE_ARRAY' };
  const schema: Record<string, unknown>[] = [{ name: 'root', num_children: cols.length }];
  const columnData: { name: string; data: unknown[] }[] = [];
  for (const c of cols) {
    if (c.kind === 'list') {
      schema.push(...listSchema(c.name, typeOf[c.element]!));
      const v = c.values,
        off = c.offsets;
      const rows = Array.from({ length: sample.rows }, (_, h) => Array.from(v.subarray(off[h]!, off[h + 1]!)));
      columnData.push({ name: c.name, data: rows });
    } else {
      const utf8 = c.kind === 'string' ? { converted_type: 'UTF8' } : {};
      schema.push({ name: c.name, type: typeOf[c.kind], repetition_type: 'REQUIRED', ...utf8 });
      columnData.push({ name: c.name, data: Array.from(c.values as ArrayLike<unknown>) });
    }
  }
  const runs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const w = new ParquetWriter({ writer: fileWriter(peerFile), schema: schema as never, codec: 'UNCOMPRESSED' });
    await w.write({ columnData: columnData as never, rowGroupSize: sample.rows });
    await w.finish();
    runs.push((performance.now() - t0) / 1000);
  }
  hyparquetS = median(runs);
}
const sizes = { ours_bytes: statSync(oursFile).size, hyparquet_writer_bytes: statSync(peerFile).size };
rmSync(tmp, { recursive: true, force: true });

// ---- 4. Target statistics over seeds -----------------------------------------------------------------------
const statN = Math.min(histograms, 10000);
type SeedFigure =
  | 'zMaxMedian'
  | 'zMaxQ16'
  | 'zMaxQ84'
  | 'in0to10'
  | 'pullMedian'
  | 'pullWidth'
  | 'zeroBins'
  | 'nullZMaxMedian';
const perSeed: Record<SeedFigure, number[]> = {
  zMaxMedian: [],
  zMaxQ16: [],
  zMaxQ84: [],
  in0to10: [],
  pullMedian: [],
  pullWidth: [],
  zeroBins: [],
  nullZMaxMedian: [],
};
for (let s = 0; s < seeds; s++) {
  const g = new DdpTrainingSetGenerator({ seed: 1000 + s });
  const b = g.batch(0, statN);
  perSeed.zMaxMedian.push(quantile(b.zMax, 0.5));
  perSeed.zMaxQ16.push(quantile(b.zMax, 0.16));
  perSeed.zMaxQ84.push(quantile(b.zMax, 0.84));
  perSeed.in0to10.push(Array.from(b.zMax).filter((z) => z <= 10).length / b.rows);
  const pull: number[] = [];
  let zero = 0;
  const nullMax: number[] = [];
  for (let r = 0; r < b.rows; r++) {
    const k = g.options.widths.indexOf(b.signalWidth[r]!);
    if (b.signalZ[r]! >= 3) pull.push(b.zByWidth[k]![b.offsets[r]! + b.signalBin[r]!]! - b.signalZ[r]!);
    if (b.signalZ[r]! < 0.2) nullMax.push(b.zMax[r]!);
  }
  for (let j = 0; j < b.zMixed.length; j++) if (b.zMixed[j] === 0) zero++;
  perSeed.pullMedian.push(quantile(pull, 0.5));
  perSeed.pullWidth.push(0.5 * (quantile(pull, 0.84) - quantile(pull, 0.16)));
  perSeed.zeroBins.push(zero / b.zMixed.length);
  perSeed.nullZMaxMedian.push(quantile(nullMax, 0.5));
}

// ---- 5. Fit-based reference scan of the ATLAS spectrum ----------------------------------------------------
const atlas = parseSpectrumTable(readFileSync(atlasCsv, 'utf8'), atlasCsv);
const scanner = fitScanner();
const scanRuns: number[] = [];
let scan = scanner.scan({ lo: atlas.lo, hi: atlas.hi, counts: atlas.observed });
for (let r = 0; r < Math.max(5, reps); r++) {
  const t0 = performance.now();
  scan = scanner.scan({ lo: atlas.lo, hi: atlas.hi, counts: atlas.observed });
  scanRuns.push(performance.now() - t0);
}
let best = 0;
for (let i = 1; i < scan.zMixed.length; i++) if (scan.zMixed[i]! > scan.zMixed[best]!) best = i;

// ---- 6. The network (shipped model) ----------------------------------------------------------------------
const modelFile = (() => {
  const i = argv.indexOf('--model');
  return i >= 0 ? argv[i + 1]! : path.join(repoRoot, 'models/ddp-znet3.json');
})();
let network: Record<string, unknown>;
try {
  statSync(modelFile);
  network = networkFigures({
    model: modelFile,
    histograms: opt('network-histograms', 20000),
    seeds: opt('network-seeds', 5),
  });
} catch (e) {
  network = { model: modelFile, valid: false, reason: `no trained network: ${(e as Error).message}` };
}
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'ddp',
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadavg: os.loadavg(),
      note: 'shared machine: timings are noisy; compare the ratios against the peer measured in the same run',
    },
    config: {
      histograms,
      reps,
      seeds,
      stat_histograms_per_seed: statN,
      peer_histograms: peerHistograms,
      generator: gen.describe(),
    },
    generation: {
      histograms_per_s: histograms / genS,
      // Estimated: the targets timed alone on the same histograms, subtracted from the whole generation.
      histograms_per_s_without_targets_estimated: histograms / Math.max(1e-9, genS - tgtS),
      targets_histograms_per_s: histograms / tgtS,
      targets_bin_fits_per_s: (histograms * meanBins * tpls.length) / tgtS,
      mean_bins: meanBins,
      seconds_median: genS,
      seconds_runs: genRuns,
    },
    targets_peer: peer,
    writing: {
      ours_histograms_per_s: sample.rows / oursWriteS,
      hyparquet_writer_histograms_per_s: sample.rows / hyparquetS,
      speed_ratio: hyparquetS / oursWriteS,
      ...sizes,
      peer_config:
        'hyparquet-writer 0.17 ParquetWriter, explicit 3-level LIST schema, UNCOMPRESSED, default statistics, ' +
        'one row group',
    },
    target_statistics: {
      definition:
        'z_max = max over bins of the mixed-width target; ' +
        'pull = z_PL(true bin, true width) − injected σ for injected σ ≥ 3',
      z_max_median: overSeeds(perSeed.zMaxMedian),
      z_max_q16: overSeeds(perSeed.zMaxQ16),
      z_max_q84: overSeeds(perSeed.zMaxQ84),
      fraction_z_max_in_0_10: overSeeds(perSeed.in0to10),
      pull_median: overSeeds(perSeed.pullMedian),
      pull_half_width_16_84: overSeeds(perSeed.pullWidth),
      fraction_bins_with_z_mw_zero: overSeeds(perSeed.zeroBins),
      z_max_median_injected_below_0p2_sigma: overSeeds(perSeed.nullZMaxMedian),
    },
    fit_reference_scan_atlas: {
      spectrum: atlasCsv,
      function: scan.info.function,
      chi2: scan.info.chi2,
      ndf: scan.info.ndf,
      pvalue: scan.info.pvalue,
      ms_per_scan_median: median(scanRuns),
      max_z_mw: scan.zMixed[best],
      max_at_GeV: [atlas.lo[best], atlas.hi[best]],
    },
    network,
  })}\n`,
);
