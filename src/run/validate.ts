/**
 * `sideband validate`: a topology run over signal-free pseudo-datasets, per window and working point the median
 * and the spread of Z, seed 000's criterion (§V.E: valid when both are below one), and a calibration for later runs
 * (seed 000 §V.D.4, the nonclosure correction, generalised to mean and width: analysis/calibration.ts).
 *
 * Pseudo-data sources (seed 000 App. B):
 *   - generator: the calibrated generator without signal, a new seed per sample; for a file that `sideband
 *     generate` wrote, with the options recorded in its footer (mass range, trigger);
 *   - down-up: the topology's own selected events; per sample a random 10 % trains a conditional model of the
 *     features given mjj (background/conditional-copula.ts), which then gives every selected event new features
 *     at its own mjj: the data's statistics, any localized signal diluted and smoothed away;
 *   - control: the inverted-|Δy| control region (|Δy| > 1.2), where the s-channel signal is depleted; a new seed
 *     per sample (for generated data, a new data seed too).
 * Each sample is a full run of the topology (training, fits, statistics) without its calibration.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom } from 'rxjs';
import {
  calibrationEntry,
  calibrationKey,
  zMoments,
  type Calibration,
  type CalibrationEntry,
  type CalibrationMode,
} from '../analysis/calibration.js';
import { evaluateLinear, fitNonclosure, type NonclosureModel } from '../stats/nonclosure.js';
import { fitConditionalCopula, sampleConditionalCopula } from '../background/conditional-copula.js';
import { deriveSeed, mulberry32 } from '../classify/random.js';
import { analysisHash } from '../topology/analysis-hash.js';
import type { EventBatch } from '../events/batch.js';
import { SidebandError } from '../events/errors.js';
import type { WindowResult } from '../events/result.js';
import { runTopology } from '../run.js';
import { parquetKeyValues } from '../sources/parquet.js';
import type { Source } from '../sources/source.js';
import { compileTopology } from '../topology/compile.js';
import { postSelectionTopology } from '../topology/post-selection.js';
import type { Topology } from '../topology/schema.js';

export const VALIDATION_SOURCES = ['generator', 'down-up', 'control'] as const;
export type ValidationSource = (typeof VALIDATION_SOURCES)[number];

export interface ValidateOptions {
  file: string;
  sources: ValidationSource[];
  samples: number;
  seed: number;
  /** Source the calibration is made from (default: down-up if run, else generator, else control). */
  calibrateFrom?: ValidationSource;
  /** Keep the topology's calibration applied: checks a calibration on fresh samples (Z should then be N(0, 1)). */
  keepCalibration?: boolean;
  /**
   * standardize (default): per window Z = (Z_raw − mean)/std. seed000: seed 000 §V.D.4's nonclosure correction,
   * linear fits in mjj of the mean (and width) across windows, the mean subtracted only when positive.
   */
  mode?: CalibrationMode;
  log?: (m: string) => void;
  /** Called after every sample: source, sample index, seconds so far. */
  onSample?: (source: ValidationSource, k: number, seconds: number) => void;
}

export interface WindowValidation extends CalibrationEntry {
  window: string;
  sr: [number, number];
  workingPoint: number | null;
  /** The valid Z of every sample. */
  zs: number[];
  /** Samples in which the window was invalid, by reason. */
  invalid: Record<string, number>;
}

export interface SourceValidation {
  source: ValidationSource;
  /** Why this source could not be used, when it was skipped. */
  skipped?: string;
  samples: number;
  seconds: number;
  windows: WindowValidation[];
}

export interface ValidationReport {
  kind: 'sideband-validation';
  topology: string;
  seed: number;
  createdAt: string;
  seconds: number;
  sources: SourceValidation[];
  calibration?: Calibration;
}

export async function validateTopology(t: Topology, opts: ValidateOptions): Promise<ValidationReport> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  // Raw Z is what validation measures: the topology's own calibration (if any) is left out, unless asked for.
  const base: Topology = { ...t, sinks: { ...t.sinks, report: false, results: true } };
  if (!opts.keepCalibration) delete base.calibration;
  delete base.statistics; // the look-elsewhere pseudo-experiments of each sample would only cost time
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'sideband-validate-'));
  const out: SourceValidation[] = [];
  try {
    for (const source of opts.sources) {
      const s0 = performance.now();
      const plan = await samplePlan(base, source, opts, log);
      if ('skipped' in plan) {
        log(`validate: ${source}: skipped (${plan.skipped})`);
        out.push({ source, skipped: plan.skipped, samples: 0, seconds: 0, windows: [] });
        continue;
      }
      const results: WindowResult[][] = [];
      for (let k = 0; k < opts.samples; k++) {
        const { topology, src } = await plan.sample(k);
        const r = await runTopology(topology, {
          file: opts.file,
          outDir: path.join(scratch, `${source}-${k}`),
          ...(src ? { source: src } : {}),
        });
        results.push(r.results.filter((x) => x.trigger === 'end'));
        opts.onSample?.(source, k, (performance.now() - s0) / 1000);
        await rm(path.join(scratch, `${source}-${k}`), { recursive: true, force: true });
      }
      out.push({ source, samples: opts.samples, seconds: (performance.now() - s0) / 1000, windows: collect(results) });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const report: ValidationReport = {
    kind: 'sideband-validation',
    topology: t.name,
    seed: opts.seed,
    createdAt: new Date().toISOString(),
    seconds: (performance.now() - t0) / 1000,
    sources: out,
  };
  const from =
    opts.calibrateFrom ??
    (['down-up', 'generator', 'control'] as const).find((s) => out.some((o) => o.source === s && !o.skipped));
  const chosen = out.find((o) => o.source === from && !o.skipped);
  if (chosen && !opts.keepCalibration) report.calibration = calibrationOf(t, chosen, opts.mode ?? 'standardize');
  return report;
}

/** Per window and working point: the valid Z of each sample and the counts of invalid ones. */
function collect(samples: WindowResult[][]): WindowValidation[] {
  const byKey = new Map<string, WindowValidation>();
  for (const results of samples)
    for (const r of results) {
      const key = `${r.window.id}\u0000${calibrationKey(r.workingPoint)}`;
      let w = byKey.get(key);
      if (!w) {
        w = {
          window: r.window.id,
          sr: r.window.sr,
          workingPoint: r.workingPoint,
          zs: [],
          invalid: {},
          ...calibrationEntry([]),
        };
        byKey.set(key, w);
      }
      if (r.valid && r.significance?.z !== undefined) w.zs.push(r.significance.z);
      else
        for (const v of r.invalid ?? [{ reason: 'analysis_failed' }])
          w.invalid[v.reason] = (w.invalid[v.reason] ?? 0) + 1;
    }
  return [...byKey.values()].map((w) => ({ ...w, ...calibrationEntry(w.zs) }));
}

/** The calibration from one source's samples: entries for the windows with at least five valid samples. */
function calibrationOf(t: Topology, v: SourceValidation, mode: CalibrationMode): Calibration {
  const windows: Calibration['windows'] = {};
  // seed 000: the mean and width are linear fits in mjj across windows, one per working point.
  const linear = new Map<string, NonclosureModel>();
  if (mode === 'seed000')
    for (const wp of new Set(v.windows.map((w) => calibrationKey(w.workingPoint))))
      linear.set(
        wp,
        fitNonclosure(
          v.windows
            .filter((w) => calibrationKey(w.workingPoint) === wp && w.zs.length >= 2)
            .map((w) => ({ mjj: 0.5 * (w.sr[0] + w.sr[1]), z: w.zs })),
        ),
      );
  for (const w of v.windows) {
    // A window with too few valid samples gets an entry that fails closure: later runs mark it invalid.
    if (w.zs.length < 2) {
      windows[w.window] ??= {};
      windows[w.window]![calibrationKey(w.workingPoint)] = {
        mean: 0,
        std: 1,
        median: 0,
        spread: 0,
        samples: w.zs.length,
        closure: false,
      };
      continue;
    }
    const { median, spread, samples, closure, closureStrict } = w;
    const model = linear.get(calibrationKey(w.workingPoint));
    const centre = 0.5 * (w.sr[0] + w.sr[1]);
    const mean = model ? evaluateLinear(model.mean, centre) : w.mean;
    const std = model ? evaluateLinear(model.std, centre) : w.std;
    windows[w.window] ??= {};
    windows[w.window]![calibrationKey(w.workingPoint)] = {
      mean,
      std,
      median,
      spread,
      samples,
      closure,
      ...(closureStrict !== undefined ? { closureStrict } : {}),
    };
  }
  return {
    kind: 'sideband-calibration',
    version: 1,
    topology: t.name,
    topologyHash: analysisHash(t),
    source: v.source,
    samples: v.samples,
    mode,
    createdAt: new Date().toISOString(),
    windows,
  };
}

type SamplePlan = { skipped: string } | { sample: (k: number) => Promise<{ topology: Topology; src?: Source }> };

async function samplePlan(
  t: Topology,
  source: ValidationSource,
  opts: ValidateOptions,
  log: (m: string) => void,
): Promise<SamplePlan> {
  const seedOf = (k: number) => deriveSeed(opts.seed, k) % 2 ** 31;
  if (source === 'generator') {
    const generator = await generatorOf(t);
    if ('skipped' in generator) return generator;
    return {
      sample: async (k) => ({
        topology: { ...t, seed: seedOf(k), source: { ...generator.source, seed: seedOf(k) + 1 } },
      }),
    };
  }
  if (source === 'control') {
    const cuts = controlCuts(t);
    if (!cuts) return { skipped: "the topology's cuts have no |delta y| cut to invert" };
    const generator = t.source.kind === 'generator' ? await generatorOf(t) : undefined;
    return {
      sample: async (k) => ({
        topology: {
          ...t,
          cuts,
          seed: seedOf(k),
          ...(generator && !('skipped' in generator) ? { source: { ...generator.source, seed: seedOf(k) + 1 } } : {}),
        },
      }),
    };
  }
  // down-up: the selected events once, then a model per sample.
  const selected = await selectedEvents(t, opts.file, log);
  if (selected.n < 200) return { skipped: `only ${selected.n} selected events` };
  const features = selected.features.filter((f) => f !== 'mjj');
  // Pseudo events carry no truth label: the post-selection topology reads none.
  const post = postSelectionTopology(t, selected.features);
  delete post.label;
  return {
    sample: async (k) => {
      const rand = mulberry32(seedOf(k));
      const train: number[] = [];
      for (let i = 0; i < selected.n; i++) if (rand() < 0.1) train.push(i);
      const pick = (c: Float32Array) => Float32Array.from(train, (i) => c[i]!);
      const cols = features.map((f) => selected.columns[selected.features.indexOf(f)]!);
      const model = fitConditionalCopula(cols.map(pick), pick(selected.mjj));
      const sampled = sampleConditionalCopula(model, selected.mjj, seedOf(k) + 2);
      const columns: EventBatch['columns'] = { mjj: selected.mjj };
      features.forEach((f, j) => {
        columns[f] = sampled[j]!;
      });
      return { topology: { ...post, seed: seedOf(k) }, src: memorySource(columns, selected.n, selected.weight) };
    },
  };
}

/** A generator source block for signal-free samples of this topology, or why there is none. */
async function generatorOf(t: Topology): Promise<{ source: Topology['source'] } | { skipped: string }> {
  const s = t.source;
  if (s.kind === 'generator') return { source: { ...s, signals: [] } };
  if (s.kind === 'parquet' && typeof s.path === 'string' && s.path.endsWith('.parquet')) {
    const meta = (await parquetKeyValues(s.path).catch(() => ({}))) as Record<string, string>;
    const g = meta['sideband.generator'];
    if (g) {
      const o = JSON.parse(g) as { events: number; mjjMin?: number; mjjMax?: number; trigger?: unknown };
      return {
        source: {
          kind: 'generator',
          events: o.events,
          ...(o.mjjMin ? { mjjMin: o.mjjMin } : {}),
          ...(o.mjjMax ? { mjjMax: o.mjjMax } : {}),
          ...(o.trigger ? { trigger: o.trigger } : {}),
        } as Topology['source'],
      };
    }
  }
  return {
    skipped: 'the source is not generated data (no sideband.generator footer): generated events would not match it',
  };
}

/** The topology's cuts with the |Δy| window inverted (seed 000's LARGE |ΔY| sample), or undefined if it has none. */
function controlCuts(t: Topology): Topology['cuts'] | undefined {
  if (t.cuts === 'atlas2024') return 'atlas2024-control';
  if (!Array.isArray(t.cuts)) return undefined;
  const k = t.cuts.findIndex((c) => c.features.length === 1 && c.features[0] === 'delta_y' && c.max !== undefined);
  if (k < 0) return undefined;
  return t.cuts.map((c, i) =>
    i === k ? { name: `${c.name} (inverted)`, features: c.features, abs: c.abs, min: c.max } : c,
  );
}

/** The topology's selected events (the window store after the whole stream): features, mjj, weights. */
async function selectedEvents(t: Topology, file: string, log: (m: string) => void) {
  // Only the window store is wanted: no classifier, and no analysis before the end of the stream.
  const plain: Topology = {
    ...t,
    classifier: { kind: 'none' },
    trigger: { ...t.trigger, minSrEvents: Number.MAX_SAFE_INTEGER },
  };
  const run = await compileTopology(plain, { file, runId: 'validate-select', log });
  let g: ReturnType<typeof run.buffers.store.gather>;
  try {
    await lastValueFrom(run.results$, { defaultValue: undefined });
    // Before close: a store that spilled (store.memoryBudget) removes its spill file on close.
    g = run.buffers.store.gather(-Infinity, Infinity);
  } finally {
    await run.close();
  }
  if (g.n === 0) throw new SidebandError('validate: the topology selected no events');
  return { n: g.n, features: run.buffers.store.features, columns: g.columns, mjj: g.mjj, weight: g.weight };
}

/** In-memory batches of columns (65536 events each). */
function memorySource(columns: EventBatch['columns'], n: number, weight?: Float32Array): Source {
  return {
    description: `down-up sample: ${n} events`,
    async *batches() {
      for (let lo = 0; lo < n; lo += 65536) {
        const hi = Math.min(n, lo + 65536);
        const cols: EventBatch['columns'] = {};
        for (const [k, c] of Object.entries(columns)) cols[k] = c.subarray(lo, hi);
        yield {
          length: hi - lo,
          columns: cols,
          positions: [{ kind: 'generator', seed: 0, rowStart: lo, rowEnd: hi }],
          rowOffset: lo,
          ...(weight ? { weight: weight.subarray(lo, hi) } : {}),
        };
      }
    },
  };
}

/** Per source, the windows that pass seed 000's criterion, and the moments over all windows. */
export function validationSummary(
  r: ValidationReport,
): Array<{ source: string; passed: number; of: number; all: ReturnType<typeof zMoments> }> {
  return r.sources
    .filter((s) => !s.skipped)
    .map((s) => ({
      source: s.source,
      passed: s.windows.filter((w) => w.zs.length >= 2 && w.closure).length,
      of: s.windows.length,
      all: zMoments(s.windows.flatMap((w) => w.zs)),
    }));
}
