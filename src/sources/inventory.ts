/**
 * What a source will read, known before reading it: its input files with size and modification time (for the run
 * manifest) and the number of events where metadata says it (Parquet footers, the generator's count), which gives
 * the progress display its bar and ETA. A source location that names nothing readable is "no usable input" at once,
 * before any output is touched.
 */
import { stat } from 'node:fs/promises';
import { NoInputError, SidebandError, UsageError } from '../events/errors.js';
import { parquetRowCount } from './parquet.js';
import { expandPaths } from './paths.js';

export interface InputFile {
  path: string;
  bytes: number;
  /** Modification time, ISO 8601. */
  mtime: string;
  /** Rows from the footer; absent when the footer cannot be read. */
  rows?: number;
}

export interface SourceInventory {
  files: InputFile[];
  /** Events the source will deliver (rows of the readable footers, or the generator's count); absent if unknown. */
  events?: number;
}

/** The slice of a topology's source block this reads (structural: sources/ does not import topology/). */
export interface SourceLocation {
  kind: string;
  path?: unknown;
  events?: unknown;
}

export async function sourceInventory(
  source: SourceLocation,
  allowedRoots?: readonly string[],
): Promise<SourceInventory> {
  if (source.kind === 'generator' && typeof source.events === 'number') return { files: [], events: source.events };
  if (source.kind !== 'parquet' || typeof source.path !== 'string') return { files: [] };
  let paths: string[];
  try {
    paths = await expandPaths(source.path, '.parquet', allowedRoots);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const errno = (e as { cause?: NodeJS.ErrnoException }).cause;
    const why = errno?.code
      ? `${errno.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')} (${errno.code})`
      : (e as Error).message;
    throw new NoInputError(`no usable input: cannot read ${source.path}: ${why}; nothing was written`, { cause: e });
  }
  if (paths.length === 0)
    throw new NoInputError(`no usable input: no files match '${source.path}'; nothing was written`);
  const files = await Promise.all(
    paths.map(async (p): Promise<InputFile> => {
      const s = await stat(p);
      let rows: number | undefined;
      try {
        rows = await parquetRowCount(p);
      } catch (e) {
        // An unreadable footer is the source's to report (a dead letter); here it only leaves the count unknown.
        if (!(e instanceof SidebandError)) throw e;
      }
      return { path: p, bytes: s.size, mtime: s.mtime.toISOString(), ...(rows === undefined ? {} : { rows }) };
    }),
  );
  return { files, events: files.reduce((a, f) => a + (f.rows ?? 0), 0) };
}
