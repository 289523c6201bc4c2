import FastestValidator from 'fastest-validator';
import { TopologyError } from '../events/errors.js';
import type { ColumnSpec } from '../events/decode.js';
import type { Cut } from '../events/cuts.js';
import type { MjjMode } from '../events/derive.js';
import type { WindowsConfig } from '../regions/index.js';
import type { TriggerPolicy } from '../regions/buffers.js';
import type { ClassifierConfig } from '../classify/config.js';
import type { ConradBlock } from '../analysis/conrad-window.js';
import type { CmsMethodConfig } from '../training/cms-selector.js';
import {
  checkColumns,
  checkCuts,
  checkFeatureNames,
  checkFitFunctions,
  checkKafka,
  checkKafkaSinks,
  checkSimulationSource,
  checkSource,
  checkWindows,
} from './blocks.js';
import { classifierConfigSchema, classifierProblems } from './classifier-schema.js';
import { backgroundProblems } from './background-schema.js';
import type { BackgroundConfig } from '../background/models.js';
import { type FieldProblem, problemsOf, topologyErrorOf } from './field-errors.js';

/**
 * The topology file format. A topology declares one flow — source, column mapping and units, derived features,
 * cuts, windows, buffer thresholds, classifier, working points, binning, fit, alert threshold, sinks — and never
 * contains code. Validated with fastest-validator; every error names the file and the field path.
 */
export interface Topology {
  name: string;
  description?: string;
  seed: number;
  source: SourceConfig;
  /**
   * Simulated events beside the data (`background.model: salad` reweights them to data in the sidebands): a finite
   * source (generator, parquet, hdf5, numpy, root) read in full before the data stream, with the data's columns,
   * cuts and derived features.
   */
  simulation?: SourceConfig;
  /** Canonical column ← source column and unit. A bare string is the unit of a same-named column. */
  columns: Record<string, ColumnSpec | string>;
  label?: string;
  weight?: string;
  derive: { mjj: MjjMode; features: string[] };
  cuts: string | Cut[];
  windows: WindowsConfig;
  /** Features stored in the window buffers and given to the classifier (mjj is stored anyway). */
  features: string[];
  trigger: TriggerPolicy;
  analysis: { concurrency: number; queue: number };
  binning: { width: number; range?: [number, number] };
  classifier: ClassifierConfig | { kind: 'none' };
  /** Seed 003's CMS methods (src/training/cms-selector.ts): replaces the classifier's selection when present. */
  method?: CmsMethodConfig;
  /** The background template the classifier learns SR data against (absent: the sidebands, CWoLa hunting). */
  background?: BackgroundConfig;
  /**
   * Seed 003's comparison (src/operators/compare.ts): several methods over one stream, each retrained on the
   * window's events plus every injected amount of a signal model; replaces the per-window analysis.
   */
  compare?: CompareBlock;
  workingPoints: number[];
  fit: { strategy: 'atlas2024' | 'atlas2020' | 'single'; functions?: string[]; sqrtS: number };
  alert: { z: number };
  /**
   * The DDP neural bump hunter on every window histogram (seed 002): the trained Znet3 model (a file from
   * `sideband ddp train`, relative to the topology's directory) and which significance raises alerts: the fit-based
   * Z of the merged SR bin (fit), the network's largest per-bin z (ddp), or whichever is larger (either).
   */
  ddp?: { model: string; alertOn: 'fit' | 'ddp' | 'either' };
  /**
   * Calibration of Z from `sideband validate` (a calibration.json, relative to the topology's directory): applied
   * to every valid window's Z; windows that failed its closure become invalid.
   */
  calibration?: string;
  /** Look-elsewhere: a global significance over all windows and working points from pseudo-experiments. */
  statistics?: { lookElsewhere?: { pseudoExperiments: number; seed?: number } };
  sinks: {
    results: boolean;
    deadLetters: boolean;
    report: boolean;
    kafka?: Record<string, unknown>;
    workspaces?: boolean;
    histograms?: boolean;
    parquet?: boolean;
  };
  /**
   * Publication figures (sinks/hep-specs.ts): the experiment-style label (`experiment` bold, `status` italic,
   * `sqrtS` in TeV, default fit.sqrtS; `lumi` in fb⁻¹, none when absent) and the print export (SVG and PDF of each
   * window and SIC figure, `printWidth` cm wide, default 12; `publication: false` writes none).
   */
  plots?: {
    label?: { experiment?: string; status?: string; sqrtS?: number; lumi?: number };
    printWidth?: number;
    publication?: boolean;
  };
  metrics?: { host?: string; port?: number };
  kafka?: Record<string, unknown>;
  /**
   * A tail search with CONRAD (seed 004, src/background/conrad.ts) instead of a bump hunt: the window's mass
   * coordinate is `tailFeature` (the single window's SR is the tail, its SB the region below it), the events with
   * `control.column` > `control.above` are the control sample the flow learns p_bg(x | M) on, and `workingPoints`
   * are false-positive rates. The background estimate is ABCD, not a fit.
   */
  conrad?: ConradBlock;
  /** Memory budgets: `storeBytes` caps the window store (default 2 GiB); past it the run stops with a clear error. */
  memory?: { storeBytes?: number };
  /**
   * The window store: past `memoryBudget` bytes held in memory the oldest chunks spill to a file in `spillDir`
   * (default the OS temp folder), so a stream larger than memory runs in bounded memory (src/events/store.ts).
   */
  store?: { memoryBudget?: number; spillDir?: string };
}

export type SourceConfig =
  | { kind: 'parquet'; path: string; batchSize?: number; threads?: number }
  | {
      kind: 'generator';
      events: number;
      seed?: number;
      signals?: string[];
      batchSize?: number;
      mjjMin?: number;
      mjjMax?: number;
      /** 'monojet': seed 004's jets + MET channel with its gamma + jets control (src/sources/generator-monojet.ts). */
      channel?: 'dijet' | 'monojet';
      /** monojet: fraction of the stream that is the control process (default 0.5). */
      controlFraction?: number;
      /** Trigger emulation (src/sources/generator-trigger.ts). */
      trigger?: { leadingJetPt?: number; mjjEfficiency?: { m50: number; width: number } };
      /** Seed 003's extra per-jet substructure columns (src/sources/generator-substructure.ts). */
      substructure?: 'cms2024';
      /** 'simulation': mismodelled QCD jet mass and τ21; massShift: jet masses + k·mjj (src/sources/generator-simulation.ts). */
      mode?: 'data' | 'simulation';
      massShift?: number;
    }
  | { kind: 'kafka'; [key: string]: unknown }
  // The field's formats (topology/format-sources.ts); `columns` names the columns of a 2-D array or dataset.
  | { kind: 'hdf5'; path: string; key?: string; dataset?: string; columns?: string[]; batchSize?: number }
  | { kind: 'numpy'; path: string; columns?: string[]; batchSize?: number }
  | { kind: 'root'; path: string; tree: string; batchSize?: number };

const interval = { type: 'tuple', items: ['number', 'number'] } as const;

/** A duration: a number with a unit (ms, s, m, h). */
const DURATION = /^\d+(\.\d+)?(ms|s|m|h)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds of a validated duration ('10m' → 600; a number is already seconds). */
export function durationSeconds(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (!m) throw new TopologyError(`not a duration: '${v}' (a number with ms, s, m or h)`);
  return Number(m[1]) * UNIT_SECONDS[m[2]!]!;
}

/** A CMS method block (`method:`, and each CMS method of `compare.methods`). */
const CMS_METHOD_RULE = {
  type: 'object',
  optional: true,
  strict: true,
  props: {
    kind: { type: 'enum', values: ['vae-qr', 'tnt', 'quak'] },
    jetFeatures: { type: 'array', items: 'string', min: 1 },
    logFeatures: { type: 'array', items: 'string', optional: true },
    controlRegion: 'string|optional',
    autoencoder: {
      type: 'object',
      optional: true,
      strict: true,
      props: {
        hidden: { type: 'array', items: 'number|integer|positive', optional: true },
        latent: 'number|integer|positive|optional',
        epochs: 'number|integer|positive|optional',
        batchSize: 'number|integer|positive|optional',
        lr: 'number|positive|optional',
        patience: 'number|integer|positive|optional',
      },
    },
    quantileRegression: {
      type: 'object',
      optional: true,
      strict: true,
      props: {
        hidden: { type: 'array', items: 'number|integer|positive', optional: true },
        epochs: 'number|integer|positive|optional',
        batchSize: 'number|integer|positive|optional',
        lr: 'number|positive|optional',
        folds: 'number|integer|min:2|optional',
      },
    },
    maxRegressionEvents: 'number|integer|positive|optional',
    // Tag N' Train (src/analysis/cms/tnt.ts).
    tagEfficiency: 'number|positive|max:1|optional',
    classifierFeatures: { type: 'array', items: 'string', optional: true },
    // QUAK (src/analysis/cms/quak.ts).
    flow: {
      type: 'object',
      optional: true,
      strict: true,
      props: {
        blocks: 'number|integer|positive|optional',
        hidden: 'number|integer|positive|optional',
        epochs: 'number|integer|positive|optional',
        batchSize: 'number|integer|positive|optional',
        lr: 'number|positive|optional',
      },
    },
    simulation: {
      type: 'object',
      optional: true,
      strict: true,
      props: {
        events: 'number|integer|positive',
        signals: { type: 'array', items: 'string', min: 1 },
        signalEvents: 'number|integer|positive',
        seed: 'number|integer|optional',
      },
    },
    folds: 'number|integer|min:2|optional',
    classifier: {
      type: 'object',
      optional: true,
      strict: true,
      props: {
        hidden: { type: 'array', items: 'number|integer|positive', optional: true },
        epochs: 'number|integer|positive|optional',
        batchSize: 'number|integer|positive|optional',
        lr: 'number|positive|optional',
      },
    },
  },
};

const schema = {
  $$strict: true,
  name: { type: 'string', min: 1 },
  description: { type: 'string', optional: true },
  seed: { type: 'number', integer: true, default: 1 },
  // Blocks whose shape depends on a discriminator or a registry are checked strictly in ./blocks.ts.
  source: { type: 'any' },
  simulation: { type: 'any', optional: true },
  columns: { type: 'any' },
  label: 'string|optional',
  weight: 'string|optional',
  derive: {
    type: 'object',
    strict: true,
    default: { mjj: 'column', features: [] },
    props: {
      mjj: { type: 'enum', values: ['fourvector', 'massless', 'column'], default: 'column' },
      features: { type: 'array', items: 'string', default: [] },
    },
  },
  cuts: { type: 'any', default: 'none' },
  windows: { type: 'any' },
  features: { type: 'array', items: 'string', min: 1 },
  trigger: {
    type: 'object',
    strict: true,
    default: { minSrEvents: 2000, growthFactor: 2 },
    props: {
      minSrEvents: 'number|positive',
      growthFactor: 'number|optional|min:1',
      growthEvents: 'number|optional|positive',
      // Retraining by time (operators/trigger.ts): seconds, or a duration such as '10m', '30s', '1h'.
      every: {
        type: 'multi',
        optional: true,
        rules: [
          { type: 'number', positive: true },
          { type: 'string', pattern: DURATION },
        ],
      },
      // Near-online scoring between retrainings (operators/score.ts).
      online: 'boolean|optional',
      onlineMinEvents: 'number|integer|positive|optional',
      onlineScoring: { type: 'enum', values: ['lookup', 'exact'], optional: true },
      onlineCells: 'number|integer|min:64|optional',
    },
  },
  analysis: {
    type: 'object',
    strict: true,
    default: { concurrency: 1, queue: 4 },
    props: {
      concurrency: 'number|integer|positive|default:1',
      queue: 'number|integer|min:0|default:4',
    },
  },
  binning: {
    type: 'object',
    strict: true,
    default: { width: 60 },
    props: { width: 'number|positive', range: { ...interval, optional: true } },
  },
  classifier: {
    type: 'object',
    default: { kind: 'none' },
    props: { kind: { type: 'enum', values: ['none', ...classifierConfigSchema.kind.values] } },
  },
  method: CMS_METHOD_RULE,
  // Checked strictly in ./background-schema.ts.
  background: { type: 'any', optional: true },
  workingPoints: { type: 'array', items: 'number|positive|max:1', default: [0.1, 0.02, 0.01] },
  fit: {
    type: 'object',
    strict: true,
    default: { strategy: 'atlas2024', sqrtS: 13000 },
    props: {
      strategy: { type: 'enum', values: ['atlas2024', 'atlas2020', 'single'], default: 'atlas2024' },
      functions: { type: 'array', items: 'string', optional: true },
      sqrtS: 'number|positive|default:13000',
    },
  },
  alert: { type: 'object', strict: true, default: { z: 3 }, props: { z: 'number' } },
  ddp: {
    type: 'object',
    optional: true,
    strict: true,
    props: {
      model: 'string|min:1',
      alertOn: { type: 'enum', values: ['fit', 'ddp', 'either'], default: 'fit' },
    },
  },
  calibration: 'string|min:1|optional',
  statistics: {
    type: 'object',
    optional: true,
    strict: true,
    props: {
      lookElsewhere: {
        type: 'object',
        optional: true,
        strict: true,
        props: { pseudoExperiments: 'number|integer|min:0', seed: 'number|integer|optional' },
      },
    },
  },
  sinks: {
    type: 'object',
    strict: true,
    default: { results: true, deadLetters: true, report: true },
    props: {
      results: 'boolean|default:true',
      deadLetters: 'boolean|default:true',
      report: 'boolean|default:true',
      kafka: { type: 'any', optional: true },
      // The field's formats (sinks/formats.ts): pyhf workspaces, UHI JSON histograms, results.parquet.
      workspaces: 'boolean|optional',
      histograms: 'boolean|optional',
      parquet: 'boolean|optional',
    },
  },
  plots: {
    type: 'object',
    optional: true,
    strict: true,
    props: {
      label: {
        type: 'object',
        optional: true,
        strict: true,
        props: {
          experiment: 'string|min:1|optional',
          status: 'string|min:1|optional',
          sqrtS: 'number|positive|optional',
          lumi: 'number|positive|optional',
        },
      },
      printWidth: 'number|positive|max:100|optional',
      publication: 'boolean|optional',
    },
  },
  metrics: {
    type: 'object',
    optional: true,
    strict: true,
    props: { host: 'string|optional', port: 'number|integer|min:0|optional' },
  },
  kafka: { type: 'any', optional: true },
  conrad: {
    type: 'object',
    optional: true,
    strict: true,
    props: {
      tailFeature: 'string|min:1',
      control: {
        type: 'object',
        strict: true,
        props: { column: 'string|min:1', above: 'number|optional' },
      },
      logFeatures: { type: 'array', items: 'string', optional: true },
      flow: {
        type: 'object',
        optional: true,
        strict: true,
        props: {
          type: { type: 'enum', values: ['maf', 'rqs'], optional: true },
          blocks: 'number|integer|positive|optional',
          hidden: 'number|integer|positive|optional',
          bins: 'number|integer|positive|optional',
          epochs: 'number|integer|positive|optional',
          batchSize: 'number|integer|positive|optional',
          lr: 'number|positive|optional',
          patience: 'number|integer|positive|optional',
          validationFraction: 'number|positive|max:0.9|optional',
        },
      },
      classifier: {
        type: 'object',
        optional: true,
        strict: true,
        props: {
          ensemble: 'number|integer|positive|optional',
          folds: 'number|integer|min:2|optional',
          referencePerEvent: 'number|positive|optional',
          maxIter: 'number|integer|positive|optional',
          maxLeafNodes: 'number|integer|min:2|optional',
          learningRate: 'number|positive|optional',
        },
      },
      minRegionEvents: 'number|integer|min:1|optional',
      maxClosurePull: 'number|positive|optional',
    },
  },
  compare: {
    type: 'object',
    optional: true,
    strict: true,
    props: {
      signal: 'string|min:1',
      amounts: { type: 'array', items: 'number|integer|min:0', min: 2 },
      signalSeed: 'number|integer|optional',
      windows: { type: 'array', items: 'string', optional: true },
      workingPoint: 'number|positive|max:1',
      controlRegion: 'string|optional',
      functions: { type: 'array', items: 'string', optional: true },
      methods: {
        type: 'array',
        min: 1,
        items: {
          type: 'object',
          strict: true,
          props: {
            name: 'string|min:1',
            features: { type: 'array', items: 'string', optional: true },
            // Checked as the top-level classifier and background blocks are, below.
            classifier: { type: 'any', optional: true },
            background: { type: 'any', optional: true },
            method: { ...CMS_METHOD_RULE, optional: true },
            cuts: { type: 'any', optional: true },
          },
        },
      },
    },
  },
  memory: {
    type: 'object',
    optional: true,
    strict: true,
    props: { storeBytes: 'number|integer|positive|optional' },
  },
  store: {
    type: 'object',
    optional: true,
    strict: true,
    props: { memoryBudget: 'number|integer|positive|optional', spillDir: 'string|empty:false|optional' },
  },
};

// fastest-validator is CommonJS whose typings declare an ES default export; at runtime the module itself is the class.
const Validator = FastestValidator as unknown as typeof import('fastest-validator').default;
const check = new Validator({ useNewCustomCheckerFunction: true }).compile(schema as never);

/**
 * Validate (and fill defaults into) a parsed topology; throws a TopologyError naming every bad field at any depth,
 * each as `<file>: <path>: <what is wrong>, got <value>` (src/topology/field-errors.ts).
 */
export function validateTopology(doc: unknown, file: string): Topology {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new TopologyError('a topology must be a YAML mapping', { file });
  const d = doc as Record<string, unknown>;
  const res = check(d);
  const problems = res === true ? [] : problemsOf(res as never, d, '');
  const bad = (p: string) => problems.some((q) => q.path === p || q.path.startsWith(`${p}.`));
  if ('source' in d) problems.push(...checkSource(d.source));
  if (d.simulation !== undefined) problems.push(...checkSimulationSource(d.simulation));
  if ('windows' in d) problems.push(...checkWindows(d.windows));
  if ('columns' in d) problems.push(...checkColumns(d.columns));
  problems.push(...checkCuts(d.cuts));
  if (d.kafka !== undefined) problems.push(...checkKafka(d.kafka));
  const sinks = d.sinks as { kafka?: unknown } | undefined;
  if (sinks?.kafka !== undefined) problems.push(...checkKafkaSinks(sinks.kafka));
  problems.push(...checkFitFunctions((d.fit as { functions?: unknown } | undefined)?.functions));
  const t = doc as Topology;
  if (!bad('classifier') && t.classifier.kind !== 'none')
    problems.push(...classifierProblems(t.classifier as unknown as Record<string, unknown>, t.seed));
  else if (!bad('classifier') && Object.keys(t.classifier).length > 1)
    problems.push({ path: 'classifier', what: "kind 'none' takes no other keys", value: t.classifier });
  if (d.background !== undefined || d.simulation !== undefined)
    problems.push(
      ...backgroundProblems(
        d.background ?? {},
        (d.classifier as { kind?: string } | undefined)?.kind,
        d.simulation !== undefined,
      ),
    );
  if (t.compare && !bad('compare')) problems.push(...compareProblems(t));
  if (!problems.length) problems.push(...checkFeatureNames(t as never));
  if (problems.length) throw topologyErrorOf(problems, file);
  if (t.trigger.every !== undefined) t.trigger.every = durationSeconds(t.trigger.every as number | string);
  return t;
}

/** One method of a comparison: a CMS method, a classifier (with a learned template: CATHODE), cuts, or none. */
export interface CompareMethod {
  name: string;
  /** The stored features this method reads (default: all of the topology's features). */
  features?: string[];
  classifier?: ClassifierConfig;
  background?: BackgroundConfig;
  method?: CmsMethodConfig;
  /** A cut-based selection (the simple-cut baseline): every feature of every cut within its bounds. */
  cuts?: Cut[];
}

export interface CompareBlock {
  /** The injected signal model (generator resonance spec, no n). */
  signal: string;
  /** Injected amounts (generated signal events, before the cuts), scanned in increasing order. */
  amounts: number[];
  signalSeed?: number;
  /** Windows compared (default: every window of the scheme). */
  windows?: string[];
  /** The efficiency every method selects at. */
  workingPoint: number;
  controlRegion?: string;
  /** Dijet functions of the signal + background fit, tried in order (default dijet3, dijet4, ua2). */
  functions?: string[];
  methods: CompareMethod[];
}

/** The compare block's per-method checks: one selection kind each, classifier and background blocks as above. */
function compareProblems(t: Topology): FieldProblem[] {
  const out: FieldProblem[] = [];
  const c = t.compare!;
  const names = new Set<string>();
  for (const [i, m] of c.methods.entries()) {
    const at = `compare.methods[${i}]`;
    if (names.has(m.name)) out.push({ path: `${at}.name`, what: 'used by an earlier method', value: m.name });
    names.add(m.name);
    const kinds = [m.classifier, m.method, m.cuts].filter((x) => x !== undefined).length;
    if (kinds > 1)
      out.push({ path: at, what: 'takes one of classifier, method and cuts', value: Object.keys(m).join(', ') });
    if (m.method?.controlRegion === undefined && m.method && c.controlRegion) m.method.controlRegion = c.controlRegion;
    if (m.classifier)
      for (const q of classifierProblems(m.classifier as unknown as Record<string, unknown>, t.seed))
        out.push({ ...q, path: `${at}.${q.path}` });
    if (m.background !== undefined)
      for (const q of backgroundProblems(m.background, m.classifier?.kind ?? 'none'))
        out.push({ ...q, path: `${at}.${q.path}` });
    if (m.cuts !== undefined && !Array.isArray(m.cuts))
      out.push({ path: `${at}.cuts`, what: 'a list of cuts', value: m.cuts });
    for (const [j, f] of (m.features ?? []).entries())
      if (!t.features.includes(f))
        out.push({ path: `${at}.features[${j}]`, what: "not one of the topology's features", value: f });
  }
  return out;
}
