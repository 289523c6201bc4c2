import FastestValidator from 'fastest-validator';
import { TopologyError } from '../events/errors.js';
import type { ColumnSpec } from '../events/decode.js';
import type { Cut } from '../events/cuts.js';
import type { MjjMode } from '../events/derive.js';
import type { WindowsConfig } from '../regions/index.js';
import type { TriggerPolicy } from '../regions/buffers.js';
import type { ClassifierConfig } from '../classify/config.js';
import { validateClassifier } from './classifier-schema.js';

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
  workingPoints: number[];
  fit: { strategy: 'atlas2024' | 'atlas2020' | 'single'; functions?: string[]; sqrtS: number };
  alert: { z: number };
  sinks: { results: boolean; deadLetters: boolean; report: boolean; kafka?: Record<string, unknown> };
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
    }
  | { kind: 'kafka'; [key: string]: unknown };

const interval = { type: 'tuple', items: ['number', 'number'] } as const;

const schema = {
  $$strict: true,
  name: { type: 'string', min: 1 },
  description: { type: 'string', optional: true },
  seed: { type: 'number', integer: true, default: 1 },
  source: {
    type: 'multi',
    rules: [
      {
        type: 'object',
        strict: true,
        props: {
          kind: { type: 'equal', value: 'parquet' },
          path: 'string|min:1',
          batchSize: 'number|integer|positive|optional',
        },
      },
      {
        type: 'object',
        strict: true,
        props: {
          kind: { type: 'equal', value: 'generator' },
          events: 'number|integer|positive',
          seed: 'number|integer|optional',
          signals: { type: 'array', items: 'string', optional: true },
          batchSize: 'number|integer|positive|optional',
          mjjMin: 'number|positive|optional',
          mjjMax: 'number|positive|optional',
        },
      },
      { type: 'object', props: { kind: { type: 'equal', value: 'kafka' } } },
    ],
  },
  columns: {
    type: 'record',
    key: { type: 'string', alpha: false },
    value: {
      type: 'multi',
      rules: ['string', { type: 'object', strict: true, props: { from: 'string|optional', unit: 'string|optional' } }],
    },
  },
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
  cuts: {
    type: 'multi',
    default: 'none',
    rules: [
      { type: 'enum', values: ['atlas2024', 'atlas2024-control', 'none'] },
      {
        type: 'array',
        items: {
          type: 'object',
          strict: true,
          props: {
            name: 'string',
            features: { type: 'array', items: 'string', min: 1 },
            min: 'number|optional',
            max: 'number|optional',
            abs: 'boolean|optional',
          },
        },
      },
    ],
  },
  windows: {
    type: 'object',
    props: { scheme: { type: 'enum', values: ['sliding', 'edges', 'table', 'single'] } },
  },
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
  classifier: { type: 'object', default: { kind: 'none' }, props: { kind: 'string' } },
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
  sinks: {
    type: 'object',
    strict: true,
    default: { results: true, deadLetters: true, report: true },
    props: {
      results: 'boolean|default:true',
      deadLetters: 'boolean|default:true',
      report: 'boolean|default:true',
      kafka: { type: 'object', optional: true },
    },
  },
  metrics: {
    type: 'object',
    optional: true,
    strict: true,
    props: { host: 'string|optional', port: 'number|integer|min:0|optional' },
  },
  kafka: { type: 'object', optional: true },
  memory: {
    type: 'object',
    optional: true,
    strict: true,
    props: { storeBytes: 'number|integer|positive|optional' },
  },
};

// fastest-validator is CommonJS whose typings declare an ES default export; at runtime the module itself is the class.
const Validator = FastestValidator as unknown as typeof import('fastest-validator').default;
const check = new Validator({
  useNewCustomCheckerFunction: true,
  // fastest-validator's stock enum message prints the allowed list where the value should be.
  messages: { enumValue: "The '{field}' field value '{actual}' is not one of: {expected}" },
}).compile(schema as never);

/** Validate (and fill defaults into) a parsed topology; throws a TopologyError naming every bad field. */
export function validateTopology(doc: unknown, file: string): Topology {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new TopologyError('a topology must be a YAML mapping', { file });
  const res = check(doc as Record<string, unknown>);
  if (res !== true) {
    const errs = res as Array<{ field: string; message?: string }>;
    const first = errs[0]!;
    const rest = errs.slice(1).map((e) => `${e.field}: ${e.message}`);
    throw new TopologyError(`${first.message}${rest.length ? `; also ${rest.join('; ')}` : ''}`, {
      file,
      path: first.field,
    });
  }
  const t = doc as Topology;
  if (t.classifier.kind !== 'none')
    t.classifier = validateClassifier(t.classifier as unknown as Record<string, unknown>, t.seed, file);
  else if (Object.keys(t.classifier).length > 1) {
    throw new TopologyError("classifier: kind 'none' takes no other keys", { file, path: 'classifier' });
  }
  return t;
}
