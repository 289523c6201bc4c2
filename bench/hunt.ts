/**
 * bench:hunt — CWoLa hunting end to end on generated events, over generator seeds (seed 000 §V.E, seed 001):
 *   1. Injection: an LHCO-like resonance (W' 3.5 TeV → X(500) Y(100), `--signal-events` generated) in 1M-event
 *      files of generator seeds 11, 12, … (`--seeds`), each through topologies/cwola-hunting-atlas2020.yaml and
 *      topologies/atlas2024-cwola.yaml with the topology seed set to the generator seed. Per topology, the
 *      window that holds the signal is the one whose SR has the largest truth S/√B (from the labels the run
 *      buffered; the labels never reach training); reported per working point: the Z of that window (not the
 *      largest Z over windows or working points), its truth S, B and S/√B before any classifier cut, and the Z
 *      of every window, each as median, 16–84 % range and per-seed values.
 *   2. Closure (seed 000 §V.E): `--closure N` signal-free files (generator and topology seeds 1000, 1001, …)
 *      through both topologies; per window and working point the median, 16–84 % range and spread (standard
 *      deviation) of Z over the samples, and whether the window passes validation (median and spread below one).
 *   3. Full hunt: topologies/atlas2024-cwola.yaml as shipped (its own 1M generated events); its wall time.
 * A result with `valid: false` or without a significance (a window the statistics refuse) counts as invalid: it
 * is counted, never read as Z = 0. Generated files are cached by a hash of the generator's source and arguments
 * (bench/input-cache.ts).
 *
 *   npm run bench:hunt -- --json [--seeds N | --seed-list 11,12] [--closure 20] [--signal-events 350] [--quick] [--out FILE]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, numberFlag, parseArgs } from '../src/cli/args.js';
import type { WindowResult } from '../src/events/result.js';
import { runTopology } from '../src/run.js';
import { loadTopology } from '../src/topology/load.js';
import { generatedFile, generatorVersion } from './input-cache.js';
import { benchEnvironment, loadAverageNow, seedList, summarize, type SeedSummary } from './summary.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'sideband-hunt-'));
const TOPOLOGIES = ['topologies/cwola-hunting-atlas2020.yaml', 'topologies/atlas2024-cwola.yaml'];
const SIGNAL_MASS = 3500;

function eventsFile(seed: number, signal?: number): string {
  const args = ['--events', '1000000', '--seed', String(seed), '--mjj-min', '1800'];
  if (signal) args.push('--signal', `mA=${SIGNAL_MASS},mB=500,mC=100,n=${signal}`);
  return generatedFile(args);
}

interface WindowTruth {
  id: string;
  s: number;
  b: number;
}

async function hunt(topologyFile: string, sets: string[]) {
  const t = await loadTopology(path.join(root, topologyFile), [...sets, 'sinks.report=false']);
  const out = mkdtempSync(path.join(work, 'run-'));
  try {
    const { summary, results, run } = await runTopology(t, { file: topologyFile, outDir: out });
    // Truth in every window's SR (S and B after the event selection), from the labels the run buffered.
    const truth: WindowTruth[] = run.windows.map((w) => {
      const g = run.buffers.store.gather(w.sr[0], w.sr[1]);
      const s = g.label ? g.label.reduce((a, x) => a + x, 0) : 0;
      return { id: w.id, s, b: g.n - s };
    });
    return { summary, truth, final: results.filter((r) => r.trigger === 'end' && !r.error) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Z of a result, or undefined when the result is invalid (issue 10's `valid: false`) or has no significance. */
function zOf(r: WindowResult): number | undefined {
  if ((r as { valid?: boolean }).valid === false) return undefined;
  const z = r.significance?.z;
  return typeof z === 'number' && Number.isFinite(z) ? z : undefined;
}

const keyOf = (r: WindowResult) => `${r.window.id} eps=${r.workingPoint ?? 'inclusive'}`;

/** Standard deviation of the finite values. */
function spread(values: (number | null)[]): number {
  const v = values.filter((x): x is number => x !== null);
  const m = v.reduce((a, b) => a + b, 0) / Math.max(v.length, 1);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(v.length, 1));
}

async function injection(topology: string, seeds: number[], signalEvents: number) {
  const perSeed: {
    seed: number;
    window: string;
    s: number;
    b: number;
    z: Record<string, number | null>;
    all: Map<string, number | null>;
    auc?: number;
    maxSic?: number;
    memberCorrelation?: number;
    candidateCorrelation?: number;
  }[] = [];
  for (const seed of seeds) {
    const file = eventsFile(seed, signalEvents);
    const r = await hunt(topology, [`source={kind: parquet, path: ${file}}`, `seed=${seed}`]);
    const best = r.truth.reduce((a, x) =>
      x.s / Math.sqrt(Math.max(x.b, 1)) > a.s / Math.sqrt(Math.max(a.b, 1)) ? x : a,
    );
    const inWindow = r.final.filter((x) => x.window.id === best.id);
    const all = new Map<string, number | null>();
    for (const x of r.final) all.set(keyOf(x), zOf(x) ?? null);
    perSeed.push({
      seed,
      window: best.id,
      s: best.s,
      b: best.b,
      z: Object.fromEntries(inWindow.map((x) => [String(x.workingPoint), zOf(x) ?? null])),
      all,
      auc: inWindow[0]?.evaluation?.auc,
      maxSic: inWindow[0]?.evaluation?.maxSic,
      memberCorrelation: inWindow[0]?.model?.memberCorrelation,
      candidateCorrelation: inWindow[0]?.model?.candidateCorrelation,
    });
    console.error(
      `injection ${path.basename(topology)} seed ${seed}: ${best.id} S ${best.s} B ${best.b} Z ${JSON.stringify(perSeed.at(-1)!.z)}`,
    );
  }
  const wps = [...new Set(perSeed.flatMap((p) => Object.keys(p.z)))];
  const keys = [...new Set(perSeed.flatMap((p) => [...p.all.keys()]))];
  return {
    topology,
    seeds,
    signal_events_generated: signalEvents,
    signal_window: perSeed.map((p) => p.window),
    sr_signal: summarize(perSeed.map((p) => p.s)),
    sr_background: summarize(perSeed.map((p) => p.b)),
    s_over_sqrt_b: summarize(perSeed.map((p) => p.s / Math.sqrt(p.b))),
    z_signal_window: Object.fromEntries(
      wps.map((wp) => {
        const v = perSeed.map((p) => p.z[wp] ?? null);
        return [wp, { ...summarize(v), invalid: v.filter((x) => x === null).length }];
      }),
    ),
    auc_signal_window: summarize(perSeed.map((p) => p.auc)),
    max_sic_signal_window: summarize(perSeed.map((p) => p.maxSic)),
    member_correlation_signal_window: summarize(perSeed.map((p) => p.memberCorrelation)),
    candidate_correlation_signal_window: summarize(perSeed.map((p) => p.candidateCorrelation)),
    z_every_window: Object.fromEntries(
      keys.map((k) => [
        k,
        summarize(
          perSeed.map((p) => p.all.get(k) ?? null),
          3,
        ),
      ]),
    ),
  };
}

async function closure(topology: string, runs: number) {
  const byWindow = new Map<string, (number | null)[]>();
  for (let k = 0; k < runs; k++) {
    const r = await hunt(topology, [`source={kind: parquet, path: ${eventsFile(1000 + k)}}`, `seed=${1000 + k}`]);
    for (const x of r.final) byWindow.set(keyOf(x), [...(byWindow.get(keyOf(x)) ?? []), zOf(x) ?? null]);
  }
  const windows = [...byWindow].map(([key, zs]) => {
    const s: SeedSummary = summarize(zs, 3);
    const sd = Number(spread(zs).toFixed(3));
    return {
      key,
      ...s,
      spread: sd,
      invalid: zs.filter((z) => z === null).length,
      passes: s.n > 0 && s.median < 1 && sd < 1,
    };
  });
  const all = [...byWindow.values()].flat();
  return {
    topology,
    runs,
    seeds: `${1000}..${1000 + runs - 1}`,
    results: all.length,
    invalid: all.filter((z) => z === null).length,
    z_all: { ...summarize(all, 3), values: undefined, spread: Number(spread(all).toFixed(3)) },
    windows_passing: windows.filter((w) => w.passes).length,
    windows_total: windows.length,
    windows,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2), ['json', 'quick', 'no-full']);
  const quick = args.flags.has('quick');
  const seeds = seedList(flag(args, 'seed-list'), flag(args, 'seeds'), 11, quick ? 2 : 5);
  const closureRuns = numberFlag(args, 'closure', quick ? 3 : 20);
  const signalEvents = numberFlag(args, 'signal-events', 350);
  const env = benchEnvironment();
  const t0 = performance.now();

  const inj = [];
  for (const t of TOPOLOGIES) inj.push(await injection(t, seeds, signalEvents));
  const clo = [];
  for (const t of TOPOLOGIES) clo.push(await closure(t, closureRuns));
  let full: Record<string, unknown> | undefined;
  if (!args.flags.has('no-full')) {
    const f = await hunt('topologies/atlas2024-cwola.yaml', []);
    full = {
      topology: 'topologies/atlas2024-cwola.yaml',
      events: f.summary.events.read,
      seconds: f.summary.seconds,
      windows: new Set(f.final.map((r) => r.window.id)).size,
      results: f.final.length,
    };
  }
  const a2024 = inj.find((x) => x.topology.includes('atlas2024'))!;
  const wpMedians = Object.entries(a2024.z_signal_window).map(([wp, s]) => ({ wp, median: s.median }));
  const res = {
    bench: 'hunt',
    environment: { ...env, loadAverageAtEnd: loadAverageNow() },
    generator_version: generatorVersion(),
    quick,
    target: {
      what: 'ATLAS 2024 topology: median over generator seeds of the signal window Z, per working point, >= 4',
      per_working_point: wpMedians,
      met_at: wpMedians.filter((x) => x.median >= 4).map((x) => x.wp),
    },
    injection: inj,
    closure: clo,
    ...(full ? { full_hunt: full } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
  const text = JSON.stringify(res, null, flag(args, 'json') ? 0 : 2);
  const file = flag(args, 'out');
  if (file) writeFileSync(file, `${JSON.stringify(res, null, 2)}\n`);
  process.stdout.write(`${text}\n`);
  rmSync(work, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(`bench:hunt: ${e.stack ?? e.message}`);
  process.exit(1);
});
