/**
 * HDF5 source: pandas DataFrames ('fixed' or 'table', as the LHC Olympics files), 2-D datasets with column names,
 * compound datasets and groups of 1-D datasets (formats/hdf5.ts), from a file, a directory (every .h5/.hdf5) or a
 * glob, in batches of rows with column projection. Each dataset a batch needs is read once per batch (one
 * hyperslab), then its columns are decoded into typed arrays. A file that cannot give the projected columns is a
 * dead letter through `onFileError` with its row count, and the run goes on, as for Parquet.
 */
import type { Column, EventBatch } from '../events/batch.js';
import { InputError, SourceError } from '../events/errors.js';
import { decodeStrided } from '../formats/npy.js';
import { describeTable, openHdf5, readRowBytes, type Hdf5Column, type Hdf5TableOptions } from '../formats/hdf5.js';
import { expandPaths } from './paths.js';
import type { Source } from './source.js';

export interface Hdf5SourceOptions extends Hdf5TableOptions {
  path: string;
  /** Source column names to read; absent = every numeric column. */
  columns?: string[];
  batchSize?: number;
  /** Input files must lie under these directories (topology trust); absent: anywhere. */
  allowedRoots?: readonly string[];
  onFileError?: (error: InputError, rowsLost: number) => void;
}

export class Hdf5Source implements Source {
  readonly description: string;
  constructor(private readonly options: Hdf5SourceOptions) {
    this.description = `hdf5: ${options.path}${options.key ? `:${options.key}` : options.dataset ? `:${options.dataset}` : ''}`;
  }

  async *batches(signal?: AbortSignal): AsyncIterable<EventBatch> {
    const files = [
      ...(await expandPaths(this.options.path, '.h5', this.options.allowedRoots)),
      ...(/[*?]/.test(this.options.path) ? [] : await dirExtra(this.options.path, this.options.allowedRoots)),
    ];
    if (files.length === 0) throw new SourceError(`hdf5: no files match '${this.options.path}'`);
    for (const file of [...new Set(files)].sort()) {
      if (signal?.aborted) return;
      yield* this.readFile(file, signal);
    }
  }

  private async *readFile(file: string, signal?: AbortSignal): AsyncIterable<EventBatch> {
    const onError = this.options.onFileError;
    let f: Awaited<ReturnType<typeof openHdf5>>;
    try {
      f = await openHdf5(file);
    } catch (e) {
      if (e instanceof InputError && onError) {
        onError(e, 0);
        return;
      }
      throw e;
    }
    try {
      let table: ReturnType<typeof describeTable>;
      try {
        table = describeTable(f, this.options, file);
      } catch (e) {
        if (e instanceof InputError && onError) {
          onError(e, 0);
          return;
        }
        throw e;
      }
      const wanted = this.options.columns ?? table.columns.filter((c) => c.kind !== 'other').map((c) => c.name);
      const projected: Hdf5Column[] = [];
      let schemaError: InputError | undefined;
      for (const name of wanted) {
        const c = table.columns.find((x) => x.name === name);
        if (!c)
          schemaError ??= new InputError(
            `missing column (${table.layout} has: ${table.columns.map((x) => x.name).join(', ')})`,
            { file, field: name },
            { reason: 'missing_column' },
          );
        else if (c.kind === 'other')
          schemaError ??= new InputError(
            `wrong type: ${c.descr} is not numeric`,
            { file, field: name },
            { reason: 'bad_type' },
          );
        else projected.push(c);
      }
      if (schemaError) {
        if (!onError) throw schemaError;
        onError(schemaError, table.rows);
        return;
      }
      const batch = this.options.batchSize ?? 65536;
      for (let start = 0, g = 0; start < table.rows; start += batch, g++) {
        if (signal?.aborted) return;
        const n = Math.min(batch, table.rows - start);
        try {
          const blocks = new Map<string, Uint8Array>();
          const columns: Record<string, Column> = {};
          for (const c of projected) {
            let bytes = blocks.get(c.dataset);
            if (!bytes) {
              bytes = readRowBytes(f, c.dataset, start, n, c.rowBytes, file);
              blocks.set(c.dataset, bytes);
            }
            columns[c.name] = decodeStrided(bytes, c.offset, n, c.rowBytes, {
              kind: c.kind === 'b' ? 'u' : (c.kind as 'f' | 'i' | 'u'),
              size: c.size,
              littleEndian: c.littleEndian,
              descr: c.descr,
            });
          }
          yield {
            length: n,
            columns,
            positions: [{ kind: 'file', file, rowGroup: g, rowStart: start, rowEnd: start + n }],
            rowOffset: start,
          };
        } catch (e) {
          const err =
            e instanceof InputError
              ? e
              : new InputError(
                  `rows ${start}–${start + n}: ${(e as Error).message}`,
                  { file, row: start },
                  { cause: e },
                );
          if (!onError) throw err;
          onError(err, n);
        }
      }
    } finally {
      f.close();
    }
  }
}

async function dirExtra(location: string, allowedRoots?: readonly string[]): Promise<string[]> {
  try {
    const list = await expandPaths(location, '.hdf5', allowedRoots);
    return list.length === 1 && list[0] === location ? [] : list;
  } catch {
    return [];
  }
}
