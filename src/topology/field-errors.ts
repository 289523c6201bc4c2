/**
 * One message shape for every bad field of a topology, at any depth:
 *   `<file>: <full.path>: <what is wrong>, got <value>[; did you mean 'x'?]`
 * fastest-validator reports what failed (`type`, `field`, `expected`, `actual`); its stock sentences repeat the
 * field, print the allowed list where the value should be, and say `undefined: The object ''` at the top level.
 * This file turns its error records into that shape, looking the bad value up in the document itself, and splits
 * a strict object's "forbidden keys" into one entry per key with the nearest known key suggested.
 */
import FastestValidator from 'fastest-validator';
import { suggestion } from '../events/did-you-mean.js';
import { TopologyError } from '../events/errors.js';

/** One bad field: where (dot and [index] path from the topology root), what is wrong, and its value. */
export interface FieldProblem {
  path: string;
  /** What is wrong, without the path or the value: "must be a positive number". */
  what: string;
  /** The value found; absent for a missing field. */
  value?: unknown;
  /** A near-miss correction, already phrased: "; did you mean 'srWidth'?". */
  hint?: string;
}

interface ValidatorError {
  type: string;
  field?: string;
  expected?: unknown;
  actual?: unknown;
  message?: string;
}

/** What each fastest-validator error type means, in words that read after a field path. */
const WHAT: Record<string, (e: ValidatorError) => string> = {
  required: () => 'required field is missing',
  string: () => 'must be a string',
  stringEmpty: () => 'must not be empty',
  stringMin: (e) => `must be at least ${e.expected} characters long`,
  number: () => 'must be a number',
  numberMin: (e) => `must be at least ${e.expected}`,
  numberMax: (e) => `must be at most ${e.expected}`,
  numberInteger: () => 'must be an integer',
  numberPositive: () => 'must be a positive number',
  boolean: () => 'must be true or false',
  array: () => 'must be a list',
  arrayEmpty: () => 'must not be an empty list',
  arrayMin: (e) => `must hold at least ${e.expected} item${e.expected === 1 ? '' : 's'}`,
  arrayMax: (e) => `must hold at most ${e.expected} items`,
  tuple: () => 'must be a list',
  tupleLength: (e) => `must be a list of ${e.expected} items`,
  object: () => 'must be a mapping',
  record: () => 'must be a mapping',
  enumValue: (e) => `must be one of ${listOf(e.expected)}`,
  equalValue: (e) => `must be '${e.expected}'`,
};

function listOf(expected: unknown): string {
  return String(expected)
    .split(',')
    .map((s) => s.trim())
    .join(', ');
}

/** `a.b[2].c` → ['a', 'b', 2, 'c']. */
export function splitPath(p: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

export function joinPath(base: string, field: string | undefined): string {
  if (!field) return base;
  if (!base) return field;
  return field.startsWith('[') ? `${base}${field}` : `${base}.${field}`;
}

/** The value at a path of a parsed document (undefined where the path leads nowhere). */
export function valueAt(doc: unknown, p: string): unknown {
  let node = doc;
  for (const k of splitPath(p)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[k];
  }
  return node;
}

/** A value as a message shows it: strings quoted, numbers as written, mappings and lists as short JSON. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null) return 'null';
  if (typeof v === 'object') {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  }
  return String(v);
}

/**
 * The problems behind fastest-validator's errors for `obj`, which sits at `base` in the topology (`''` for the
 * root), with `doc` = obj to look values up in.
 */
export function problemsOf(errors: ValidatorError[], obj: unknown, base: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    if (e.type === 'objectStrict') {
      const known = listOf(e.expected).split(', ').filter(Boolean);
      for (const key of listOf(e.actual).split(', ')) {
        const rel = joinPath(e.field ?? '', key);
        const hint = suggestion(key, known);
        out.push({
          path: joinPath(base, rel),
          what: hint ? 'unknown key' : `unknown key (known: ${known.join(', ')})`,
          value: valueAt(obj, rel),
          hint,
        });
      }
      continue;
    }
    const what = WHAT[e.type]?.(e) ?? (e.message ?? e.type).replace(/^The '[^']*' field /, '').replace(/\.$/, '');
    const value = e.type === 'required' ? undefined : valueAt(obj, e.field ?? '');
    const hint =
      e.type === 'enumValue' && typeof value === 'string' ? suggestion(value, listOf(e.expected).split(', ')) : '';
    out.push({ path: joinPath(base, e.field), what, value, ...(hint ? { hint } : {}) });
  }
  return out;
}

/** `<what>, got <value>[; did you mean 'x'?]` for one problem (the path and file are added by TopologyError). */
export function describeProblem(p: FieldProblem): string {
  return `${p.what}${p.value === undefined ? '' : `, got ${showValue(p.value)}`}${p.hint ?? ''}`;
}

/** A TopologyError naming the first problem's path; further problems follow, one per line, in the same shape. */
export function topologyErrorOf(problems: FieldProblem[], file: string): TopologyError {
  const [first, ...rest] = problems;
  if (!first) return new TopologyError('invalid topology', { file });
  const more = rest.map((p) => `\n${file}: ${p.path || '(top level)'}: ${describeProblem(p)}`).join('');
  return new TopologyError(`${describeProblem(first)}${more}`, { file, path: first.path || '(top level)' });
}

// fastest-validator is CommonJS whose typings declare an ES default export; at runtime the module itself is the class.
const Validator = FastestValidator as unknown as typeof import('fastest-validator').default;
const validator = new Validator({ useNewCustomCheckerFunction: true });

/** A checker for one block: returns its problems (empty when it validates), filling defaults into the object. */
export type BlockCheck = (obj: unknown, base: string) => FieldProblem[];

/** Compile fastest-validator property rules of a mapping (strict: unknown keys are problems) into a BlockCheck. */
export function compileBlock(props: Record<string, unknown>): BlockCheck {
  const check = validator.compile({ $$strict: true, ...props } as never) as (o: unknown) => true | ValidatorError[];
  return (obj, base) => {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
      return [{ path: base, what: 'must be a mapping', value: obj }];
    const res = check(obj);
    return res === true ? [] : problemsOf(res, obj, base);
  };
}
