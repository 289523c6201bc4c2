/**
 * `sideband inject`: signal injection scans and limits from injection (seed 000 §V.D.5). For each injected amount
 * k of a signal model the whole analysis runs again on the data plus k signal events (the classifier is retrained:
 * a weakly supervised selection depends on what it was trained on), and per window and working point it records
 * the significance, the selected signal (from the injected events' truth labels), S/√B after the selection, and
 * CLs of the signal hypothesis s = S_selected(k) against the data's own selected count n − S_selected(k), with
 * the background fitted in that run. The observed, expected and ±1σ, ±2σ CLs curves against k cross 0.05 at the
 * 95 % CL limits on the number of injected (and of selected) signal events.
 *
 * Injection: a generator topology gets the signal added to its stream; a Parquet topology (generated columns, as
 * `sideband generate` writes them) reads its file and then the generated signal events, labelled 1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deriveSeed } from '../classify/random.js';
import type { EventBatch } from '../events/batch.js';
import { SidebandError } from '../events/errors.js';
import type { WindowResult } from '../events/result.js';
import { runTopology } from '../run.js';
import { GeneratorSource, type ResonanceSpec } from '../sources/generator.js';
import type { InjectionLimits } from '../sinks/injection-report.js';
import { ParquetSource } from '../sources/parquet.js';
import type { Source } from '../sources/source.js';
import { clsAsymptotic } from '../stats/cls.js';
import type { Topology } from '../topology/schema.js';

export interface InjectOptions {
  file: string;
  /** The signal model (masses and widths; its `n` is replaced by each amount). */
  signal: Omit<ResonanceSpec, 'n'>;
  amounts: number[];
  /** Runs per amount (different signal and, for generated data, data seeds). */
  seeds: number;
  seed: number;
  log?: (m: string) => void;
  onRun?: (amount: number, k: number, seconds: number) => void;
}

export interface InjectionPoint {
  amount: number;
  seed: number;
  valid: boolean;
  z?: number;
  /** Selected signal in the SR bins (truth), background fitted, its uncertainty, observed. */
  signal: number;
  background: number;
  backgroundErr: number;
  observed: number;
  sOverSqrtB: number;
  cls?: { observed: number; expected: number[] };
  /** With nothing injected: the run's merged-bin CLs limits on selected signal events (observed, expected median). */
  mergedBin?: { observed: number; expected: number };
}

export interface WindowInjection {
  window: string;
  sr: [number, number];
  workingPoint: number | null;
  points: InjectionPoint[];
  /** 95 % CL upper limits on the injected events (and the selected ones), from the CLs curves. */
  limits?: InjectionLimits;
}

export interface InjectionReport {
  kind: 'sideband-injection';
  topology: string;
  signal: Omit<ResonanceSpec, 'n'>;
  amounts: number[];
  seeds: number;
  createdAt: string;
  seconds: number;
  windows: WindowInjection[];
}

export async function injectionScan(t: Topology, opts: InjectOptions): Promise<InjectionReport> {
  const t0 = performance.now();
  if (!t.label)
    throw new SidebandError(
      'inject: the topology declares no truth label column (label:), needed to count the injected signal',
    );
  const base: Topology = { ...t, sinks: { ...t.sinks, report: false, results: true } };
  delete base.statistics;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'sideband-inject-'));
  const byKey = new Map<string, WindowInjection>();
  try {
    for (const amount of opts.amounts)
      for (let k = 0; k < opts.seeds; k++) {
        const seed = deriveSeed(opts.seed, k) % 2 ** 31;
        const { topology, source } = injected(base, { ...opts.signal, n: amount }, seed);
        const r = await runTopology(topology, {
          file: opts.file,
          outDir: path.join(scratch, `k${amount}-${k}`),
          ...(source ? { source } : {}),
        });
        for (const res of r.results.filter((x) => x.trigger === 'end')) point(byKey, res, amount, seed);
        opts.onRun?.(amount, k, (performance.now() - t0) / 1000);
        await rm(path.join(scratch, `k${amount}-${k}`), { recursive: true, force: true });
      }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const windows = [...byKey.values()].map((w) => ({ ...w, ...injectionLimits(w) }));
  return {
    kind: 'sideband-injection',
    topology: t.name,
    signal: opts.signal,
    amounts: opts.amounts,
    seeds: opts.seeds,
    createdAt: new Date().toISOString(),
    seconds: (performance.now() - t0) / 1000,
    windows,
  };
}

/** The topology (and source) of one injection run. */
function injected(t: Topology, signal: ResonanceSpec, seed: number): { topology: Topology; source?: Source } {
  const s = t.source;
  const spec = `mA=${signal.mA},mB=${signal.mB},mC=${signal.mC},n=${signal.n}${signal.wA ? `,wA=${signal.wA}` : ''}`;
  if (s.kind === 'generator') {
    if (signal.n > s.events)
      throw new SidebandError(`inject: ${signal.n} signal events exceed the stream's ${s.events}`);
    return { topology: { ...t, seed, source: { ...s, seed: seed + 1, signals: [...(s.signals ?? []), spec] } } };
  }
  if (s.kind !== 'parquet')
    throw new SidebandError(`inject: a ${s.kind} source cannot take injected events (generator or parquet)`);
  const data = new ParquetSource({ path: s.path });
  const extra = signal.n > 0 ? new GeneratorSource({ events: signal.n, seed: seed + 1, signals: [signal] }) : undefined;
  return {
    topology: { ...t, seed },
    source: {
      description: `${data.description} + ${signal.n} injected signal events`,
      async *batches(abort?: AbortSignal): AsyncIterable<EventBatch> {
        yield* data.batches(abort);
        if (extra) yield* extra.batches(abort);
      },
    },
  };
}

function point(byKey: Map<string, WindowInjection>, r: WindowResult, amount: number, seed: number): void {
  const key = `${r.window.id}\u0000${r.workingPoint}`;
  let w = byKey.get(key);
  if (!w) {
    w = { window: r.window.id, sr: r.window.sr, workingPoint: r.workingPoint, points: [] };
    byKey.set(key, w);
  }
  const h = r.histogram;
  const sig = r.significance;
  let s = 0;
  if (h?.signal)
    for (let i = 0; i < h.signal.length; i++)
      if (h.edges[i]! < r.window.sr[1] && h.edges[i + 1]! > r.window.sr[0]) s += h.signal[i]!;
  const b = sig?.expected ?? 0;
  const p: InjectionPoint = {
    amount,
    seed,
    valid: r.valid,
    ...(r.valid && sig?.z !== undefined ? { z: sig.z } : {}),
    signal: s,
    background: b,
    backgroundErr: sig?.expectedErr ?? 0,
    observed: sig?.observed ?? 0,
    sOverSqrtB: b > 0 ? s / Math.sqrt(b) : 0,
  };
  const lim = r.limits;
  if (
    amount === 0 &&
    r.valid &&
    typeof lim?.signalEventsObserved === 'number' &&
    Array.isArray(lim.signalEventsExpected)
  )
    p.mergedBin = { observed: lim.signalEventsObserved, expected: lim.signalEventsExpected[2]! };
  if (r.valid && sig && b > 0 && s > 0) {
    // CLs of s = S_selected against the data's own selected count, as Poisson counts. Not on the counts scaled
    // by n/V that the Z uses: with the threshold set in the SR the selected count is fixed (V ≈ ε·n), but the
    // selected signal and the data's events beside it still fluctuate as counts, and the scaled test treated them
    // as known 1/ε times better (ε = 0.01: CLs 1e-125 at 24 selected signal events over 17 ± 5 background).
    const dataCount = Math.max(0, sig.observed - s);
    const cls = clsAsymptotic(
      { signal: [s], background: [b], backgroundUncertainty: [sig.expectedErr] },
      [dataCount],
      1,
    );
    p.cls = { observed: cls.clsObs, expected: Array.from(cls.clsExp) };
  }
  w.points.push(p);
}

/**
 * Where the median CLs curves over amounts cross 0.05 (linear in log CLs between the bracketing amounts). A curve
 * already at or below 0.05 at the lowest amount scanned has its limit somewhere below that amount, and the scan
 * says no more: interpolating from CLs = 1 at no injection put one such limit at 1.6 events where 150 was the
 * lowest amount and its CLs 1e-125. Such a curve gets no number; `belowScan` says which, and a finer scan is
 * needed.
 */
export function injectionLimits(w: WindowInjection): Pick<WindowInjection, 'limits'> {
  const amounts = [...new Set(w.points.map((p) => p.amount))].filter((a) => a > 0).sort((a, b) => a - b);
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length
      ? s.length % 2
        ? s[(s.length - 1) >> 1]!
        : 0.5 * (s[s.length / 2 - 1]! + s[s.length / 2]!)
      : Number.NaN;
  };
  const curve = (pick: (p: InjectionPoint) => number | undefined) =>
    amounts.map((a) => {
      const vals = w.points
        .filter((p) => p.amount === a)
        .map(pick)
        .filter((x): x is number => x !== undefined);
      return { a, cls: vals.length ? Math.max(median(vals), 1e-300) : Number.NaN };
    });
  const crossing = (c: Array<{ a: number; cls: number }>): number | 'below' | undefined => {
    if (c.length && c[0]!.cls <= 0.05) return 'below';
    for (let i = 1; i < c.length; i++) {
      const lo = c[i - 1]!,
        hi = c[i]!;
      if (!(lo.cls > 0.05) || !(hi.cls <= 0.05)) continue;
      const f = (Math.log(0.05) - Math.log(lo.cls)) / (Math.log(hi.cls) - Math.log(lo.cls));
      return lo.a + f * (hi.a - lo.a);
    }
    return undefined;
  };
  const num = (x: number | 'below' | undefined) => (typeof x === 'number' ? x : undefined);
  if (!w.points.some((p) => p.cls)) return {};
  const observed = crossing(curve((p) => p.cls?.observed));
  const expected = [0, 1, 2, 3, 4].map((k) => crossing(curve((p) => p.cls?.expected[k])));
  const injectedObserved = num(observed);
  // The selected signal at the observed limit: the selection efficiency measured at the bracketing amounts.
  let selectedObserved: number | undefined;
  if (injectedObserved !== undefined) {
    const eff = w.points.filter((p) => p.amount > 0).map((p) => p.signal / p.amount);
    selectedObserved = injectedObserved * median(eff);
  }
  const below = observed === 'below' || expected.includes('below');
  const none = w.points.filter((p) => p.mergedBin);
  return {
    limits: {
      ...(injectedObserved !== undefined ? { injectedObserved } : {}),
      injectedExpected: expected.map(num),
      ...(selectedObserved !== undefined ? { selectedObserved } : {}),
      ...(none.length
        ? {
            mergedBinSelected: {
              observed: median(none.map((p) => p.mergedBin!.observed)),
              expected: median(none.map((p) => p.mergedBin!.expected)),
            },
          }
        : {}),
      ...(below
        ? {
            belowScan: {
              amount: amounts[0]!,
              observed: observed === 'below',
              expected: expected.map((x) => x === 'below'),
            },
          }
        : {}),
    },
  };
}
