/**
 * Hunt validation (seed 000 §V.E, seed 001): the CWoLa hunt of topologies/cwola-hunting-atlas2020.yaml on generated
 * 1M-event Parquet files.
 *   1. Injection: an LHCO-like resonance (W' 3.5 TeV → X(500) Y(100)) injected so that S/√B ≈ 2 in its window
 *      after the selection (350 generated signal events: S = 102, B = 2.6k in SR 3.28–3.94 TeV; the run's truth
 *      labels give the figure printed); reports the largest Z of that window over the working points.
 *      The same file also goes through topologies/atlas2024-cwola.yaml, for comparison.
 *   2. Closure (seed 000 §V.E): `--closure N` signal-free files with different seeds through the ATLAS 2020 and the
 *      ATLAS 2024 topologies; per window and working point the median and the spread (standard deviation) of Z over
 *      the samples, and whether the window passes validation (both below one), plus the same over all results.
 *   3. Full hunt: topologies/atlas2024-cwola.yaml (seven sliding windows, five folds, ten-member HGB ensembles) on
 *      1M generated events; reports its wall time.
 *
 *   npm run bench:hunt -- --json [--closure 20] [--signal-events N]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTopology } from '../src/run.js';
import { loadTopology } from '../src/topology/load.js';
import type { WindowResult } from '../src/events/result.js';
import { flag, numberFlag, parseArgs } from '../src/cli/args.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'sideband-hunt-'));

function generate(seed: number, signal?: number): string {
  const file = path.join(tmpdir(), `sideband-hunt-${seed}-${signal ?? 0}.parquet`);
  if (!existsSync(file)) {
    const args = ['generate', '--events', '1000000', '--seed', String(seed), '--mjj-min', '1800', '--out', file];
    if (signal) args.push('--signal', `mA=3500,mB=500,mC=100,n=${signal}`);
    execFileSync(process.execPath, [path.join(root, 'bin/sideband.js'), ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return file;
}

async function hunt(topologyFile: string, sets: string[]) {
  const t = await loadTopology(path.join(root, topologyFile), [...sets, 'sinks.report=false']);
  const out = mkdtempSync(path.join(work, 'run-'));
  const { summary, results, run } = await runTopology(t, { file: topologyFile, outDir: out });
  // Truth in the SR of the window holding 3.5 TeV (S and B after the selection), from the buffered labels.
  const w = run.windows.find((x) => x.sr[0] <= 3500 && 3500 < x.sr[1]);
  let labels: { s: number; b: number } | undefined;
  if (w) {
    const g = run.buffers.store.gather(w.sr[0], w.sr[1]);
    const s = g.label ? g.label.reduce((a, x) => a + x, 0) : 0;
    labels = { s, b: g.n - s };
  }
  return {
    summary,
    labels,
    final: results.filter((r) => r.trigger === 'end' && r.valid && r.significance?.z !== undefined),
  };
}

/** Z of a valid result; invalid windows have none and are left out (never counted as Z = 0). */
const zOf = (r: WindowResult) => r.significance!.z!;
const round = (x: number) => Math.round(x * 1000) / 1000;

/** Median and spread (standard deviation) of a set of Z values. */
function moments(zs: number[]): { median: number; mean: number; spread: number } {
  const sorted = [...zs].sort((a, b) => a - b);
  const mean = zs.reduce((a, b) => a + b, 0) / zs.length;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : 0.5 * (sorted[mid - 1]! + sorted[mid]!);
  return { median, mean, spread: Math.sqrt(zs.reduce((a, b) => a + (b - mean) ** 2, 0) / zs.length) };
}

function mapValues<T extends Record<string, number>>(o: T, f: (x: number) => number): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)])) as T;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), ['json']);
  const closureRuns = numberFlag(args, 'closure', 20);
  const signalEvents = numberFlag(args, 'signal-events', 350);
  const topo = 'topologies/cwola-hunting-atlas2020.yaml';

  // 1. Injection.
  const sigFile = generate(11, signalEvents);
  const inj = await hunt(topo, [`source.path=${sigFile}`]);
  const sigWindow = inj.final.filter((r) => r.window.sr[0] <= 3500 && 3500 < r.window.sr[1]);
  // S/√B in the window after the selection, from the truth labels the run buffered.
  const ev = sigWindow[0]?.evaluation;
  const srTruth = inj.labels;
  const injected = sigWindow.map((r) => ({
    workingPoint: r.workingPoint,
    z: zOf(r),
    observed: r.significance!.observed,
    expected: r.significance!.expected,
  }));
  const counts = sigWindow[0]?.counts;

  // The same file through the ATLAS 2024 topology (substructure features, ten-member ensembles, window-span fits).
  const inj2024 = await hunt('topologies/atlas2024-cwola.yaml', [`source={kind: parquet, path: ${sigFile}}`]);
  const z2024 = inj2024.final
    .filter((r) => r.window.sr[0] <= 3500 && 3500 < r.window.sr[1])
    .map((r) => ({ window: r.window.id, workingPoint: r.workingPoint, z: zOf(r) }));

  // 2. Closure on signal-free samples (seed 000 §V.E): per window and working point, the median and the spread of
  //    Z over the samples; a window passes validation when both are below one.
  const files = Array.from({ length: closureRuns }, (_, k) => generate(1000 + k));
  const closure: Record<string, unknown> = {};
  for (const topology of [topo, 'topologies/atlas2024-cwola.yaml']) {
    const byWindow = new Map<string, number[]>();
    for (let k = 0; k < closureRuns; k++) {
      const r = await hunt(topology, [`source={kind: parquet, path: ${files[k]}}`, `seed=${1000 + k}`]);
      for (const x of r.final) {
        const key = `${x.window.id} eps=${x.workingPoint}`;
        byWindow.set(key, [...(byWindow.get(key) ?? []), zOf(x)]);
      }
    }
    const all = [...byWindow.values()].flat();
    const windows = [...byWindow].map(([key, zs]) => {
      const { median, spread } = moments(zs);
      return { key, n: zs.length, median: round(median), spread: round(spread), valid: median < 1 && spread < 1 };
    });
    closure[topology] = {
      runs: closureRuns,
      results: all.length,
      ...mapValues(moments(all), round),
      windows_valid: windows.filter((w) => w.valid).length,
      windows_total: windows.length,
      windows,
    };
  }

  // 3. Full hunt time.
  const full = await hunt('topologies/atlas2024-cwola.yaml', []);

  const res = {
    injection: {
      topology: topo,
      signal_events_generated: signalEvents,
      window: sigWindow[0]?.window.id,
      counts,
      sr_signal: srTruth?.s,
      sr_background: srTruth?.b,
      s_over_sqrt_b: srTruth ? srTruth.s / Math.sqrt(srTruth.b) : undefined,
      max_z: Math.max(...injected.map((x) => x.z)),
      working_points: injected,
      auc: ev?.auc,
      max_sic: ev?.maxSic,
    },
    injection_atlas2024: {
      topology: 'topologies/atlas2024-cwola.yaml',
      sr_signal: inj2024.labels?.s,
      sr_background: inj2024.labels?.b,
      max_z: Math.max(...z2024.map((x) => x.z)),
      windows: z2024,
    },
    closure,
    full_hunt: {
      topology: 'topologies/atlas2024-cwola.yaml',
      events: full.summary.events.read,
      seconds: full.summary.seconds,
      windows: new Set(full.final.map((r) => r.window.id)).size,
      results: full.final.length,
    },
  };
  process.stdout.write(`${JSON.stringify(res, null, flag(args, 'json') ? 0 : 2)}\n`);
}

main().catch((e) => {
  console.error(`bench:hunt: ${e.stack ?? e.message}`);
  process.exit(1);
});
