/**
 * Strict rules for the topology blocks whose shape depends on a discriminating field — `source` by `kind`,
 * `windows` by `scheme` — and for the blocks whose values name things from a registry (column units, cut presets,
 * fit functions, features). Dispatching on the discriminator first, instead of a fastest-validator `multi` rule,
 * gives one precise message per bad field (`windows.srWidht: unknown key, got 400; did you mean 'srWidth'?`)
 * instead of one clause per alternative that did not match.
 */
import { CUT_PRESETS } from '../events/cuts.js';
import { DERIVED_FEATURES } from '../events/derive.js';
import { suggestion } from '../events/did-you-mean.js';
import { ENERGY_UNITS } from '../events/units.js';
import { FIT_FUNCTION_NAMES } from '../fit/functions.js';
import { KAFKA_CONNECTION_RULES, KAFKA_SINK_RULES, KAFKA_SOURCE_RULES } from '../kafka/config.js';
import { type BlockCheck, compileBlock, type FieldProblem } from './field-errors.js';

const interval = { type: 'tuple', items: ['number', 'number'] };
const intervals = { type: 'array', items: interval };

/** Source rules by kind (parquet: src/sources/parquet.ts; generator: src/sources/generator.ts; kafka: src/kafka). */
export const SOURCE_RULES: Record<string, Record<string, unknown>> = {
  parquet: {
    kind: { type: 'equal', value: 'parquet' },
    path: 'string|min:1',
    batchSize: 'number|integer|positive|optional',
    // Worker threads that decode, validate, derive and select row groups (src/training/ingest-workers.ts);
    // default: the machine's available cores (1 when the run checkpoints); 1: all on the run's own thread.
    threads: 'number|integer|positive|optional',
  },
  generator: {
    kind: { type: 'equal', value: 'generator' },
    events: 'number|integer|positive',
    seed: 'number|integer|optional',
    signals: { type: 'array', items: 'string', optional: true },
    batchSize: 'number|integer|positive|optional',
    mjjMin: 'number|positive|optional',
    mjjMax: 'number|positive|optional',
    // The jets + MET channel of seed 004 (src/sources/generator-monojet.ts) instead of dijets.
    channel: { type: 'enum', values: ['dijet', 'monojet'], optional: true },
    controlFraction: 'number|min:0|max:0.99|optional',
    // Seed 003's extra per-jet substructure (src/sources/generator-substructure.ts).
    substructure: { type: 'enum', values: ['cms2024'], optional: true },
    // A mismodelled simulation for SALAD, and the shifted-feature test (src/sources/generator-simulation.ts).
    mode: { type: 'enum', values: ['data', 'simulation'], optional: true },
    massShift: 'number|min:0|max:0.3|optional',
    // Trigger emulation (src/sources/generator-trigger.ts).
    trigger: {
      type: 'object',
      optional: true,
      strict: true,
      props: {
        leadingJetPt: 'number|min:0|optional',
        mjjEfficiency: {
          type: 'object',
          optional: true,
          strict: true,
          props: { m50: 'number|positive', width: 'number|positive' },
        },
      },
    },
  },
  kafka: KAFKA_SOURCE_RULES,
  // The field's formats (src/topology/format-sources.ts); `columns` names the columns of a 2-D array or dataset.
  hdf5: {
    kind: { type: 'equal', value: 'hdf5' },
    path: 'string|min:1',
    key: 'string|optional',
    dataset: 'string|optional',
    columns: { type: 'array', items: 'string', optional: true },
    batchSize: 'number|integer|positive|optional',
  },
  numpy: {
    kind: { type: 'equal', value: 'numpy' },
    path: 'string|min:1',
    columns: { type: 'array', items: 'string', optional: true },
    batchSize: 'number|integer|positive|optional',
  },
  root: {
    kind: { type: 'equal', value: 'root' },
    path: 'string|min:1',
    tree: 'string|min:1',
    batchSize: 'number|integer|positive|optional',
  },
};

/** Window scheme rules by name (the option types live in src/regions/<scheme>.ts). */
export const WINDOW_RULES: Record<string, Record<string, unknown>> = {
  sliding: {
    scheme: { type: 'equal', value: 'sliding' },
    srWidth: 'number|positive|optional',
    sbWidth: 'number|min:0|optional',
    firstCentre: 'number|positive|optional',
    lastCentre: 'number|positive|optional',
    step: 'number|positive|optional',
  },
  edges: {
    scheme: { type: 'equal', value: 'edges' },
    edges: { type: 'array', items: 'number', min: 4, optional: true },
    first: 'number|integer|min:1|optional',
    last: 'number|integer|min:1|optional',
  },
  table: {
    scheme: { type: 'equal', value: 'table' },
    preset: { type: 'enum', values: ['cms2024', 'cms2024-A', 'cms2024-B'], optional: true },
    windows: {
      type: 'array',
      optional: true,
      min: 1,
      items: {
        type: 'object',
        strict: true,
        props: {
          id: 'string|min:1|optional',
          sr: interval,
          sb: intervals,
          workingPoints: { type: 'array', items: 'number|positive|max:1', optional: true },
        },
      },
    },
  },
  single: {
    scheme: { type: 'equal', value: 'single' },
    sr: { ...interval, optional: true },
    sb: { ...intervals, optional: true },
  },
};

const sourceChecks = mapValues(SOURCE_RULES, compileBlock);
const windowChecks = mapValues(WINDOW_RULES, compileBlock);
const kafkaCheck = compileBlock(KAFKA_CONNECTION_RULES);
const kafkaSinkCheck = compileBlock(KAFKA_SINK_RULES);
const columnObjectCheck = compileBlock({ from: 'string|min:1|optional', unit: 'string|optional' });
const cutCheck = compileBlock({
  name: 'string|min:1',
  features: { type: 'array', items: 'string', min: 1 },
  min: 'number|optional',
  max: 'number|optional',
  abs: 'boolean|optional',
});

function mapValues<T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** A block chosen by its discriminator (`kind`, `scheme`): an unknown name is one problem with a suggestion. */
function dispatch(checks: Record<string, BlockCheck>, key: string, block: unknown, base: string): FieldProblem[] {
  if (block === null || typeof block !== 'object' || Array.isArray(block))
    return [{ path: base, what: 'must be a mapping', value: block }];
  const name = (block as Record<string, unknown>)[key];
  const names = Object.keys(checks);
  if (name === undefined)
    return [{ path: `${base}.${key}`, what: `required field is missing (one of ${names.join(', ')})` }];
  const check = typeof name === 'string' ? checks[name] : undefined;
  if (!check)
    return [
      {
        path: `${base}.${key}`,
        what: `must be one of ${names.join(', ')}`,
        value: name,
        hint: typeof name === 'string' ? suggestion(name, names) : '',
      },
    ];
  return check(block, base);
}

export const checkSource = (block: unknown): FieldProblem[] => dispatch(sourceChecks, 'kind', block, 'source');
/** The `simulation:` source (SALAD): any finite source kind; a Kafka stream has no end to read it to. */
export function checkSimulationSource(block: unknown): FieldProblem[] {
  const kind = (block as { kind?: unknown } | null)?.kind;
  if (kind === 'kafka')
    return [
      {
        path: 'simulation.kind',
        what: 'a simulation is read in full before the data stream: use a finite source (generator, parquet, hdf5, numpy, root)',
        value: kind,
      },
    ];
  return dispatch(sourceChecks, 'kind', block, 'simulation');
}
export const checkWindows = (block: unknown): FieldProblem[] => dispatch(windowChecks, 'scheme', block, 'windows');
export const checkKafka = (block: unknown): FieldProblem[] => kafkaCheck(block, 'kafka');
export const checkKafkaSinks = (block: unknown): FieldProblem[] => kafkaSinkCheck(block, 'sinks.kafka');

/** Units a column may declare: the energy units (converted to GeV) or `none` for dimensionless values. */
export const COLUMN_UNITS = [...Object.keys(ENERGY_UNITS), 'none'];

/** `columns:` canonical name → a unit, or {from, unit}. */
export function checkColumns(block: unknown): FieldProblem[] {
  if (block === null || typeof block !== 'object' || Array.isArray(block))
    return [{ path: 'columns', what: 'must be a mapping of column name to unit or {from, unit}', value: block }];
  const out: FieldProblem[] = [];
  for (const [name, spec] of Object.entries(block as Record<string, unknown>)) {
    const base = `columns.${name}`;
    let unit: unknown;
    let unitPath = base;
    if (typeof spec === 'string') unit = spec;
    else if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
      const p = columnObjectCheck(spec, base);
      out.push(...p);
      if (p.length) continue;
      unit = (spec as { unit?: unknown }).unit;
      unitPath = `${base}.unit`;
    } else {
      out.push({ path: base, what: `must be a unit (${COLUMN_UNITS.join(', ')}) or {from, unit}`, value: spec });
      continue;
    }
    if (unit !== undefined && !COLUMN_UNITS.includes(unit as string))
      out.push({
        path: unitPath,
        what: `unknown unit (known: ${COLUMN_UNITS.join(', ')})`,
        value: unit,
        hint: suggestion(String(unit), COLUMN_UNITS),
      });
  }
  return out;
}

/** `cuts:` a preset name or a list of {name, features, min, max, abs}. */
export function checkCuts(block: unknown): FieldProblem[] {
  const presets = Object.keys(CUT_PRESETS);
  if (typeof block === 'string')
    return presets.includes(block)
      ? []
      : [
          {
            path: 'cuts',
            what: `must be a preset (${presets.join(', ')}) or a list of cuts`,
            value: block,
            hint: suggestion(block, presets),
          },
        ];
  if (!Array.isArray(block))
    return [{ path: 'cuts', what: `must be a preset (${presets.join(', ')}) or a list of cuts`, value: block }];
  return block.flatMap((c, i) => cutCheck(c, `cuts[${i}]`));
}

/** `fit.functions`: names from the fit registry (src/fit/functions.ts). */
export function checkFitFunctions(functions: unknown): FieldProblem[] {
  if (!Array.isArray(functions)) return [];
  const known: readonly string[] = FIT_FUNCTION_NAMES;
  return functions.flatMap((f, i) =>
    typeof f === 'string' && known.includes(f)
      ? []
      : [
          {
            path: `fit.functions[${i}]`,
            what: `unknown fit function (known: ${known.join(', ')})`,
            value: f,
            hint: typeof f === 'string' ? suggestion(f, known) : '',
          },
        ],
  );
}

/**
 * Features named by `features`, `derive.features` and the cuts: each must be a mapped column or a derivable
 * feature (src/events/derive.ts). Runs after the blocks validated, so the lists are lists of strings.
 */
export function checkFeatureNames(t: {
  columns: Record<string, unknown>;
  label?: string;
  weight?: string;
  features: string[];
  derive: { features: string[] };
  cuts: unknown;
}): FieldProblem[] {
  const known = [...new Set([...Object.keys(t.columns), ...DERIVED_FEATURES])];
  const out: FieldProblem[] = [];
  const check = (name: string, p: string) => {
    if (!known.includes(name))
      out.push({
        path: p,
        what: 'neither a mapped column (columns) nor a derived feature',
        value: name,
        hint: suggestion(name, known),
      });
  };
  for (const [i, f] of t.features.entries()) check(f, `features[${i}]`);
  for (const [i, f] of t.derive.features.entries()) check(f, `derive.features[${i}]`);
  if (Array.isArray(t.cuts))
    for (const [i, c] of (t.cuts as Array<{ features: string[] }>).entries())
      for (const [j, f] of c.features.entries()) check(f, `cuts[${i}].features[${j}]`);
  return out;
}
