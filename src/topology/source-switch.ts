/**
 * `--set source.<field>=value` where the topology's source is of another kind: `--set source.path=events.parquet`
 * on a generator topology means "read this file instead", so the source becomes `{kind: parquet, path}` (keeping
 * the keys the new kind accepts, dropping the rest) and the switch is logged. Which kind a field implies is one
 * table; for paths the file extension decides, and formats without a source yet are named in the error with the
 * spelling that does work.
 */
import { suggestion } from '../events/did-you-mean.js';
import { TopologyError } from '../events/errors.js';
import { SOURCE_RULES } from './blocks.js';

/** File extensions and the source kind they imply; `undefined` kind: a format no source reads yet. */
export const KIND_BY_EXTENSION: Array<{ pattern: RegExp; kind?: string; format: string }> = [
  { pattern: /\.parquet$/i, kind: 'parquet', format: 'Parquet' },
  { pattern: /\.(h5|hdf5)$/i, kind: 'hdf5', format: 'HDF5' },
  { pattern: /\.(npy|npz)$/i, kind: 'numpy', format: 'NumPy' },
  { pattern: /\.root$/i, kind: 'root', format: 'ROOT' },
];

/** Source fields that only one kind takes, and the kind they imply (for `path`, unless the extension says more). */
export const KIND_BY_FIELD: Record<string, string> = { path: 'parquet', topic: 'kafka', events: 'generator' };

/** The kind a value for `source.<field>` implies, or undefined when the field implies none. */
export function impliedSourceKind(field: string, value: unknown, file: string): string | undefined {
  const kind = KIND_BY_FIELD[field];
  if (field !== 'path' || typeof value !== 'string') return kind;
  const ext = KIND_BY_EXTENSION.find((e) => e.pattern.test(value));
  if (ext && !ext.kind)
    throw new TopologyError(
      `${ext.format} files cannot be read yet (sources: ${Object.keys(SOURCE_RULES).join(', ')}); convert ${value} to Parquet`,
      { file, path: 'source.path' },
    );
  // The extension names the format; a directory or a glob without one is read as Parquet.
  return ext?.kind ?? kind;
}

/**
 * Before `source.<field> = value` is set: switch the source kind if the current kind does not take `field` and the
 * value implies one that does. Mutates `doc.source`; returns the log line saying what changed, or undefined.
 */
export function switchSourceKind(doc: Record<string, unknown>, field: string, value: unknown, file: string) {
  const source = doc.source as Record<string, unknown> | undefined;
  if (!source || typeof source !== 'object' || typeof source.kind !== 'string') return undefined;
  const current = SOURCE_RULES[source.kind];
  if (!current || field in current) return undefined;
  const kind = impliedSourceKind(field, value, file);
  const rules = kind ? SOURCE_RULES[kind] : undefined;
  if (!kind || !rules || kind === source.kind) {
    const fields = [...new Set(Object.values(SOURCE_RULES).flatMap((r) => Object.keys(r)))];
    throw new TopologyError(
      `a ${source.kind} source has no field '${field}'${suggestion(field, fields)}; to read another source, replace the ` +
        `whole block, e.g. --set 'source={kind: parquet, path: FILE}'`,
      { file, path: `source.${field}` },
    );
  }
  const kept: Record<string, unknown> = { kind };
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(source)) {
    if (k === 'kind') continue;
    if (k in rules) kept[k] = v;
    else dropped.push(k);
  }
  doc.source = kept;
  return `--set source.${field}: source switched from ${source.kind} to ${kind}${dropped.length ? ` (dropped ${dropped.join(', ')})` : ''}`;
}
