/**
 * bench:cms — seed 003's comparison through the shipped topology topologies/cms2024-compare.yaml (runTopology, as
 * `sideband run` does): CWoLa hunting, CATHODE, VAE-QR, Tag N' Train and QUAK beside the inclusive and the
 * simple-cut (τ21 < 0.45 on both jets) baselines, over one generated stream per run, each method retrained at every
 * injected amount, each selected spectrum fitted with the dijet function + double crystal ball (src/fit/signal-fit.ts).
 *
 *   1. Injection: per signal model (2-prong and 3-prong, at two masses, each in the CMS B-table window holding it)
 *      and method, the injected count at which the S+B fit's Z reaches 3 and 5 (linear between the scanned amounts;
 *      a run that never reaches it counts as +∞), median and 16–84 % range over --seeds runs (each its own data and
 *      signal seed), with S/√B before the selection at the median crossing; whether each method's median beats both
 *      baselines' (seed 003: every method does).
 *   2. Closure: every run's zero-injection point is a signal-free sample (the stream has no signal); per method the
 *      median and spread of Z (S+B fit, ≥ 0 by construction; and the signed Z of the sideband fit), and the fraction
 *      of samples whose selected spectrum the dijet function describes (background-only fit χ² p > 0.05). Seed 003's
 *      criterion for VAE-QR: median Z < 1, spread < 1, p > 0.05.
 *   3. Training time per method: median over runs and amounts of the model's trainSeconds.
 * A point without a valid fit is counted as invalid, never read as Z = 0.
 *
 *   npm run bench:cms -- --json [--seeds 5] [--signals all|2p3000,...] [--events N] [--amounts 0,400,1600] [--raw runs.jsonl]
 *   npm run bench:cms -- --json --from a.jsonl,b.jsonl [same --seeds/--signals]   (aggregate runs split over processes)
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { comparisonSummary, type WindowComparison } from '../src/analysis/cms/compare.js';
import { flag, parseArgs } from '../src/cli/args.js';
import { runTopology } from '../src/run.js';
import { loadTopology } from '../src/topology/load.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FILE = path.join(root, 'topologies/cms2024-compare.yaml');
const SIGNALS: Record<string, { label: string; spec: string; window: string }> = {
  '2p3000': { label: 'two-prong 3.0 TeV (B 400, C 80)', spec: 'mA=3000,mB=400,mC=80', window: 'B3' },
  '3p3000': {
    label: 'three-prong 3.0 TeV (B 170, C 170)',
    spec: 'mA=3000,mB=170,mC=170,prongsB=3,prongsC=3',
    window: 'B3',
  },
  '2p3700': { label: 'two-prong 3.7 TeV (B 400, C 80)', spec: 'mA=3700,mB=400,mC=80', window: 'B4' },
  '3p3700': {
    label: 'three-prong 3.7 TeV (B 170, C 170)',
    spec: 'mA=3700,mB=170,mC=170,prongsB=3,prongsC=3',
    window: 'B4',
  },
};
const BASELINES = ['inclusive', 'simple-cut'];

const quantile = (sorted: number[], p: number): number | null => {
  if (!sorted.length) return null;
  const h = p * (sorted.length - 1),
    lo = Math.floor(h);
  const a = sorted[lo]!,
    b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return h === lo || a === b ? a : Infinity;
  return a + (h - lo) * (b - a);
};
/** Median and 16–84 % range; ∞ (never reached) is written as null with `reached` saying how many did. */
function band(xs: number[]): {
  median: number | null;
  p16: number | null;
  p84: number | null;
  reached: number;
  runs: number;
} {
  const s = [...xs].sort((a, b) => a - b);
  const fin = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);
  return {
    median: fin(quantile(s, 0.5)),
    p16: fin(quantile(s, 0.16)),
    p84: fin(quantile(s, 0.84)),
    reached: xs.filter(Number.isFinite).length,
    runs: xs.length,
  };
}
const std = (a: number[]) => {
  if (a.length < 2) return null;
  const m = a.reduce((x, y) => x + y, 0) / a.length;
  return Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1));
};

async function main() {
  const args = parseArgs(process.argv.slice(2), ['json']);
  const seeds = Number(flag(args, 'seeds') ?? 5);
  const which = String(flag(args, 'signals') ?? 'all');
  const keys = which === 'all' ? Object.keys(SIGNALS) : which.split(',');
  const extra = [
    ...(flag(args, 'events') ? [`source.events=${flag(args, 'events')}`] : []),
    ...(flag(args, 'amounts') ? [`compare.amounts=[${flag(args, 'amounts')}]`] : []),
  ];
  const raw = flag(args, 'raw') as string | undefined;
  // --first-seed K: run seeds K..seeds-1 only (a split of one bench over processes; aggregate with --from).
  const firstSeed = Number(flag(args, 'first-seed') ?? 0);
  const t0 = performance.now();
  const runs: Array<{ signal: string; seed: number; window: WindowComparison; seconds: number }> = [];
  // --from a.jsonl,b.jsonl: aggregate runs written by earlier --raw invocations (split over processes) instead.
  const from = flag(args, 'from') as string | undefined;
  if (from)
    for (const f of from.split(','))
      for (const line of readFileSync(f, 'utf8').split('\n'))
        if (line.trim()) runs.push(JSON.parse(line) as (typeof runs)[number]);
  for (const key of from ? [] : keys) {
    const si = Object.keys(SIGNALS).indexOf(key);
    const sig = SIGNALS[key];
    if (!sig) throw new Error(`--signals: unknown '${key}' (known: ${Object.keys(SIGNALS).join(', ')})`);
    for (let k = firstSeed; k < seeds; k++) {
      // Every run its own data and signal: 20 distinct signal-free streams for the closure with 4 signals x 5 seeds.
      const seed = 3000 + 100 * si + k;
      const t = await loadTopology(FILE, [
        `seed=${seed}`,
        `source.seed=${seed}`,
        `compare.signalSeed=${seed + 50000}`,
        `compare.signal=${sig.spec}`,
        `compare.windows=[${sig.window}]`,
        'sinks.results=false',
        ...extra,
      ]);
      const out = mkdtempSync(path.join(tmpdir(), 'sideband-cms-'));
      const r0 = performance.now();
      const r = await runTopology(t, { file: FILE, outDir: out });
      const w = comparisonSummary(r.results).find((x) => x.window === sig.window)!;
      runs.push({ signal: key, seed, window: w, seconds: (performance.now() - r0) / 1000 });
      // Each run as it finishes (--raw FILE), so that a long bench's runs survive a failure after them.
      if (raw) appendFileSync(raw, `${JSON.stringify(runs[runs.length - 1])}\n`);
      rmSync(out, { recursive: true, force: true });
      process.stderr.write(
        `bench:cms ${key} seed ${seed}: ${((performance.now() - r0) / 1000).toFixed(0)} s; 3σ at ${w.methods.map((m) => `${m.method} ${m.injectedFor3Sigma?.toFixed(0) ?? '–'}`).join(', ')}\n`,
      );
    }
  }
  const methods = [...new Set(runs.flatMap((r) => r.window.methods.map((m) => m.method)))];
  const injection = keys.flatMap((key) =>
    methods.map((method) => {
      const ms = runs
        .filter((r) => r.signal === key)
        .map((r) => r.window.methods.find((m) => m.method === method))
        .filter((m) => m !== undefined);
      const z3 = band(ms.map((m) => m.injectedFor3Sigma ?? Infinity));
      const z5 = band(ms.map((m) => m.injectedFor5Sigma ?? Infinity));
      return {
        signal: SIGNALS[key]!.label,
        window: SIGNALS[key]!.window,
        method,
        injectedFor3Sigma: z3,
        injectedFor5Sigma: z5,
        sOverSqrtBFor3Sigma: band(ms.map((m) => m.sOverSqrtBFor3Sigma ?? Infinity)).median,
        sOverSqrtBFor5Sigma: band(ms.map((m) => m.sOverSqrtBFor5Sigma ?? Infinity)).median,
        // Per amount: median Z over runs and how many runs had a valid fit there.
        zByAmount: [...new Set(ms.flatMap((m) => m.points.map((p) => p.amount)))].map((amount) => {
          const zs = ms.map((m) => m.points.find((p) => p.amount === amount)?.z).filter((z) => typeof z === 'number');
          return { amount, medianZ: band(zs as number[]).median, valid: zs.length, runs: ms.length };
        }),
      };
    }),
  );
  // Beats a baseline: a smaller median 3σ crossing (one never reached is +∞; two never reached: does not beat).
  const n3 = (key: string, m: string) =>
    injection.find((r) => r.signal === SIGNALS[key]!.label && r.method === m)?.injectedFor3Sigma.median ?? Infinity;
  const beats = keys.flatMap((key) =>
    methods
      .filter((m) => !BASELINES.includes(m))
      .map((m) => {
        const bi = n3(key, m) < n3(key, 'inclusive'),
          bc = n3(key, m) < n3(key, 'simple-cut');
        return { signal: SIGNALS[key]!.label, method: m, beatsInclusive: bi, beatsSimpleCut: bc, met: bi && bc };
      }),
  );
  const closure = methods.map((method) => {
    const ps = runs
      .map((r) => r.window.methods.find((m) => m.method === method)?.points.find((p) => p.amount === 0))
      .filter((p) => p !== undefined);
    const zs = ps.map((p) => p.z).filter((z) => z !== null) as number[];
    const zsb = ps.map((p) => p.zSideband).filter((z) => z !== null) as number[];
    const fitted = ps.filter((p) => p.backgroundPValue !== null && p.backgroundPValue !== undefined);
    const smooth = fitted.filter((p) => p.backgroundPValue! > 0.05).length;
    const medZ = band(zs).median,
      spread = std(zs);
    return {
      method,
      samples: ps.length,
      validFits: zs.length,
      medianZ: medZ,
      spreadZ: spread,
      sidebandFit: { valid: zsb.length, medianZ: band(zsb).median, spreadZ: std(zsb) },
      backgroundOnlyPAbove005: fitted.length ? smooth / fitted.length : null,
      met:
        ps.length >= 20 &&
        zs.length === ps.length &&
        medZ !== null &&
        spread !== null &&
        medZ < 1 &&
        spread < 1 &&
        fitted.length === ps.length &&
        smooth / fitted.length >= 0.95,
      ...(ps.length < 20 ? { note: `only ${ps.length} signal-free samples; seed 003's criterion takes 20` } : {}),
    };
  });
  const trainSeconds = Object.fromEntries(
    methods.map((m) => {
      const ts = runs
        .map((r) => r.window.methods.find((x) => x.method === m)?.trainSeconds)
        .filter((x) => typeof x === 'number');
      return [m, band(ts as number[]).median];
    }),
  );
  const t = await loadTopology(FILE, extra);
  const out = {
    bench: 'cms',
    config: {
      topology: 'topologies/cms2024-compare.yaml',
      overrides: extra,
      events: t.source.kind === 'generator' ? t.source.events : null,
      amounts: t.compare!.amounts,
      workingPoint: t.compare!.workingPoint,
      seeds,
      signals: keys.map((k) => SIGNALS[k]),
      methods: t.compare!.methods,
    },
    injection,
    everyMethodBeatsBaselines: beats,
    closure,
    trainSeconds,
    runSeconds: band(runs.map((r) => r.seconds)).median,
    seconds: (performance.now() - t0) / 1000,
  };
  console.log(JSON.stringify(out, null, args.flags.has('json') ? 0 : 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
