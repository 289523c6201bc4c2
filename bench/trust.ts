/**
 * Trustworthy significances (issue 10's figures), on generated events, every figure over seeds with its per-seed
 * values:
 *   closure   per shipped topology, `validate` with the topology's calibration kept, on fresh signal-free seeds:
 *             per window and working point the mean and the width of the calibrated Z (target: mean within ±0.2,
 *             width 0.85–1.15), and seed 000's criterion (median < 1, spread < 1); since 20 samples measure a
 *             width only to ±16 %, each window also gets its pulls against a perfect calibration and the chance such
 *             a calibration would meet the target at these sample sizes (calibrationConsistency);
 *   trigger   signal-free events recorded through a 1.2 TeV leading-jet trigger: per topology and seed the largest
 *             valid Z (target < 3), the alerts (target none) and the windows found in the turn-on;
 *   inject    the same trigger with a 3.5 TeV resonance at S/√B = 2.5 in the SR of the window that holds it (truth,
 *             before the selection): the window with the best Z and that Z (target: the signal's window, Z ≥ 3);
 *   hunt2020  the ATLAS 2020 topology on bench:hunt's injected benchmark (1M events, 350 signal events): its Z in
 *             the signal's region per seed (target ≥ 3 on 4 of 5 seeds).
 * Runs the shipped code path: runTopology and validateTopology, as `sideband run` and `sideband validate` do.
 *
 *   npm run bench:trust -- --json [--parts closure,trigger,inject,hunt2020] [--topologies quickstart,...] [--seeds 10]
 *     [--first-seed 0] [--with earlier.json] [--samples 20]
 * --first-seed and --with extend an earlier trigger run by more seeds: its per-seed rows for seeds this run does not
 * repeat are folded in (the topology hash must match) before the ranges are taken.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CALIBRATION_TARGET, calibrationConsistency, calibrationKey, zMoments } from '../src/analysis/calibration.js';
import type { WindowResult } from '../src/events/result.js';
import { validateTopology } from '../src/run/validate.js';
import { runTopology } from '../src/run.js';
import { loadCalibration } from '../src/topology/compile.js';
import { analysisHash } from '../src/topology/analysis-hash.js';
import { loadTopology } from '../src/topology/load.js';
import { flag, numberFlag, parseArgs } from '../src/cli/args.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = parseArgs(process.argv.slice(2), ['json']);
const parts = (flag(args, 'parts') ?? 'closure,trigger,inject,hunt2020').split(',');
const seeds = numberFlag(args, 'seeds', 10);
const firstSeed = numberFlag(args, 'first-seed', 0);
const earlier = flag(args, 'with');
/** The trigger part's per-seed rows of an earlier output, by topology. */
const earlierTrigger = (
  earlier ? (JSON.parse(readFileSync(earlier, 'utf8')) as { trigger?: Record<string, TriggerEntry> }).trigger : {}
) as Record<string, TriggerEntry> | undefined;
const samples = numberFlag(args, 'samples', 20);
const only = flag(args, 'topologies')?.split(',');
const work = mkdtempSync(path.join(tmpdir(), 'sideband-trust-'));
const cache = path.join(root, 'node_modules/.cache/sideband-trust');
mkdirSync(cache, { recursive: true });
const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);

const GENERATOR_TOPOLOGIES = ['quickstart', 'atlas2024-cwola', 'lhco-rnd'].filter((n) => !only || only.includes(n));
const TRIGGER = { leadingJetPt: 1200 };
/** Generated events through the trigger: start the spectrum below the turn-on, enough events above it. */
const TRIGGERED = { events: 3000000, mjjMin: 2200 };

const median = (xs: number[]) => zMoments(xs).median;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]! : Number.NaN;
};
const range = (xs: number[]) => ({ median: median(xs), p16: quantile(xs, 0.16), p84: quantile(xs, 0.84), values: xs });
const round = (x: number) => Math.round(x * 1000) / 1000;

function generated(name: string, extra: string[]): string {
  const file = path.join(cache, `${name}.parquet`);
  if (!existsSync(file))
    execFileSync(process.execPath, [
      path.join(root, 'bin/sideband.js'),
      'generate',
      ...extra,
      '--out',
      file,
      '--quiet',
    ]);
  return file;
}

async function run(topologyFile: string, sets: string[]): Promise<WindowResult[]> {
  const t = await loadTopology(path.join(root, topologyFile), [...sets, 'sinks.report=false']);
  delete t.statistics;
  const { results } = await runTopology(t, {
    file: path.join(root, topologyFile),
    outDir: mkdtempSync(path.join(work, 'run-')),
  });
  return results.filter((r) => r.trigger === 'end');
}

const validZ = (rs: WindowResult[]) => rs.filter((r) => r.valid && r.significance?.z !== undefined);
const holds = (r: WindowResult, m: number) => r.window.sr[0] <= m && m < r.window.sr[1];
const out: Record<string, unknown> = { bench: 'trust', node: process.version, seeds, samples };

if (parts.includes('closure')) {
  const closure: Record<string, unknown> = {};
  const atlas2020File = generated('atlas2020-closure-base', [
    '--events',
    '1000000',
    '--seed',
    '1',
    '--mjj-min',
    '1800',
  ]);
  for (const name of [...GENERATOR_TOPOLOGIES, 'cwola-hunting-atlas2020'].filter((n) => !only || only.includes(n))) {
    const file = path.join(root, 'topologies', `${name}.yaml`);
    const sets = name === 'cwola-hunting-atlas2020' ? [`source={kind: parquet, path: ${atlas2020File}}`] : [];
    const t = await loadTopology(file, sets);
    if (!t.calibration) {
      closure[name] = { skipped: 'the topology names no calibration' };
      continue;
    }
    log(`closure: ${name}, ${samples} fresh signal-free samples with the calibration applied`);
    const r = await validateTopology(t, { file, sources: ['generator'], samples, seed: 2, keepCalibration: true });
    // The calibration as runs load it: one not applied (stale) has no entries, so its windows are not judged.
    const cal = (await loadCalibration(t, file, log)).calibration?.windows ?? {};
    const windows = r.sources[0]!.windows.map((w) => {
      const nCal = cal[w.window]?.[calibrationKey(w.workingPoint)]?.samples ?? 0;
      const c = w.zs.length >= 2 && nCal >= 2 ? calibrationConsistency(w.mean, w.std, w.zs.length, nCal) : undefined;
      return {
        window: w.window,
        workingPoint: w.workingPoint,
        valid: w.zs.length,
        calibrationSamples: nCal,
        mean: round(w.mean),
        width: round(w.std),
        median: round(w.median),
        inTarget:
          Math.abs(w.mean) <= CALIBRATION_TARGET.mean &&
          w.std >= CALIBRATION_TARGET.width[0] &&
          w.std <= CALIBRATION_TARGET.width[1],
        ...(c
          ? {
              meanPull: round(c.meanPull),
              widthPull: round(c.widthPull),
              consistent: c.consistent,
              pInTarget: round(c.pInTarget),
            }
          : {}),
        seed000: w.closure,
      };
    });
    const judged = windows.filter((w) => w.valid >= 5 && w.calibrationSamples >= 5);
    closure[name] = {
      seconds: round(r.seconds),
      windows,
      calibratedInTarget: `${judged.filter((w) => w.inTarget).length} of ${judged.length}`,
      // What a perfect calibration would put in the target at these sample sizes (calibrationConsistency).
      expectedInTargetIfCalibrated: round(judged.reduce((a, w) => a + (w.pInTarget ?? 0), 0)),
      consistentWithCalibrated: `${judged.filter((w) => w.consistent).length} of ${judged.length}`,
      seed000Valid: `${windows.filter((w) => w.seed000).length} of ${windows.length}`,
      all: zMoments(r.sources[0]!.windows.flatMap((w) => w.zs)),
    };
  }
  out.closure = closure;
}

interface TriggerSeed {
  seed: number;
  maxZ: number | null;
  alerts: number;
  turnOn: string[];
  valid: number;
}
interface TriggerEntry {
  topologyHash?: string;
  perSeed: TriggerSeed[];
}

if (parts.includes('trigger')) {
  const trigger: Record<string, unknown> = {};
  for (const name of [...GENERATOR_TOPOLOGIES, 'cwola-hunting-atlas2020'].filter((n) => !only || only.includes(n))) {
    const hash = analysisHash(await loadTopology(path.join(root, `topologies/${name}.yaml`)));
    const before = earlierTrigger?.[name];
    if (before && before.topologyHash === undefined)
      log(`--with ${earlier}: ${name} has no topology hash there (older output): taken as this topology`);
    else if (before && before.topologyHash !== hash)
      throw new Error(`--with ${earlier}: ${name} was run at topology hash ${before.topologyHash}, now ${hash}`);
    const perSeed: TriggerSeed[] = [];
    for (let s = firstSeed; s < firstSeed + seeds; s++) {
      const sets =
        name === 'cwola-hunting-atlas2020'
          ? [
              `source={kind: parquet, path: ${generated(`trigger-${s}`, ['--events', String(TRIGGERED.events), '--seed', String(100 + s), '--mjj-min', String(TRIGGERED.mjjMin), '--trigger-pt', '1200'])}}`,
            ]
          : [
              `source.seed=${100 + s}`,
              'source.signals=[]',
              `source.events=${TRIGGERED.events}`,
              `source.mjjMin=${TRIGGERED.mjjMin}`,
              `source.trigger={leadingJetPt: ${TRIGGER.leadingJetPt}}`,
            ];
      log(`trigger: ${name} seed ${s}`);
      const rs = await run(`topologies/${name}.yaml`, sets);
      const v = validZ(rs);
      const maxZ = v.length ? Math.max(...v.map((r) => r.significance!.z!)) : null;
      perSeed.push({
        seed: 100 + s,
        maxZ: maxZ === null ? null : round(maxZ),
        alerts: v.filter((r) => r.significance!.z! >= 3).length,
        turnOn: [
          ...new Set(rs.filter((r) => r.invalid?.some((i) => i.reason === 'turn_on_in_range')).map((r) => r.window.id)),
        ],
        valid: v.length,
      });
    }
    for (const p of before?.perSeed ?? []) if (!perSeed.some((q) => q.seed === p.seed)) perSeed.push(p);
    perSeed.sort((a, b) => a.seed - b.seed);
    const zs = perSeed.map((p) => p.maxZ).filter((z): z is number => z !== null);
    trigger[name] = {
      topologyHash: hash,
      perSeed,
      maxZ: range(zs),
      maxOverSeeds: zs.length ? Math.max(...zs) : null,
      seedsWithAlerts: perSeed.filter((p) => p.alerts > 0).length,
    };
  }
  out.trigger = trigger;
}

if (parts.includes('inject')) {
  const inject: Record<string, unknown> = {};
  const mass = 3500;
  for (const name of ['cwola-hunting-atlas2020', 'atlas2024-cwola'].filter((n) => !only || only.includes(n))) {
    // S/√B in the SR of the signal's window (truth, before the selection) from a reference amount, then scaled.
    const probeN = 2000;
    const probeFile = generated(`inject-probe-${probeN}`, [
      '--events',
      String(TRIGGERED.events),
      '--seed',
      '300',
      '--mjj-min',
      String(TRIGGERED.mjjMin),
      '--trigger-pt',
      '1200',
      '--signal',
      `mA=${mass},mB=500,mC=100,n=${probeN}`,
    ]);
    const probe = await run(`topologies/${name}.yaml`, [
      `source={kind: parquet, path: ${probeFile}}`,
      'classifier={kind: none}',
    ]);
    const w = probe.find((r) => holds(r, mass))!;
    const sr = w.window.sr;
    const inSr = (i: number) => w.histogram!.edges[i]! < sr[1] && w.histogram!.edges[i + 1]! > sr[0];
    const s0 = w.histogram!.signal!.reduce((a, x, i) => a + (inSr(i) ? x : 0), 0);
    const n0 = w.histogram!.counts.reduce((a, x, i) => a + (inSr(i) ? x : 0), 0);
    const b0 = n0 - s0;
    const n = Math.round((probeN * 2.5 * Math.sqrt(b0)) / s0);
    log(`inject: ${name}: ${probeN} events give S = ${s0}, B = ${b0} in ${w.window.id}; S/√B = 2.5 needs ${n}`);
    const perSeed: Array<{
      seed: number;
      best: string | null;
      bestZ: number | null;
      bestHoldsSignal: boolean;
      signalWindowZ: Record<string, number | null>;
    }> = [];
    for (let s = 0; s < 5; s++) {
      const file = generated(`inject-${name}-${s}-${n}`, [
        '--events',
        String(TRIGGERED.events),
        '--seed',
        String(400 + s),
        '--mjj-min',
        String(TRIGGERED.mjjMin),
        '--trigger-pt',
        '1200',
        '--signal',
        `mA=${mass},mB=500,mC=100,n=${n}`,
      ]);
      const rs = await run(`topologies/${name}.yaml`, [`source={kind: parquet, path: ${file}}`, `seed=${500 + s}`]);
      const v = validZ(rs);
      const best = v.length ? v.reduce((a, b) => (b.significance!.z! > a.significance!.z! ? b : a)) : undefined;
      const signalWindowZ: Record<string, number | null> = {};
      for (const r of rs.filter((x) => holds(x, mass)))
        signalWindowZ[`${r.window.id} eps=${r.workingPoint}`] =
          r.valid && r.significance?.z !== undefined ? round(r.significance.z) : null;
      perSeed.push({
        seed: 400 + s,
        best: best ? `${best.window.id} eps=${best.workingPoint}` : null,
        bestZ: best ? round(best.significance!.z!) : null,
        bestHoldsSignal: best ? holds(best, mass) : false,
        signalWindowZ,
      });
    }
    const bestZ = perSeed.map((p) => p.bestZ).filter((z): z is number => z !== null);
    inject[name] = {
      signalEvents: n,
      sOverSqrtB: 2.5,
      perSeed,
      bestZ: range(bestZ),
      bestInSignalWindow: perSeed.filter((p) => p.bestHoldsSignal).length,
    };
  }
  out.inject = inject;
}

if (parts.includes('hunt2020')) {
  const perSeed: Array<{ seed: number; z: Record<string, number | null> }> = [];
  for (let s = 0; s < 5; s++) {
    const file = generated(`hunt-${11 + s}`, [
      '--events',
      '1000000',
      '--seed',
      String(11 + s),
      '--mjj-min',
      '1800',
      '--signal',
      'mA=3500,mB=500,mC=100,n=350',
    ]);
    const rs = await run('topologies/cwola-hunting-atlas2020.yaml', [`source={kind: parquet, path: ${file}}`]);
    const z: Record<string, number | null> = {};
    for (const r of rs.filter((x) => holds(x, 3500)))
      z[`eps=${r.workingPoint}`] = r.valid && r.significance?.z !== undefined ? round(r.significance.z) : null;
    perSeed.push({ seed: 11 + s, z });
  }
  const best = perSeed.map((p) => Math.max(...Object.values(p.z).map((v) => v ?? -Infinity)));
  out.hunt2020 = { perSeed, bestWorkingPointZ: range(best), seedsAtLeast3: best.filter((z) => z >= 3).length };
}

process.stdout.write(`${JSON.stringify(out, null, args.flags.has('json') ? 0 : 2)}\n`);
