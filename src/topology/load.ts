import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { TopologyError } from '../events/errors.js';
import { validateTopology, type Topology } from './schema.js';
import { switchSourceKind } from './source-switch.js';

/**
 * Load a topology: parse YAML (no custom tags, so a file can never construct objects or run code), apply
 * `--set a.b=value` overrides, validate. Relative paths inside (source.path) are resolved against the current
 * directory, as a user typing a path on the command line would expect. `log` hears what an override changed beyond
 * its own field (a source whose kind it switched).
 */
export async function loadTopology(
  file: string,
  overrides: string[] = [],
  log?: (m: string) => void,
): Promise<Topology> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new TopologyError(`cannot read topology: ${(cause as Error).message}`, { file }, { cause });
  }
  return parseTopology(text, file, overrides, log);
}

export function parseTopology(
  text: string,
  file: string,
  overrides: string[] = [],
  log?: (m: string) => void,
): Topology {
  const doc = YAML.parseDocument(text, { customTags: [], uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : undefined;
    throw new TopologyError(`YAML: ${e.message.split('\n')[0]}`, { file, path: where });
  }
  const value: unknown = doc.toJS();
  for (const o of overrides) applyOverride(value, o, file, log);
  return validateTopology(value, file);
}

/** `a.b.c=value`: the value is parsed as YAML, so numbers, booleans and [lists] keep their types. */
export function applyOverride(doc: unknown, assignment: string, file: string, log?: (m: string) => void): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new TopologyError(`--set expects key.path=value, got '${assignment}'`, { file });
  const keys = assignment.slice(0, eq).split('.');
  const raw = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = YAML.parse(raw, { customTags: [] });
  } catch {
    value = raw;
  }
  if (doc === null || typeof doc !== 'object')
    throw new TopologyError('cannot apply --set to an empty topology', { file });
  let node = doc as Record<string, unknown>;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    if (k === '__proto__' || k === 'constructor' || k === 'prototype')
      throw new TopologyError(`--set: key '${k}' is not allowed`, { file, path: keys.join('.') });
    const next = node[k];
    if (next === undefined || next === null) node[k] = {};
    else if (typeof next !== 'object')
      throw new TopologyError(`--set: '${keys.slice(0, i + 1).join('.')}' is a ${typeof next}, not a mapping`, {
        file,
        path: keys.join('.'),
      });
    node = node[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (last === '__proto__' || last === 'constructor' || last === 'prototype')
    throw new TopologyError(`--set: key '${last}' is not allowed`, { file, path: keys.join('.') });
  if (keys.length === 2 && keys[0] === 'source') {
    const note = switchSourceKind(doc as Record<string, unknown>, last, value, file);
    if (note) log?.(note);
    node = (doc as Record<string, unknown>).source as Record<string, unknown>;
  }
  node[last] = value;
}
