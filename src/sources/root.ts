/**
 * ROOT source: flat numeric branches of a TTree (formats/root.ts) from a file, a directory (every .root inside) or a
 * glob, in batches of entries with branch projection. Batches follow the first projected branch's baskets (merged
 * up to `batchSize` entries), so in the common layout — every branch flushed at the same cluster boundaries — each
 * column of a batch is one basket decoded once. A file that cannot give the projected branches (no such tree or
 * branch, an unsupported branch type, truncated or corrupt) is a dead letter through `onFileError` with the
 * entries lost, and the run goes on, as for Parquet.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Column, EventBatch } from '../events/batch.js';
import { InputError, SourceError } from '../events/errors.js';
import { openTree, readBasket, type RootBranch, type RootFile } from '../formats/root.js';
import { expandPaths } from './paths.js';
import type { Source } from './source.js';

export interface RootSourceOptions {
  path: string;
  /** Tree name or path inside the file, e.g. "events" or "nominal/events". */
  tree: string;
  /** Branches to read; absent = every flat numeric branch. */
  columns?: string[];
  /** Entries per batch at most (default 65536); batches end on basket boundaries of the first branch. */
  batchSize?: number;
  /** Input files must lie under these directories (topology trust); absent: anywhere. */
  allowedRoots?: readonly string[];
  onFileError?: (error: InputError, rowsLost: number) => void;
}

export class RootSource implements Source {
  readonly description: string;
  constructor(private readonly options: RootSourceOptions) {
    this.description = `root: ${options.path}:${options.tree}`;
  }

  async *batches(signal?: AbortSignal): AsyncIterable<EventBatch> {
    const files = await expandPaths(this.options.path, '.root', this.options.allowedRoots);
    if (files.length === 0) throw new SourceError(`root: no files match '${this.options.path}'`);
    for (const file of files) {
      if (signal?.aborted) return;
      yield* this.readFile(file, signal);
    }
  }

  private async *readFile(file: string, signal?: AbortSignal): AsyncIterable<EventBatch> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (cause) {
      throw new SourceError(`root: cannot open ${file}: ${(cause as Error).message}`, { cause });
    }
    const onError = this.options.onFileError;
    try {
      const { size } = await fh.stat();
      const f: RootFile = {
        file,
        size,
        read: async (offset, length) => {
          const buf = new Uint8Array(length);
          const { bytesRead } = await fh.read(buf, 0, length, offset);
          if (bytesRead < length)
            throw new InputError(`truncated ROOT file: ${bytesRead} of ${length} bytes at ${offset}`, { file });
          return buf;
        },
      };
      let tree: Awaited<ReturnType<typeof openTree>>;
      try {
        tree = await openTree(f, this.options.tree);
      } catch (e) {
        if (e instanceof InputError && onError) {
          onError(e, 0);
          return;
        }
        throw e;
      }
      const names = this.options.columns ?? tree.branches.filter((b) => b.type).map((b) => b.name);
      const projected: RootBranch[] = [];
      let schemaError: InputError | undefined;
      for (const name of names) {
        const b = tree.branches.find((x) => x.name === name);
        if (!b)
          schemaError ??= new InputError(
            `missing branch in tree ${tree.name} (has: ${tree.branches.map((x) => x.name).join(', ')})`,
            { file, field: name },
            { reason: 'missing_column' },
          );
        else if (!b.type)
          schemaError ??= new InputError(`wrong type: ${b.unsupported}`, { file, field: name }, { reason: 'bad_type' });
        else if (b.entries !== tree.entries)
          schemaError ??= new InputError(`branch has ${b.entries} entries, the tree ${tree.entries}`, {
            file,
            field: name,
          });
        else projected.push(b);
      }
      if (schemaError) {
        if (!onError) throw schemaError;
        onError(schemaError, tree.entries);
        return;
      }
      if (!projected.length || tree.entries === 0) return;
      // Batch boundaries: the first branch's basket boundaries, merged up to batchSize entries.
      const limit = this.options.batchSize ?? 65536;
      const edges = [0];
      for (const e of projected[0]!.basketEntry.slice(1))
        if (e - edges[edges.length - 1]! >= limit || e === tree.entries) edges.push(e);
      if (edges[edges.length - 1] !== tree.entries) edges.push(tree.entries);
      const cache = new Map<RootBranch, { i: number; values: Float32Array | Float64Array }>();
      for (let g = 0; g + 1 < edges.length; g++) {
        if (signal?.aborted) return;
        const start = edges[g]!,
          end = edges[g + 1]!;
        try {
          const columns: Record<string, Column> = {};
          for (const b of projected) columns[b.name] = await entryRange(f, b, start, end, cache);
          yield {
            length: end - start,
            columns,
            positions: [{ kind: 'file', file, rowGroup: g, rowStart: start, rowEnd: end }],
            rowOffset: start,
          };
        } catch (e) {
          const err =
            e instanceof InputError
              ? e
              : new InputError(`entries ${start}–${end}: ${(e as Error).message}`, { file, row: start }, { cause: e });
          if (!onError) throw err;
          onError(err, end - start);
        }
      }
    } finally {
      await fh.close();
    }
  }
}

/** Hot: entries [start, end) of one branch; a batch that is exactly one basket is that basket's array. */
async function entryRange(
  f: RootFile,
  b: RootBranch,
  start: number,
  end: number,
  cache: Map<RootBranch, { i: number; values: Float32Array | Float64Array }>,
): Promise<Column> {
  const be = b.basketEntry;
  let i = 0;
  while (i + 1 < be.length && be[i + 1]! <= start) i++;
  const basket = async (k: number) => {
    const hit = cache.get(b);
    if (hit?.i === k) return hit.values;
    const values = await readBasket(f, b, k);
    cache.set(b, { i: k, values });
    return values;
  };
  if (be[i] === start && be[i + 1] === end) return basket(i);
  const first = await basket(i);
  const out = first instanceof Float32Array ? new Float32Array(end - start) : new Float64Array(end - start);
  let filled = 0;
  for (let k = i; filled < end - start; k++) {
    if (k + 1 >= be.length)
      throw new InputError(`branch ends at entry ${be[be.length - 1]}, before ${end}`, {
        file: f.file,
        field: b.name,
        row: start + filled,
      });
    const v = k === i ? first : await basket(k);
    const from = Math.max(start, be[k]!) - be[k]!,
      to = Math.min(end, be[k + 1]!) - be[k]!;
    out.set(v.subarray(from, to), filled);
    filled += to - from;
  }
  return out;
}
