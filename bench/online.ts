/**
 * bench:online — time to alert of near-online triggering (trigger.online), on the shipped path (runTopology).
 *
 * Per seed: the generator at a fixed rate (events/s, paced against the wall clock), background only until T0, then
 * with a resonance switched on (its events spread over the rest of the stream). Reported:
 *   - delay from T0 to the first alert of the online run (Z >= the topology's alert.z in any window);
 *   - the earliest stream time at which an offline batch analysis of the prefix (same topology, retraining from
 *     scratch at the end only) crosses the same threshold, found by bisection over prefixes on a grid of
 *     `--grid` seconds (it assumes the crossing is monotone in the prefix: stated, not checked); and the alert's
 *     delay after that moment, the figure;
 *   - events/s sustained (events over the run's wall time, beside the rate asked for);
 *   - the ensemble's cost per scored event (wall time in the ensemble over window events scored, from the online
 *     results) and its number of models;
 *   - whether the online run's end-of-stream results are those of the batch run of the whole stream (the offline
 *     run of the longest prefix), field by field except timings;
 * and signal-free streams of `--null-hours` of stream time each at `--null-rate` events/s, replayed as fast as the
 * processor takes them (their batches carry the stream's own clock; pacing an hour would take an hour): any alert
 * there is a false alarm.
 *
 *   npm run bench:online -- --json [--seeds 5] [--null-seeds 10] [--rate 200000] [--seconds 12] [--t0 4]
 *                                  [--signal 1000] [--ensemble 10] [--grid 1] [--null-rate 2000] [--null-hours 1]
 *                                  [--scoring lookup|exact]
 *
 * Medians over seeds with the 16–84 % range (bench/summary.ts); `met` judges the targets on the medians and
 * is false where a figure was measured under other conditions than the target names (rate, stream length).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { flag, numberFlag, parseArgs } from '../src/cli/args.js';
import type { EventBatch } from '../src/events/batch.js';
import type { WindowResult } from '../src/events/result.js';
import type { AlertRecord } from '../src/operators/alert.js';
import { runTopology } from '../src/run.js';
import { GeneratorSource, parseResonanceSpec } from '../src/sources/generator.js';
import type { Source } from '../src/sources/source.js';
import { parseTopology } from '../src/topology/load.js';
import { benchEnvironment, summarize } from './summary.js';

const args = parseArgs(process.argv.slice(2), ['json']);
const seeds = numberFlag(args, 'seeds', 5);
const nullSeeds = numberFlag(args, 'null-seeds', 10);
const rate = numberFlag(args, 'rate', 200_000);
const nullRate = numberFlag(args, 'null-rate', 2000);
const nullSeconds = numberFlag(args, 'null-hours', 1) * 3600;
const scoring = flag(args, 'scoring') ?? 'lookup';
const seconds = numberFlag(args, 'seconds', 12);
const t0s = numberFlag(args, 't0', 4);
const signalEvents = numberFlag(args, 'signal', 1000);
const ensemble = numberFlag(args, 'ensemble', 10);
const grid = numberFlag(args, 'grid', 1);
const BATCH = 4000;
const Z = 3;
const dir = mkdtempSync(path.join(tmpdir(), 'sideband-bench-online-'));
const signal = `mA=3500,mB=500,mC=100,n=${signalEvents}`;

const topology = (trigger: string) => `name: bench-online
seed: 5
source: { kind: generator, events: 1, mjjMin: 2000 }
columns: { jet1_pt: GeV, jet1_eta: none, jet1_phi: none, jet1_m: GeV, jet1_tau1: none, jet1_tau2: none, jet2_pt: GeV, jet2_eta: none, jet2_phi: none, jet2_m: GeV, jet2_tau1: none, jet2_tau2: none }
label: label
derive: { mjj: fourvector, features: [delta_y] }
cuts: atlas2024
windows: { scheme: single, sr: [3200, 3800], sb: [[2600, 3200], [3800, 4400]] }
features: [mj_min, tau21_lighter, tau21_heavier]
trigger: ${trigger}
binning: { width: 60 }
classifier: { kind: hgb, ensemble: ${ensemble}, folds: 5, workers: 2 }
workingPoints: [0.1, 0.02]
alert: { z: ${Z} }
sinks: { report: false, results: false, deadLetters: false }
`;
const ONLINE = `{ minSrEvents: 500, growthFactor: 2, online: true, onlineScoring: ${scoring} }`;
const BATCH_ONLY = '{ minSrEvents: 1000000000 }';

/**
 * Background-only events for the first t0 seconds of stream, then background with the resonance; paced at `rate`
 * when `paced` (the online run), as fast as possible otherwise (offline prefixes). `upTo` cuts the stream.
 */
function stream(
  seed: number,
  withSignal: boolean,
  paced: boolean,
  upTo: number,
  marks: { t0?: number; end?: number; start?: number },
  r = rate,
  length = seconds,
): Source {
  const n0 = Math.round(r * t0s);
  const n1 = Math.round(r * (length - t0s));
  const parts = [
    new GeneratorSource({ events: n0, seed, batchSize: BATCH, mjjMin: 2000 }),
    new GeneratorSource({
      events: n1,
      seed: seed + 7919,
      batchSize: BATCH,
      mjjMin: 2000,
      ...(withSignal ? { signals: [parseResonanceSpec(signal)] } : {}),
    }),
  ];
  return {
    description: `bench:online stream seed ${seed}`,
    async *batches(): AsyncIterable<EventBatch> {
      const start = Date.now();
      let sent = 0;
      for (const [k, part] of parts.entries()) {
        if (k === 1) marks.t0 = Date.now();
        for await (const b of part.batches()) {
          if (sent >= upTo) return;
          if (paced) {
            const due = start + (sent / r) * 1000;
            const wait = due - Date.now();
            if (wait > 0) await new Promise((res) => setTimeout(res, wait));
          }
          sent += b.length;
          yield b;
        }
      }
      marks.end = Date.now();
      marks.start = start;
    },
  };
}

async function runOnce(
  name: string,
  trigger: string,
  source: Source,
  onAlert?: (at: number, alert: AlertRecord) => void,
) {
  const t = parseTopology(topology(trigger), `${name}.yaml`);
  const wall = Date.now();
  const r = await runTopology(t, {
    file: path.join(dir, `${name}.yaml`),
    outDir: path.join(dir, name),
    runId: name,
    source,
    ...(onAlert ? { onAlert: (a: AlertRecord) => onAlert(Date.now(), a) } : {}),
  });
  return { results: r.results, events: r.summary.events.read, wall: (Date.now() - wall) / 1000 };
}

/** What a final result says, without its timing and the run's name (test/operators/score.test.ts compares the same). */
function essence(r: WindowResult): string {
  // The runs differ by name (runId, and the key it prefixes), by design.
  const { createdAt, batchArrivedAt, model, runId, key, ...rest } = r;
  void createdAt;
  void batchArrivedAt;
  void runId;
  (rest as Record<string, unknown>).key = key?.slice(key.indexOf('/'));
  const { trainSeconds, ...m } = model ?? ({} as NonNullable<WindowResult['model']>);
  void trainSeconds;
  return JSON.stringify({ ...rest, model: m });
}
const ends = (rs: WindowResult[]) => rs.filter((r) => r.trigger === 'end').map(essence);

const crosses = (rs: WindowResult[]) =>
  rs.some((r) => r.trigger === 'end' && r.valid && r.significance?.z !== undefined && r.significance.z >= Z);

/** Earliest grid time (s of stream) whose prefix crosses Z offline; null when even the whole stream does not. */
async function offlineCrossing(seed: number): Promise<{ time: number | null; runs: number; whole: string[] }> {
  let runs = 0;
  let whole: string[] = [];
  const at = async (t: number) => {
    runs++;
    const r = await runOnce(`offline-${seed}-${t}`, BATCH_ONLY, stream(seed, true, false, Math.round(t * rate), {}));
    if (t === seconds) whole = ends(r.results);
    return crosses(r.results);
  };
  let lo = t0s; // the prefix up to T0 holds no signal: taken as not crossing
  let hi = seconds;
  if (!(await at(hi))) return { time: null, runs, whole };
  while (hi - lo > grid) {
    const mid = lo + Math.max(grid, Math.round((hi - lo) / 2 / grid) * grid);
    if (mid >= hi) break;
    if (await at(mid)) hi = mid;
    else lo = mid;
  }
  return { time: hi, runs, whole };
}

const perSeed: Array<Record<string, number | boolean | string | null>> = [];
for (let s = 0; s < seeds; s++) {
  const seed = 101 + s;
  const marks: { t0?: number; end?: number; start?: number } = {};
  let firstAlert: number | undefined;
  let alertTrigger: string | undefined;
  let falseAlarms = 0;
  const online = await runOnce(`online-${seed}`, ONLINE, stream(seed, true, true, Infinity, marks), (at, a) => {
    if (marks.t0 === undefined || at < marks.t0) falseAlarms++;
    else if (firstAlert === undefined) {
      firstAlert = at;
      alertTrigger = a.trigger;
    }
  });
  const scored = online.results.filter((r) => r.trigger === 'online');
  const last = scored[scored.length - 1];
  const offline = await offlineCrossing(seed);
  const alertDelay = firstAlert !== undefined && marks.t0 !== undefined ? (firstAlert - marks.t0) / 1000 : null;
  perSeed.push({
    seed,
    alertDelaySeconds: alertDelay,
    // What raised the first alert: an online refit, a retraining (threshold, growth), or the end-of-stream analysis.
    alertTrigger: alertTrigger ?? null,
    offlineCrossingSeconds: offline.time === null ? null : offline.time - t0s,
    delayAfterOfflineSeconds: alertDelay !== null && offline.time !== null ? alertDelay - (offline.time - t0s) : null,
    // Events over the time the source took to hand them out: below `rate` when the processor held it back.
    eventsPerSecond: online.events / (((marks.end ?? 0) - (marks.start ?? 0)) / 1000),
    eventsPerSecondWithFinalTraining: online.events / online.wall,
    identicalToBatch: (() => {
      const a = ends(online.results);
      return a.length > 0 && a.length === offline.whole.length && a.every((x, k) => x === offline.whole[k]);
    })(),
    onlineResults: scored.length,
    ensembleNsPerEvent: last?.online
      ? (last.online.ensembleSeconds / Math.max(1, last.online.scoredEvents)) * 1e9
      : null,
    models: last?.online?.models ?? null,
    lookupCells: last?.online?.lookupCells ?? null,
    lookupAgreement: last?.online?.lookupAgreement ?? null,
    falseAlarmsBeforeT0: falseAlarms,
    offlineRuns: offline.runs,
  });
}

const nulls: Array<Record<string, number>> = [];
for (let s = 0; s < nullSeeds; s++) {
  const seed = 501 + s;
  let alerts = 0;
  const r = await runOnce(
    `null-${seed}`,
    ONLINE,
    stream(seed, false, false, Infinity, {}, nullRate, nullSeconds),
    () => alerts++,
  );
  const online = r.results.filter((x) => x.trigger === 'online' && x.valid && x.significance?.z !== undefined);
  nulls.push({
    seed,
    alerts,
    events: r.events,
    wallSeconds: r.wall,
    onlineResults: online.length,
    trainings: r.results.filter((x) => x.trigger === 'threshold' || x.trigger === 'growth').length,
    maxOnlineZ: online.reduce((a, x) => Math.max(a, x.significance!.z!), -Infinity),
  });
}

const col = (k: string) => summarize(perSeed.map((p) => (typeof p[k] === 'number' ? p[k] : null)));
const identical = perSeed.filter((p) => p.identicalToBatch === true).length;
const nullAlerts = nulls.reduce((a, n) => a + (n.alerts ?? 0), 0);
const delay = col('delayAfterOfflineSeconds');
const cost = col('ensembleNsPerEvent');
const eps = col('eventsPerSecond');
const out = {
  bench: 'online',
  environment: benchEnvironment(),
  config: {
    rate,
    seconds,
    t0: t0s,
    batch: BATCH,
    signal,
    window: 'SR [3200, 3800] GeV, SB 600 GeV each side',
    classifier: `hgb, ensemble ${ensemble}, 5 folds (atlas2024), 2 workers, working points 0.1 and 0.02`,
    trigger: ONLINE,
    signalFreeStreams: `${nullSeconds} s of stream at ${nullRate} events/s each (${nullRate * nullSeconds} events), replayed unpaced`,
    offline: `${BATCH_ONLY}: one cold training at the end of each prefix; bisection on a ${grid} s grid`,
    alertZ: Z,
    seeds: perSeed.map((p) => p.seed),
    nullSeeds: nulls.map((p) => p.seed),
    peer: 'none named by the issue (the offline reference is sideband itself as a batch analysis)',
  },
  alertDelaySeconds: col('alertDelaySeconds'),
  offlineCrossingSeconds: col('offlineCrossingSeconds'),
  delayAfterOfflineSeconds: delay,
  eventsPerSecond: eps,
  ensembleNsPerEvent: cost,
  models: col('models'),
  lookupAgreement: col('lookupAgreement'),
  identicalToBatch: `${identical} of ${perSeed.length}`,
  perSeed,
  signalFree: { runs: nulls, alerts: nullAlerts },
  targets: {
    delayAfterOffline: {
      target: '<= 30 s at 200k events/s',
      met: rate >= 200_000 && delay.n > 0 && delay.median <= 30,
      note:
        rate < 200_000
          ? `measured at ${rate} events/s, not the 200k/s of the target`
          : delay.n === 0
            ? 'no seed gave both an alert and an offline crossing'
            : undefined,
    },
    eventsPerSecond: { target: 200_000, met: eps.median >= 0.99 * 200_000 && rate >= 200_000 },
    ensembleCostPerEvent: {
      target: '<= 1 µs for a ten-member HGB ensemble',
      met: ensemble === 10 && cost.n > 0 && cost.median <= 1000,
      note: `${ensemble} members x 5 fold models each score every new event (all folds: events in no fold), scoring ${scoring}`,
    },
    identicalToBatch: { target: 'every seed', met: perSeed.length > 0 && identical === perSeed.length },
    signalFree: {
      target: 'no alert in 10 signal-free 1-hour streams',
      met: nulls.length >= 10 && nullSeconds >= 3600 && nullAlerts === 0,
      note: `${nulls.length} signal-free streams of ${nullSeconds} s at ${nullRate}/s with ${nullAlerts} alerts${nulls.length >= 10 && nullSeconds >= 3600 ? '' : ': fewer or shorter streams than the target names'}`,
    },
  },
};
if (flag(args, 'out')) {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(flag(args, 'out')!, `${JSON.stringify(out, null, 2)}\n`);
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
