import FastestValidator from 'fastest-validator';
import { TopologyError } from '../events/errors.js';
import type { ColumnSpec } from '../events/decode.js';
import type { Cut } from '../events/cuts.js';
import type { MjjMode } from '../events/derive.js';
import type { WindowsConfig } from '../regions/index.js';
import type { TriggerPolicy } from '../regions/buffers.js';
import type { ClassifierConfig } from '../classify/config.js';
import {
  checkColumns,
  checkCuts,
  checkFeatureNames,
  checkFitFunctions,
  checkKafka,
  checkKafkaSinks,
  checkSource,
  checkWindows,
} from './blocks.js';
import { classifierConfigSchema, classifierProblems } from './classifier-schema.js';
import { backgroundProblems } from './background-schema.js';
import type { BackgroundConfig } from '../background/models.js';
import { problemsOf, topologyErrorOf } from './field-errors.js';

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
  /** The background template the classifier learns SR data against (absent: the sidebands, CWoLa hunting). */
  background?: BackgroundConfig;
  workingPoints: number[];
  fit: { strategy: 'atlas2024' | 'atlas2020' | 'single'; functions?: string[]; sqrtS: number };
  alert: { z: number };
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
  metrics?: { host?: string; port?: number };
  kafka?: Record<string, unknown>;
  /** Memory budgets: `storeBytes` caps the window store (default 2 GiB); past it the run stops with a clear error. */
  memory?: { storeBytes?: number };
}

export type SourceConfig =
  | { kind: 'parquet'; path: string; batchSize?: number }
  | {
      kind: 'generator';
      events: number;
      seed?: number;
      signals?: string[];
      batchSize?: number;
      mjjMin?: number;
      mjjMax?: number;
      /** Trigger emulation (src/sources/generator-trigger.ts). */
      trigger?: { leadingJetPt?: number; mjjEfficiency?: { m50: number; width: number } };
    }
  | { kind: 'kafka'; [key: string]: unknown }
  // The field's formats (topology/format-sources.ts); `columns` names the columns of a 2-D array or dataset.
  | { kind: 'hdf5'; path: string; key?: string; dataset?: string; columns?: string[]; batchSize?: number }
  | { kind: 'numpy'; path: string; columns?: string[]; batchSize?: number }
  | { kind: 'root'; path: string; tree: string; batchSize?: number };

const interval = { type: 'tuple', items: ['number', 'number'] } as const;

const schema = {
  $$strict: true,
  name: { type: 'string', min: 1 },
  description: { type: 'string', optional: true },
  seed: { type: 'number', integer: true, default: 1 },
  // Blocks whose shape depends on a discriminator or a registry are checked strictly in ./blocks.ts.
  source: { type: 'any' },
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
  metrics: {
    type: 'object',
    optional: true,
    strict: true,
    props: { host: 'string|optional', port: 'number|integer|min:0|optional' },
  },
  kafka: { type: 'any', optional: true },
  memory: {
    type: 'object',
    optional: true,
    strict: true,
    props: { storeBytes: 'number|integer|positive|optional' },
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
  if (d.background !== undefined)
    problems.push(...backgroundProblems(d.background, (d.classifier as { kind?: string } | undefined)?.kind));
  if (!problems.length) problems.push(...checkFeatureNames(t as never));
  if (problems.length) throw topologyErrorOf(problems, file);
  return t;
}
