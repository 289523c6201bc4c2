/**
 * Scale benchmark: a generated stream through topologies/atlas2024-cwola.yaml end to end (generator → decode →
 * derive → select → window store → CWoLa HGB ensembles in every sliding window → fits → sinks), with the window
 * store spilling to disk past its budget, beside an in-memory run of the same seed whose results must be equal.
 *
 *   npm run bench:scale -- --json [--events 1000000,2000000] [--budget BYTES] [--compare-at N] [--keep DIR]
 *
 * Each run is a child process (so its peak RSS is its own): wall time, peak RSS, the store's resident and spilled
 * bytes, and events/s by stage (generation alone; ingest = source through routing into the store; analysis =
 * window snapshots read back from the store, training and fits; sinks). The target is 150M events in 30 min with a
 * 512 MB store budget and 1.5 GB peak RSS. On a shared 2-core machine the default sizes are small; the budget is
 * then scaled by events/150M (unless --budget is given) so the store spills the same fraction it would at 150M,
 * and the JSON extrapolates wall time linearly in events from the largest run (stated as an extrapolation, not a
 * measurement). `--events 150000000 --budget 536870912` runs the real thing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTopology, type ProgressDisplay } from '../src/run.js';
import { parseTopology } from '../src/topology/load.js';
import { decodeSpec, openSource } from '../src/topology/compile.js';
import { parseArgs, flag, numberFlag } from '../src/cli/args.js';
import { SidebandError } from '../src/events/errors.js';
import { benchEnvironment, loadAverageNow } from './summary.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const TOPOLOGY = path.join(root, 'topologies/atlas2024-cwola.yaml');
const TARGET_EVENTS = 150_000_000;
const TARGET_BUDGET = 512 * 2 ** 20;
const TARGET_SECONDS = 30 * 60;
const TARGET_RSS = 1.5 * 2 ** 30;

interface ChildResult {
  events: number;
  budget: number | null;
  wall_seconds: number;
  peak_rss_bytes: number;
  store: { stored: number; bytes: number; resident_bytes: number; spilled_bytes: number; bytes_read_back: number };
  stages: Record<string, { seconds: number; events_per_s?: number; [k: string]: unknown }>;
  results: number;
  status: string;
  out: string;
}

/** One run, inside the child process. */
async function child(events: number, budget: number | null, out: string, spillDir: string): Promise<ChildResult> {
  const sets = [
    `source.events=${events}`,
    ...(budget ? [`store.memoryBudget=${budget}`, `store.spillDir=${spillDir}`] : []),
  ];
  const t = parseTopology(readFileSync(TOPOLOGY, 'utf8'), TOPOLOGY, sets);
  // Generation alone, for the source's share of the ingest time (a separate pass over the same seed).
  const g0 = performance.now();
  let generated = 0;
  // The run's own source, opened the way the run opens it.
  const gen = await openSource(t, decodeSpec(t), () => {}, TOPOLOGY);
  for await (const b of gen.batches()) generated += b.length;
  const generateSeconds = (performance.now() - g0) / 1000;
  if (generated !== events) throw new SidebandError(`bench:scale: the generator gave ${generated} of ${events} events`);

  const marks: Record<string, number> = {};
  let training = 0,
    models = 0;
  const t0 = performance.now();
  const progress = (): ProgressDisplay => ({
    result: () => {
      marks.lastResult = performance.now();
    },
    stage: (name) => {
      marks[`stage:${name}`] ??= performance.now();
    },
    stop: () => {},
    observer: {
      analysisStarted: () => {
        marks.firstAnalysis ??= performance.now();
      },
      trainingFinished: (_m, s) => {
        training += s;
        models++;
      },
    },
  });
  const r = await runTopology(t, { file: TOPOLOGY, outDir: out, overrides: sets, progress });
  const end = performance.now();
  const store = r.run.buffers.store;
  const ingestEnd = marks.firstAnalysis ?? end;
  const analysisEnd = marks.lastResult ?? ingestEnd;
  const s = (a: number, b: number) => Math.max(0, (b - a) / 1000);
  return {
    events,
    budget,
    wall_seconds: s(t0, end),
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    store: {
      stored: store.size,
      bytes: store.bytes(),
      resident_bytes: store.residentBytes(),
      spilled_bytes: store.spilledBytes(),
      bytes_read_back: store.spillStats.bytesRead,
    },
    stages: {
      generate: { seconds: generateSeconds, events_per_s: events / generateSeconds, note: 'the source alone' },
      ingest: {
        seconds: s(t0, ingestEnd),
        events_per_s: events / s(t0, ingestEnd),
        note: 'generate, decode/validate, derive, select, route into the store (spilling)',
      },
      analysis: {
        seconds: s(ingestEnd, analysisEnd),
        stored_events_per_s: store.size / s(ingestEnd, analysisEnd),
        models,
        training_seconds_summed: training,
        note: 'window snapshots read back from the store, HGB ensembles (2 training workers), fits, significance',
      },
      sinks: { seconds: s(analysisEnd, end), note: 'summary, report, workspaces, histograms, results.parquet' },
    },
    results: r.results.length,
    status: r.summary.status,
    out: r.outDir,
  };
}

/** A result line without what differs between two runs of one seed: run id, timestamps, training times. */
function comparable(line: string): unknown {
  const r = JSON.parse(line);
  delete r.runId;
  delete r.createdAt;
  delete r.key;
  if (r.model) delete r.model.trainSeconds;
  return r;
}

function runChild(events: number, budget: number | null, dir: string): ChildResult {
  const out = path.join(dir, `${budget ? 'spill' : 'memory'}-${events}`);
  const p = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--child', String(events), String(budget ?? 0), out, dir],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  if (p.status !== 0)
    throw new SidebandError(`bench:scale: the run of ${events} events failed: ${p.stderr.slice(-2000)}`);
  return JSON.parse(p.stdout.trim().split('\n').pop()!) as ChildResult;
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [events, budget, out, dir] = argv.slice(1);
    const r = await child(Number(events), Number(budget) || null, out!, dir!);
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const args = parseArgs(argv, ['json']);
  const sizes = (flag(args, 'events') ?? '1000000,2000000').split(',').map(Number);
  const fixedBudget = flag(args, 'budget') ? numberFlag(args, 'budget', TARGET_BUDGET) : undefined;
  const largest = Math.max(...sizes);
  const compareAt = numberFlag(args, 'compare-at', largest);
  const keep = flag(args, 'keep');
  const dir = keep ?? mkdtempSync(path.join(tmpdir(), 'sideband-scale-'));
  const env = benchEnvironment();
  try {
    const runs: ChildResult[] = [];
    for (const n of sizes) {
      const budget = fixedBudget ?? Math.max(1, Math.round((TARGET_BUDGET * n) / TARGET_EVENTS));
      runs.push(runChild(n, budget, dir));
    }
    const spilled = runs.find((r) => r.events === compareAt) ?? runChild(compareAt, fixedBudget ?? 1, dir);
    const memory = runChild(compareAt, null, dir);
    const lines = (r: ChildResult) =>
      readFileSync(path.join(r.out, 'results.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map(comparable);
    const a = lines(spilled),
      b = lines(memory);
    const equal = JSON.stringify(a) === JSON.stringify(b);
    const big = runs.find((r) => r.events === largest)!;
    const perEvent = big.wall_seconds / big.events;
    const extrapolated = perEvent * TARGET_EVENTS;
    const res = {
      bench: 'scale',
      environment: env,
      loadAverageAtEnd: loadAverageNow(),
      topology: 'topologies/atlas2024-cwola.yaml',
      budget_rule: fixedBudget
        ? `store.memoryBudget = ${fixedBudget} bytes (given)`
        : `store.memoryBudget = 512 MiB × events / 150M, so the store spills the share it would at 150M events`,
      runs,
      equality: {
        events: compareAt,
        spilled_run_spilled_bytes: spilled.store.spilled_bytes,
        results: [a.length, b.length],
        equal,
        valid: equal && a.length > 0 && spilled.store.spilled_bytes > 0,
        ...(equal ? {} : { why: 'the spilling run gave different results from the in-memory run of the same seed' }),
        in_memory_peak_rss_bytes: memory.peak_rss_bytes,
        in_memory_wall_seconds: memory.wall_seconds,
      },
      target: {
        events: TARGET_EVENTS,
        wall_seconds: TARGET_SECONDS,
        peak_rss_bytes: TARGET_RSS,
        store_budget_bytes: TARGET_BUDGET,
        measured: largest >= TARGET_EVENTS,
        ...(largest >= TARGET_EVENTS
          ? {
              wall_seconds_measured: big.wall_seconds,
              met: big.wall_seconds <= TARGET_SECONDS && big.peak_rss_bytes <= TARGET_RSS,
            }
          : {
              wall_seconds_extrapolated: extrapolated,
              extrapolation: `linear in events from the ${largest}-event run (${perEvent.toExponential(3)} s/event); training grows with window size, so this is an estimate, not a measurement`,
              how_to_measure:
                'npm run bench:scale -- --json --events 150000000 --budget 536870912 --compare-at 1000000',
            }),
      },
    };
    process.stdout.write(`${JSON.stringify(res, null, flag(args, 'json') ? 0 : 2)}\n`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench:scale: ${e.message}`);
  process.exit(1);
});
