/**
 * bench:background — the learned background templates (src/background) against CWoLa hunting, through the
 * shipped path: topologies/atlas2024-curtains.yaml run by runTopology on generated events with truth labels, the
 * background model switched per row (`background.model`), everything else the same (one LHCO-like window: SR
 * 3.3–3.7 TeV, sidebands 2.9–3.3 and 3.7–4.1 TeV; the same HGB ensemble, working points and fit).
 *   - Rows: METHODS below, one entry per model (name and the --set overrides that select it); a model added to
 *     src/background (SALAD) is one more entry.
 *   - Signal: the LHCO R&D resonance W′ 3.5 TeV → X(500) Y(100). Injections are sized from a pilot run (seed
 *     9999, not used by the evaluation) to S/B = 0.6 % and 0.3 % and S/√B = 2 and 1 of the SR background
 *     (`--sr-background`, default 10 k events: what two shared cores allow for 5 seeds; LHCO R&D's SR holds
 *     ≈ 120 k). At 111 k, S/B 0.6 % is S/√B 2 and 0.3 % is 1, and coinciding injections are run once. The
 *     realised S, B, S/B and S/√B of every run are counted from its truth labels and printed.
 *   - Per method and injection, over seeds (median, 16–84 %, per-seed values; bench/summary.ts): fidelity_auc
 *     (template vs the true SR background, from the window result's model.template.fidelity), max_sic (the
 *     ensemble's out-of-fold score on the SR events, truth labels), the fitted local Z per working point, and the
 *     template's training time.
 *   - train_seconds: the runs' measured template training, with their sideband count and epochs. The target's
 *     work (200k sideband events x 100 epochs) is measured whole by --timing-only; a linear scaling of these short
 *     runs would multiply their fixed cost (preprocessing, template generation) by 100 / epochs.
 *   - Closure: `--closure N` signal-free samples (seeds 5001, 5002, …): the fitted Z per working point, median and
 *     spread (target: median < 1, spread < 1; seed 000 §V.E).
 * A window result that is valid: false has no Z and counts as missing, never as 0.
 *
 *   npm run bench:background -- --json [--seeds 5] [--first-seed 11] [--closure 3] [--sr-background 111000] [--epochs 10]
 *     [--methods cathode,curtains,cwola] [--injections sb06,sb03,z2,z1] [--mass-shift 0.1] [--quick] [--out FILE]
 *   npm run bench:background -- --timing-only [--timing-epochs 100] --out FILE   (template training at 200k SB events)
 *   npm run bench:background -- --merge a.json,b.json[,timing.json] --out FILE   (methods split over processes)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, numberFlag, parseArgs } from '../src/cli/args.js';
import type { WindowResult } from '../src/events/result.js';
import { runTopology } from '../src/run.js';
import { loadTopology } from '../src/topology/load.js';
import { learnTemplate, resolveBackgroundConfig, type BackgroundModelName } from '../src/background/models.js';
import type { TemplateInput } from '../src/background/template.js';
import { mulberry32 } from '../src/classify/random.js';
import { benchEnvironment, loadAverageNow, summarize } from './summary.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOPOLOGY = 'topologies/atlas2024-curtains.yaml';
const SR: [number, number] = [3300, 3700];
const SB: [number, number][] = [
  [2900, 3300],
  [3700, 4100],
];
const MJJ_MIN = 2700;
const SIGNAL = 'mA=3500,mB=500,mC=100';
const WORKING_POINTS = [0.1, 0.02];
const PILOT_SEED = 9999;

/** The rows: a name and the overrides that select the model (SALAD: one more entry here). */
const METHODS: { name: string; sets: string[] }[] = [
  { name: 'cathode', sets: ['background.model=cathode', 'background.oversample=4'] },
  { name: 'curtains', sets: ['background.model=curtains', 'background.oversample=2'] },
  { name: 'cwola', sets: ['background.model=sideband'] },
];

const args = parseArgs(process.argv.slice(2), ['json', 'quick', 'timing-only']);
const quick = args.flags.has('quick');
const nSeeds = numberFlag(args, 'seeds', quick ? 1 : 5);
const nClosure = numberFlag(args, 'closure', quick ? 1 : 3);
const srBackground = numberFlag(args, 'sr-background', quick ? 4000 : 10_000);
const epochs = numberFlag(args, 'epochs', quick ? 3 : 8);
const ensemble = numberFlag(args, 'ensemble', quick ? 2 : 3);
const only = flag(args, 'methods')?.split(',');
// `--injections sb06,sb03,z2,z1`: a subset of the injections (default all), so that a large --sr-background run
// fits in a session; `--first-seed` moves the seeds (11 by default)
const onlyInjections = flag(args, 'injections')?.split(',');
const firstSeed = numberFlag(args, 'first-seed', 11);
// `--mass-shift 0.1`: the shifted-feature sample (every jet mass + k·mjj, generator-simulation.ts), where the
// features correlate with mjj and CWoLa's sideband-vs-SR classifier learns mjj instead of the signal
const massShift = numberFlag(args, 'mass-shift', 0);
const methods = METHODS.filter((m) => !only || only.includes(m.name));
const work = mkdtempSync(path.join(tmpdir(), 'sideband-background-bench-'));

const common = (seed: number, events: number, nSignal: number) => [
  `seed=${seed}`,
  `source.seed=${seed}`,
  `source.events=${events}`,
  `source.mjjMin=${MJJ_MIN}`,
  ...(massShift > 0 ? [`source.massShift=${massShift}`] : []),
  `source.signals=${JSON.stringify(nSignal > 0 ? [`${SIGNAL},n=${nSignal}`] : [])}`,
  `windows=${JSON.stringify({ scheme: 'table', windows: [{ id: 'lhco-sr', sr: SR, sb: SB }] })}`,
  `workingPoints=${JSON.stringify(WORKING_POINTS)}`,
  `background.training.epochs=${epochs}`,
  'sinks.report=false',
];
const classifier = () => [`classifier.ensemble=${ensemble}`];

interface Run {
  results: WindowResult[];
  s: number;
  b: number;
  seconds: number;
}

async function runOne(sets: string[]): Promise<Run> {
  const t = await loadTopology(path.join(root, TOPOLOGY), sets);
  const out = mkdtempSync(path.join(work, 'run-'));
  const t0 = performance.now();
  try {
    const { results, summary, run } = await runTopology(t, { file: TOPOLOGY, outDir: out });
    if (summary.status !== 'ok') process.stderr.write(`run status ${summary.status}: ${summary.message}\n`);
    // truth in the SR after the event selection, from the labels the run buffered (they never reach training)
    const g = run.buffers.store.gather(SR[0], SR[1]);
    const s = g.label ? g.label.reduce((a, x) => a + x, 0) : 0;
    return {
      results: results.filter((r) => r.trigger === 'end' && !r.error),
      s,
      b: g.n - s,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Z of a result, undefined when the result is invalid or has no significance. */
function zOf(r: WindowResult | undefined): number | undefined {
  if (!r || (r as { valid?: boolean }).valid === false) return undefined;
  const z = r.significance?.z;
  return typeof z === 'number' && Number.isFinite(z) ? z : undefined;
}

const at = (rs: WindowResult[], wp: number) => rs.find((r) => r.workingPoint === wp);

/** Pilot (seed 9999): SR background per generated event and SR signal per injected event, after the selection. */
async function pilot(): Promise<{ bPerEvent: number; sPerSignal: number }> {
  const events = 400_000;
  const nSignal = 4000;
  const r = await runOne([
    ...common(PILOT_SEED, events, nSignal),
    'background.model=sideband',
    `classifier=${JSON.stringify({ kind: 'none' })}`,
  ]);
  return { bPerEvent: r.b / (events - nSignal), sPerSignal: r.s / nSignal };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const load0 = loadAverageNow();
  const p = await pilot();
  const events = Math.round(srBackground / p.bPerEvent);
  // injections: S in the SR for S/B 0.6 %, 0.3 % and S/√B 2, 1; coinciding ones (within 5 %) merged
  const wanted = [
    { key: 'sb06', what: 'S/B 0.6 %', s: 0.006 * srBackground },
    { key: 'sb03', what: 'S/B 0.3 %', s: 0.003 * srBackground },
    { key: 'z2', what: 'S/√B 2', s: 2 * Math.sqrt(srBackground) },
    { key: 'z1', what: 'S/√B 1', s: Math.sqrt(srBackground) },
  ].filter((w) => !onlyInjections || onlyInjections.includes(w.key));
  if (wanted.length === 0)
    throw new Error(`bench:background: --injections ${onlyInjections} names none of sb06, sb03, z2, z1`);
  const injections: { targets: string[]; s: number; nSignal: number }[] = [];
  for (const w of wanted) {
    const same = injections.find((i) => Math.abs(i.s - w.s) / w.s < 0.05);
    if (same) same.targets.push(w.what);
    else injections.push({ targets: [w.what], s: w.s, nSignal: Math.round(w.s / p.sPerSignal) });
  }
  const seeds = Array.from({ length: nSeeds }, (_, i) => firstSeed + i);
  const rows: Record<string, unknown>[] = [];
  for (const m of methods) {
    const perInjection: Record<string, unknown>[] = [];
    const trainTimes: { seconds: number; events: number; epochs: number }[] = [];
    for (const inj of injections) {
      const runs: Run[] = [];
      for (const seed of seeds) {
        const r = await runOne([...common(seed, events, inj.nSignal), ...classifier(), ...m.sets]);
        runs.push(r);
        const tpl = r.results[0]?.model?.template;
        if (tpl) trainTimes.push({ seconds: tpl.trainSeconds, events: tpl.trainEvents, epochs });
        process.stderr.write(
          `${m.name} ${inj.targets.join(' = ')} seed ${seed}: S ${r.s} B ${r.b} max SIC ${r.results[0]?.evaluation?.maxSic?.toFixed(2)} Z ${WORKING_POINTS.map((wp) => zOf(at(r.results, wp))?.toFixed(2)).join(' / ')} (${r.seconds.toFixed(0)} s)\n`,
        );
      }
      const first = (r: Run) => r.results[0];
      perInjection.push({
        targets: inj.targets,
        injected_signal_events: inj.nSignal,
        realised: {
          s: summarize(runs.map((r) => r.s)),
          b: summarize(runs.map((r) => r.b)),
          s_over_b: summarize(runs.map((r) => r.s / r.b)),
          s_over_sqrt_b: summarize(runs.map((r) => r.s / Math.sqrt(r.b))),
        },
        fidelity_auc: summarize(runs.map((r) => first(r)?.model?.template?.fidelity?.aucVsTruth)),
        fidelity_auc_vs_data: summarize(runs.map((r) => first(r)?.model?.template?.fidelity?.aucVsData)),
        max_sic: summarize(runs.map((r) => first(r)?.evaluation?.maxSic)),
        z: Object.fromEntries(
          WORKING_POINTS.map((wp) => [`eps=${wp}`, summarize(runs.map((r) => zOf(at(r.results, wp))))]),
        ),
        invalid_results: runs.reduce(
          (a, r) => a + WORKING_POINTS.filter((wp) => zOf(at(r.results, wp)) === undefined).length,
          0,
        ),
        run_seconds: summarize(runs.map((r) => r.seconds)),
      });
    }
    const closure: Run[] = [];
    for (let k = 0; k < nClosure; k++)
      closure.push(await runOne([...common(5001 + k, events, 0), ...classifier(), ...m.sets]));
    const zClosure = WORKING_POINTS.map((wp) => {
      const z = closure.map((r) => zOf(at(r.results, wp)));
      const v = z.filter((x): x is number => x !== undefined);
      const mean = v.reduce((a, b) => a + b, 0) / Math.max(v.length, 1);
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(v.length - 1, 1));
      const s = summarize(z);
      return {
        eps: wp,
        z: s,
        spread: v.length > 1 ? Number(sd.toPrecision(4)) : null,
        passes: v.length > 1 ? Math.abs(s.median) < 1 && sd < 1 : null,
        ...(v.length > 1 ? {} : { valid: false, why: 'fewer than two valid closure samples: no spread' }),
      };
    });
    rows.push({
      method: m.name,
      overrides: m.sets,
      injections: perInjection,
      closure: { samples: nClosure, seeds: closure.map((_, k) => 5001 + k), per_working_point: zClosure },
      train_seconds: {
        how: 'measured template training (both flows for CURTAINS; none for CWoLa); the 200k x 100 target: --timing-only',
        measured: summarize(trainTimes.map((t) => t.seconds)),
        measured_sideband_events: summarize(trainTimes.map((t) => t.events)),
        measured_epochs: epochs,
      },
    });
  }
  const out = {
    bench: 'background',
    quick,
    topology: TOPOLOGY,
    window: { sr: SR, sb: SB },
    signal: SIGNAL,
    config: {
      seeds,
      sr_background_target: srBackground,
      injections: wanted.map((w) => w.key),
      mass_shift: massShift,
      events,
      mjj_min: MJJ_MIN,
      epochs,
      classifier_ensemble: ensemble,
      working_points: WORKING_POINTS,
      pilot: { seed: PILOT_SEED, ...p },
    },
    methods: rows,
    seconds: Math.round((performance.now() - t0) / 1000),
    environment: { ...benchEnvironment(), load_average_start: load0, load_average_end: loadAverageNow() },
  };
  const text = JSON.stringify(out, null, 2);
  const outFile = flag(args, 'out');
  if (outFile) writeFileSync(outFile, `${text}\n`);
  process.stdout.write(`${text}\n`);
}

/**
 * `--timing-only [--timing-epochs 100]`: the template training of each learned method (the same classes the topology
 * uses, through backgroundModel) on 200k sideband events, measured whole at 100 epochs (a shorter run is scaled
 * from its per-epoch cost, labelled extrapolated). The events are a synthetic window (four features whose means move
 * with mjj, a falling spectrum): training time depends on the event count, the networks and the epochs, not on
 * the physics. Fidelity is off (it is not training).
 */
async function timing(): Promise<void> {
  // 100 epochs by default: the target's work measured whole. A shorter --timing-epochs is scaled to 100 from the
  // per-epoch cost alone (one run at E and one at 1 epoch: the fixed cost of preprocessing and template generation,
  // ≈ 2 s here, would otherwise be multiplied by 100 / E).
  const timingEpochs = numberFlag(args, 'timing-epochs', 100);
  if (!(Number.isInteger(timingEpochs) && timingEpochs >= 2))
    throw new Error(
      `bench:background: --timing-epochs must be an integer >= 2 (got ${timingEpochs}): the scaling needs two epoch counts`,
    );
  const nSb = 200_000;
  const r = mulberry32(77);
  const normal = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  const mjj: number[] = [];
  let kSb = 0;
  while (kSb < nSb) {
    const m = SB[0]![0] * (r() || 1e-12) ** -0.2;
    if (m >= SB[1]![1]) continue;
    const inSr = m >= SR[0] && m < SR[1];
    if (!inSr) kSb++;
    mjj.push(m);
  }
  const columns = Array.from({ length: 4 }, (_, j) => Float32Array.from(mjj, (m) => (j + 1) * (m / 1000) + normal()));
  const input: TemplateInput = {
    features: ['f0', 'f1', 'f2', 'f3'],
    columns,
    mjj: Float32Array.from(mjj),
    sr: SR,
    sb: SB,
    seed: 1,
  };
  const t = await loadTopology(path.join(root, TOPOLOGY), []);
  const rows: Record<string, unknown>[] = [];
  for (const m of methods.filter((x) => x.sets.some((s) => /background\.model=(?!sideband)/.test(s)))) {
    const model = m.sets.find((s) => s.startsWith('background.model='))!.split('=')[1] as BackgroundModelName;
    const over = Number(m.sets.find((s) => s.startsWith('background.oversample='))?.split('=')[1] ?? 4);
    const config = resolveBackgroundConfig({
      ...t.background,
      model,
      oversample: over,
      fidelity: false,
      training: { ...t.background!.training, epochs: timingEpochs },
    });
    const tpl = learnTemplate(input, config);
    const measured = tpl.info.trainSeconds;
    let seconds200k: Record<string, unknown>;
    if (timingEpochs === 100)
      seconds200k = { extrapolated: false, how: 'measured whole (template generation included)', seconds: measured };
    else {
      const one = learnTemplate(input, { ...config, training: { ...config.training, epochs: 1 } }).info.trainSeconds;
      const perEpoch = (measured - one) / (timingEpochs - 1);
      seconds200k = {
        extrapolated: true,
        how: `fixed cost (${(one - perEpoch).toFixed(1)} s) + 100 x per-epoch cost, from runs of ${timingEpochs} and 1 epochs`,
        seconds: Math.round(one - perEpoch + 100 * perEpoch),
      };
    }
    rows.push({
      method: m.name,
      sideband_events: tpl.info.trainEvents,
      epochs_measured: timingEpochs,
      epochs_run: tpl.info.epochs,
      measured_seconds: Number(measured.toFixed(2)),
      seconds_200k_x100: seconds200k,
      network: tpl.info.network,
      threads: 1,
    });
    process.stderr.write(`timing ${m.name}: ${measured.toFixed(1)} s for ${timingEpochs} epochs\n`);
  }
  const text = JSON.stringify(
    {
      bench: 'background',
      timing: rows,
      environment: { ...benchEnvironment(), load_average: loadAverageNow() },
    },
    null,
    2,
  );
  const outFile = flag(args, 'out');
  if (outFile) writeFileSync(outFile, `${text}\n`);
  process.stdout.write(`${text}\n`);
}

/**
 * `--merge a.json,b.json`: one output from runs of this bench that split the methods over processes (`--methods`),
 * refusing runs whose configuration differs.
 */
function merge(files: string[]): void {
  const all = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>);
  // a --timing-only output joins as the `timing` section
  const timed = all.find((p) => p.timing);
  const parts = all.filter((p) => !p.timing);
  const key = (p: Record<string, unknown>) => JSON.stringify([p.quick, p.window, p.signal, p.config]);
  const bad = parts.findIndex((p) => key(p) !== key(parts[0]!));
  if (bad > 0) throw new Error(`bench:background --merge: ${files[bad]} has another configuration than ${files[0]}`);
  const out = {
    ...parts[0]!,
    methods: parts.flatMap((p) => p.methods as unknown[]),
    seconds: parts.map((p) => p.seconds),
    ...(timed ? { timing: { rows: timed.timing, environment: timed.environment } } : {}),
    merged_from: { processes: files.length, note: 'methods run side by side in separate processes (--methods)' },
    environment: parts.map((p) => p.environment),
  };
  const text = JSON.stringify(out, null, 2);
  const outFile = flag(args, 'out');
  if (outFile) writeFileSync(outFile, `${text}\n`);
  process.stdout.write(`${text}\n`);
}

try {
  const toMerge = flag(args, 'merge');
  if (toMerge) merge(toMerge.split(','));
  else if (args.flags.has('timing-only')) await timing();
  else await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
