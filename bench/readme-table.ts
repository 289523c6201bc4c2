/**
 * Regenerates README.md's benchmark table from the benches' saved JSON outputs (docs/bench/*.json), so that no
 * figure in the README is typed by hand: each row is formatted from one file, with the date and load average it
 * was measured at. A bench without a saved output gets a row that says so. The table sits between the markers
 * `<!-- bench-table:begin -->` and `<!-- bench-table:end -->`.
 *
 *   node dist/bench/readme-table.js [--dir docs/bench] [--readme README.md] [--check]
 * --check exits 1 when the README's table differs from what the outputs give (for CI or review).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, parseArgs } from '../src/cli/args.js';
import { SidebandError } from '../src/events/errors.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BEGIN = '<!-- bench-table:begin -->';
const END = '<!-- bench-table:end -->';

// biome-ignore lint/suspicious/noExplicitAny: the outputs are read as the benches wrote them.
type Json = any;
interface Summary {
  median: number;
  p16: number;
  p84: number;
  n: number;
}

const f = (x: number | null | undefined, d = 2): string =>
  typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : 'n/a';
const si = (x: number): string =>
  x >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : x >= 1e3 ? `${Math.round(x / 1e3)}k` : f(x, 0);
/** "median [p16, p84]" of a seed summary. */
const range = (s: Summary | undefined, d = 2): string =>
  s ? `${f(s.median, d)} [${f(s.p16, d)}, ${f(s.p84, d)}]` : 'n/a';
const when = (j: Json): string => {
  const e = j.environment;
  if (!e) return '';
  const load = e.loadAverageAtStart?.[0];
  return ` *(${String(e.date).slice(0, 10)}${load !== undefined ? `, load ${load} on ${e.cpus} cores` : ''})*`;
};

function ingestRow(j: Json): string {
  return (
    `${si(j.events_per_s)} events/s, DuckDB ${si(j.duckdb_events_per_s)}/s (ratio ${f(j.ratio)}), ` +
    `${f(j.bytes_per_buffered_event, 1)} bytes per buffered event${when(j)}`
  );
}

function scaleRow(j: Json): string {
  const big = j.runs.reduce((a: Json, r: Json) => (r.events > a.events ? r : a));
  const eq = j.equality;
  return (
    `${si(big.events)} events: ${f(big.wall_seconds / 60, 1)} min end to end (target 30), peak RSS ` +
    `${f(big.peak_rss_bytes / 1e9, 2)} GB (target 1.5) with a ${f(big.budget / 2 ** 20, 0)} MiB store budget ` +
    `(${f(big.store.spilled_bytes / 1e6, 0)} MB spilled); ingest ${si(big.stages.ingest.events_per_s)} events/s, ` +
    `analysis ${f(big.stages.analysis.seconds, 0)} s; spilling vs in-memory results at ${si(eq.events)} events: ` +
    `${eq.valid ? 'identical' : `not shown (${eq.why})`}${when(j)}`
  );
}

function fitRow(j: Json): string {
  const s = j.spectrumFit;
  const w = j.windowFit;
  return (
    `91-bin dijet4: ${f(s.sideband.medianMs)} ms, χ² ${f(s.sideband.chi2)} / ${s.sideband.ndf}, ` +
    `${s.sideband.binsWithinAtlasFitErr} of ${s.sideband.bins} bins within ATLAS's fit_err; iminuit cold ×${f(s.coldRatio, 0)}, ` +
    `warm analytic-gradient (${s.warmAnalyticConfig ?? 'none reached our minimum'}) ×${f(s.warmAnalyticRatio, 1)}. ` +
    `30-bin window, ATLAS 2024 strategy, ${w.seeds.length} seeds: ${range(w.sideband.strategyMs)} ms; ` +
    `iminuit cold ×${range(w.coldRatio, 0)}, warm analytic ×${range(w.warmAnalyticRatio, 1)}, ` +
    `fastest configuration ×${range(w.bestRatio, 1)} (median [16 %, 84 %], MINUIT time / ours). ` +
    `Hard window: ${f(j.hardWindowFit.sideband.strategyMedianMs, 1)} ms, warm analytic ×${f(j.hardWindowFit.warmAnalyticRatio, 1)}` +
    when(j)
  );
}

function classifyRow(j: Json): string {
  const o = j.weak.ours;
  const sk = j.weak.sklearn;
  const tgt = j.target;
  const parts = [
    `shipped path (${j.classifier.ensemble}-member HGB ensemble, ${j.classifier.folds} folds, ${j.classifier.combine} ` +
      `of histograms): weak max SIC ${range(o.max_sic)} over ${j.seeds.length} seeds (target ≥ ${tgt.weak_max_sic_median} on the median: ${tgt.met ? 'met' : 'not met'})`,
    `member correlation ${f(o.member_correlation.median)}`,
  ];
  const avg = j.weak.ours_combine_average;
  if (avg) parts.push(`the same path with \`combine: average\` (members' scores averaged) ${range(avg.max_sic)}`);
  if (sk)
    parts.push(
      `scikit-learn ${j.peer?.sklearn ?? ''} through the same path ${range(sk.max_sic)}, ours with subsampling off ` +
        `${range(j.weak.ours_no_subsampling.max_sic)} (higher on ${j.paired.ours_higher_on_seeds} of ${j.paired.seeds} paired seeds)`,
    );
  parts.push(`supervised ${range(j.supervised_max_sic)}`);
  const st = j.speed.single_thread;
  if (st.speed_ratio_vs_sklearn !== undefined)
    parts.push(
      `HGB ${f(st.ours_seconds_per_model, 3)} s/model on one thread, ${f(st.speed_ratio_vs_sklearn, 2)}× sklearn's speed ` +
        `(${j.speed.threads} threads each: ${f(j.speed.pool.speed_ratio_vs_sklearn, 2)}×)`,
    );
  if (j.mlp)
    parts.push(
      `MLP ${si(j.mlp.ours.samples_per_s)} samples/s on tfjs-${j.mlp.ours.backend} (PyTorch ${si(j.mlp.torch.samples_per_s)}, ` +
        `${j.mlp.ours.threads} thread, batch ${j.mlp.ours.batch})`,
    );
  return `${parts.join('; ')}${when(j)}`;
}

function huntRow(j: Json): string {
  const topo = (t: string) => j.injection.find((x: Json) => x.topology.includes(t));
  const inj = (x: Json, label: string) => {
    const wps = Object.entries(x.z_signal_window as Record<string, Summary & { invalid: number }>)
      .map(([wp, s]) => `ε ${wp}: ${range(s)}${s.invalid ? ` (${s.invalid} invalid)` : ''}`)
      .join(', ');
    return `${label}: signal-window Z ${wps}; truth S/√B ${range(x.s_over_sqrt_b)}`;
  };
  const clo = j.closure
    .map(
      (c: Json) =>
        `${path.basename(c.topology, '.yaml')} ${c.windows_passing} of ${c.windows_total} windows pass (Z ${range(c.z_all)}, ` +
        `spread ${f(c.z_all.spread)}${c.invalid ? `, ${c.invalid} invalid` : ''})`,
    )
    .join('; ');
  const a20 = topo('atlas2020');
  const a24 = topo('atlas2024');
  return (
    `injected W′ over ${a24?.seeds.length ?? 0} generator seeds (median [16 %, 84 %]): ` +
    `${a24 ? inj(a24, 'ATLAS 2024 topology') : ''}; ${a20 ? inj(a20, 'ATLAS 2020 topology') : ''}. ` +
    `Closure over ${j.closure[0]?.runs ?? 0} signal-free samples: ${clo}` +
    `${j.full_hunt ? `. Full hunt (${j.full_hunt.windows} windows, ${si(j.full_hunt.events)} events): ${f(j.full_hunt.seconds, 0)} s` : ''}` +
    when(j)
  );
}

function kafkaRow(j: Json): string {
  return (
    `columnar (Arrow IPC) ${si(j.columnar_events_per_s)} events/s, JSON ${si(j.json_events_per_s)} events/s, ` +
    `single-row JSON ${si(j.json_single_row_events_per_s)} events/s; the broker alone fetches ` +
    `${si(j.broker_fetch_columnar_events_per_s)} and ${si(j.broker_fetch_json_events_per_s)} events/s${when(j)}`
  );
}

function onlineRow(j: Json): string {
  const c = j.config;
  const null0 = j.signalFree.runs[0];
  return (
    `${c.seeds.length} seeds at ${si(c.rate)} events/s (median [16 %, 84 %]): alert ${range(j.delayAfterOfflineSeconds, 1)} s ` +
    `after the offline batch analysis of the prefix first crosses Z = 3; ${range(j.eventsPerSecond, 0)} events/s sustained; ` +
    `scoring ${range(j.ensembleNsPerEvent, 0)} ns per window event for ${f(j.models.median, 0)} models (${j.targets.ensembleCostPerEvent.note}); ` +
    `final results identical to the batch run in ${j.identicalToBatch}; ${j.signalFree.alerts} alerts in ${j.signalFree.runs.length} ` +
    `signal-free streams of ${null0 ? `${si(null0.events)} events (${c.signalFreeStreams})` : 'none'}${when(j)}`
  );
}

function calibrationRow(j: Json): string {
  const ks = (o: Json): number => {
    let m = 0;
    const walk = (v: Json, k: string) => {
      if (v && typeof v === 'object') for (const [kk, vv] of Object.entries(v)) walk(vv, kk);
      else if (typeof v === 'number' && /^ks$/i.test(k)) m = Math.max(m, v);
    };
    walk(o, '');
    return m;
  };
  return `KS ≤ ${f(ks(j.lhcoBackground), 3)} (background), ≤ ${f(ks(j.lhcoSignal), 3)} (signal)${when(j)}`;
}

const ROWS: { cmd: string; what: string; file: string; row: (j: Json) => string }[] = [
  {
    cmd: '`npm run bench:ingest -- --json`',
    what: '1M generated events (Parquet) → decode/validate → derive → ATLAS 2024 cuts → sliding-window buffers, vs DuckDB scanning the same columns into typed arrays',
    file: 'ingest.json',
    row: ingestRow,
  },
  {
    cmd: '`npm run bench:fit -- --json`',
    what: 'dijet4 fit of the 91-bin ATLAS spectrum; 30-bin SB fits with the ATLAS 2024 strategy over Poisson seeds; vs iminuit on the same likelihood, cold and warm with the analytic gradient',
    file: 'fit.json',
    row: fitRow,
  },
  {
    cmd: '`npm run bench:classify -- --json`',
    what: "LHCO R&D: the shipped CWoLa path (the topology's CV, ensemble, selection) on data vs an independent background template, SIC of what it selects on a held-out evaluation set; sklearn through the same path; supervised reference; MLP vs PyTorch",
    file: 'classify.json',
    row: classifyRow,
  },
  {
    cmd: '`npm run bench:hunt -- --json`',
    what: 'CWoLa hunting with an injected LHCO-like signal over generator seeds (both CWoLa topologies), closure on signal-free samples (seed 000 §V.E), the ATLAS 2024 full hunt',
    file: 'hunt.json',
    row: huntRow,
  },
  {
    cmd: '`npm run bench:kafka -- --json`',
    what: 'generated events through a loopback Kafka-protocol broker into window buffers, columnar (Arrow IPC) and JSON, vs the broker alone',
    file: 'kafka.json',
    row: kafkaRow,
  },
  {
    cmd: '`npm run bench:online -- --json`',
    what: 'near-online triggering: the generator paced at a fixed rate through `runTopology` with `trigger.online`, a resonance switched on at T0; time to alert beside the offline analysis of each prefix; signal-free streams',
    file: 'online.json',
    row: onlineRow,
  },
  {
    cmd: '`npm run bench:scale -- --json`',
    what: 'a generated ATLAS-size stream through `topologies/atlas2024-cwola.yaml` end to end (7 windows × 55 HGB fits), the window store spilling past its budget',
    file: 'scale.json',
    row: scaleRow,
  },
  {
    cmd: '`npm run bench:calibration`',
    what: 'generator vs the ATLAS spectrum and the LHCO features; writes `docs/calibration/`',
    file: 'calibration.json',
    row: calibrationRow,
  },
];

export function benchTable(dir: string): string {
  const lines = ['| command | what | measured |', '|---|---|---|'];
  for (const r of ROWS) {
    const file = path.join(dir, r.file);
    let cell: string;
    if (!existsSync(file)) cell = `not measured yet (no ${path.relative(root, file)})`;
    else {
      try {
        cell = r.row(JSON.parse(readFileSync(file, 'utf8')) as Json);
      } catch (e) {
        throw new SidebandError(`readme-table: ${file}: ${(e as Error).message}`, { cause: e });
      }
    }
    lines.push(`| ${r.cmd} | ${r.what} | ${cell.replaceAll('|', '\\|')} |`);
  }
  return lines.join('\n');
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), ['check']);
  const dir = path.resolve(flag(args, 'dir') ?? path.join(root, 'docs/bench'));
  const readme = path.resolve(flag(args, 'readme') ?? path.join(root, 'README.md'));
  const text = readFileSync(readme, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new SidebandError(`readme-table: ${readme}: no ${BEGIN} … ${END} markers`);
  const next = `${text.slice(0, a + BEGIN.length)}\n${benchTable(dir)}\n${text.slice(b)}`;
  if (args.flags.has('check')) {
    if (next !== text) {
      console.error(`readme-table: ${readme}: the benchmark table differs from ${dir}; run npm run bench:table`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(readme, next);
  console.error(`readme-table: ${readme}: table written from ${dir}`);
}

main();
