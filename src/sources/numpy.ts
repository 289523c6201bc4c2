/**
 * NumPy source: .npy and .npz files (a file, a directory or a glob), streamed in batches of rows with column
 * projection, as CATHODE's splits (innerdata_*.npy) and many ML data sets come.
 *
 * Column mapping (one file = one set of events):
 *   - 2-D .npy (rows = events): `names` lists the column names in order, as CATHODE's innerdata arrays need
 *     (mjj, mj1, dmj, tau21_1, tau21_2, label); C or Fortran order.
 *   - structured .npy (a record array): the field names are the columns.
 *   - .npz: one 1-D array per column (member `mjj.npy` = column mjj, numpy.savez(f, mjj=..., ...)), or a single 2-D
 *     member with `names`.
 * Values become Float32Array for float32 data, Float64Array otherwise. A file that cannot give the projected columns
 * (missing, non-numeric, truncated, corrupt) is a dead letter through `onFileError` with its row count, and the run
 * goes on, as for Parquet.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import type { Column, EventBatch } from '../events/batch.js';
import { InputError, SourceError } from '../events/errors.js';
import {
  NPY_PREFIX,
  decodeStrided,
  npyHeaderLength,
  parseNpyHeader,
  parseZipDirectory,
  zipDataOffset,
  zipDirectoryLocation,
  type NpyHeader,
  type NpyScalar,
  type ZipMember,
} from '../formats/npy.js';
import { expandPaths } from './paths.js';
import type { Source } from './source.js';

export interface NumpySourceOptions {
  /** File, directory (every .npy and .npz inside, sorted) or glob. */
  path: string;
  /** Source column names to read; absent = every numeric column. */
  columns?: string[];
  /** Names of the columns of 2-D arrays, in order. */
  names?: string[];
  /** Rows per batch (default 65536). */
  batchSize?: number;
  /** Input files must lie under these directories (topology trust); absent: anywhere. */
  allowedRoots?: readonly string[];
  onFileError?: (error: InputError, rowsLost: number) => void;
}

/** Random access to one array's bytes: a file region (plain .npy, stored .npz member) or an inflated buffer. */
interface ByteRange {
  read(start: number, length: number): Promise<Uint8Array>;
  size: number;
}

function fileRange(fh: FileHandle, base: number, size: number, file: string): ByteRange {
  return {
    size,
    async read(start, length) {
      // An ArrayBuffer of its own keeps typed-array views aligned.
      const buf = new Uint8Array(new ArrayBuffer(length));
      const { bytesRead } = await fh.read(buf, 0, length, base + start);
      if (bytesRead < length)
        throw new InputError(`truncated: ${bytesRead} of ${length} bytes at offset ${base + start}`, { file });
      return buf;
    },
  };
}

function bufferRange(bytes: Uint8Array): ByteRange {
  return { size: bytes.length, read: async (start, length) => bytes.subarray(start, start + length) };
}

/** One array inside a file and how its columns are laid out. */
interface ArrayColumn {
  name: string;
  type: NpyScalar;
  offset: number;
  array: number;
}
interface ArrayPart {
  header: NpyHeader;
  bytes: ByteRange;
  rows: number;
  member?: string;
}

export class NumpySource implements Source {
  readonly description: string;
  constructor(private readonly options: NumpySourceOptions) {
    this.description = `numpy: ${options.path}`;
  }

  async *batches(signal?: AbortSignal): AsyncIterable<EventBatch> {
    const roots = this.options.allowedRoots;
    const files = (await expandPaths(this.options.path, '.npy', roots))
      .concat(/[*?]/.test(this.options.path) ? [] : await expandDirExtra(this.options.path, roots))
      .sort();
    if (files.length === 0) throw new SourceError(`numpy: no files match '${this.options.path}'`);
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
      throw new SourceError(`numpy: cannot open ${file}: ${(cause as Error).message}`, { cause });
    }
    const onError = this.options.onFileError;
    try {
      let parts: ArrayPart[];
      let columns: ArrayColumn[];
      let rows: number;
      try {
        parts = file.endsWith('.npz') ? await npzParts(fh, file) : [await npyPart(fh, file, 0, (await fh.stat()).size)];
        ({ columns, rows } = layout(parts, file, this.options.names));
      } catch (e) {
        if (e instanceof InputError && onError) {
          onError(e, 0);
          return;
        }
        throw e;
      }
      const wanted = this.options.columns ?? columns.filter((c) => c.type.size > 0).map((c) => c.name);
      const projected: ArrayColumn[] = [];
      let schemaError: InputError | undefined;
      for (const name of wanted) {
        const c = columns.find((x) => x.name === name);
        if (!c)
          schemaError ??= new InputError(
            `missing column (file has: ${columns.map((x) => x.name).join(', ')})`,
            { file, field: name },
            { reason: 'missing_column' },
          );
        else if (c.type.size <= 0)
          schemaError ??= new InputError(
            `wrong type: dtype '${c.type.descr}' is not numeric`,
            { file, field: name },
            { reason: 'bad_type' },
          );
        else projected.push(c);
      }
      if (schemaError) {
        if (!onError) throw schemaError;
        onError(schemaError, rows);
        return;
      }
      const batch = this.options.batchSize ?? 65536;
      for (let start = 0, g = 0; start < rows; start += batch, g++) {
        if (signal?.aborted) return;
        const n = Math.min(batch, rows - start);
        try {
          const out: Record<string, Column> = {};
          // Row-major arrays are read once per batch whatever the number of projected columns.
          const rowBlocks = new Map<ArrayPart, Promise<Uint8Array>>();
          for (const c of projected) out[c.name] = await readColumn(parts[c.array]!, c, start, n, file, rowBlocks);
          yield {
            length: n,
            columns: out,
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
      await fh.close();
    }
  }
}

async function expandDirExtra(location: string, allowedRoots?: readonly string[]): Promise<string[]> {
  // expandPaths filters a directory by one extension; .npz files in it are events too.
  try {
    const list = await expandPaths(location, '.npz', allowedRoots);
    return list.length === 1 && list[0] === location ? [] : list;
  } catch {
    return [];
  }
}

async function npyPart(fh: FileHandle, file: string, base: number, size: number, member?: string): Promise<ArrayPart> {
  const range = fileRange(fh, base, size, file);
  return partFrom(range, file, member);
}

async function partFrom(range: ByteRange, file: string, member?: string): Promise<ArrayPart> {
  if (range.size < NPY_PREFIX) throw new InputError(`not a .npy array: ${range.size} bytes`, { file, field: member });
  const headerLength = npyHeaderLength(await range.read(0, NPY_PREFIX), file);
  if (headerLength > range.size)
    throw new InputError(`truncated .npy header: ${range.size} of ${headerLength} bytes`, { file, field: member });
  const header = parseNpyHeader(await range.read(0, headerLength), file);
  const rows = header.shape[0] ?? 1;
  const need = header.dataOffset + header.shape.reduce((a, b) => a * b, 1) * header.itemSize;
  if (range.size < need) {
    throw new InputError(
      `truncated .npy data: ${range.size} bytes, shape ${JSON.stringify(header.shape)} needs ${need}`,
      { file, field: member },
    );
  }
  return { header, bytes: range, rows, member };
}

async function npzParts(fh: FileHandle, file: string): Promise<ArrayPart[]> {
  const { size } = await fh.stat();
  const tailLength = Math.min(size, 65536 + 22);
  const tail = await fileRange(fh, 0, size, file).read(size - tailLength, tailLength);
  const loc = zipDirectoryLocation(tail, size, file);
  const dir = await fileRange(fh, 0, size, file).read(loc.offset, loc.size);
  const members = parseZipDirectory(dir, loc.entries, file).filter((m) => m.name.endsWith('.npy'));
  const parts: ArrayPart[] = [];
  for (const m of members) parts.push(await memberPart(fh, file, size, m));
  return parts;
}

async function memberPart(fh: FileHandle, file: string, size: number, m: ZipMember): Promise<ArrayPart> {
  const name = m.name.slice(0, -4);
  const local = await fileRange(fh, 0, size, file).read(m.localHeaderOffset, 30);
  const dataOffset = zipDataOffset(local, m, file);
  if (dataOffset + m.compressedSize > size)
    throw new InputError(`truncated .npz member: needs ${dataOffset + m.compressedSize} bytes, file has ${size}`, {
      file,
      field: name,
    });
  if (m.method === 0) return npyPart(fh, file, dataOffset, m.size, name);
  if (m.method !== 8) throw new InputError(`unsupported zip compression method ${m.method}`, { file, field: name });
  // A deflated member is inflated whole (numpy.savez_compressed): memory is bounded by one member.
  const packed = await fileRange(fh, 0, size, file).read(dataOffset, m.compressedSize);
  let bytes: Uint8Array;
  try {
    const b = inflateRawSync(packed);
    bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (cause) {
    throw new InputError(`corrupt .npz member: ${(cause as Error).message}`, { file, field: name }, { cause });
  }
  return partFrom(bufferRange(bytes), file, name);
}

/** The columns the arrays of a file provide, and its row count. */
function layout(
  parts: ArrayPart[],
  file: string,
  names: string[] | undefined,
): { columns: ArrayColumn[]; rows: number } {
  if (!parts.length) throw new InputError('no arrays in the file', { file });
  const columns: ArrayColumn[] = [];
  parts.forEach((p, a) => {
    const h = p.header;
    if (h.fields) {
      if (h.shape.length !== 1)
        throw new InputError(`structured array of shape ${JSON.stringify(h.shape)} (need 1-D)`, {
          file,
          field: p.member,
        });
      for (const f of h.fields)
        columns.push({
          name: f.name,
          type: f.type ?? { kind: 'b', size: 0, littleEndian: true, descr: f.descr },
          offset: f.offset,
          array: a,
        });
    } else if (h.shape.length === 2) {
      if (!names)
        throw new InputError(
          `a 2-D array of ${h.shape[1]} columns needs the source option 'columns' naming them`,
          { file, field: p.member },
          { reason: 'missing_column' },
        );
      if (names.length !== h.shape[1])
        throw new InputError(
          `'columns' names ${names.length} columns, the array has ${h.shape[1]}`,
          { file, field: p.member },
          { reason: 'missing_column' },
        );
      names.forEach((name, j) => columns.push({ name, type: h.type!, offset: j, array: a }));
    } else if (h.shape.length === 1) {
      if (!p.member)
        throw new InputError(
          'a 1-D .npy array has no column name: store columns in a .npz (numpy.savez(f, mjj=...)) or a 2-D array',
          { file },
          { reason: 'missing_column' },
        );
      columns.push({ name: p.member, type: h.type!, offset: 0, array: a });
    } else {
      throw new InputError(`array of shape ${JSON.stringify(h.shape)}: need 1-D columns or a 2-D table`, {
        file,
        field: p.member,
      });
    }
  });
  const rows = parts[0]!.rows;
  const other = parts.find((p) => p.rows !== rows);
  if (other)
    throw new InputError(
      `arrays differ in length: ${parts[0]!.member ?? 'first'} has ${rows} rows, ${other.member} ${other.rows}`,
      { file, field: other.member },
    );
  return { columns, rows };
}

/** Hot: rows [start, start + n) of one column. */
async function readColumn(
  part: ArrayPart,
  c: ArrayColumn,
  start: number,
  n: number,
  file: string,
  rowBlocks: Map<ArrayPart, Promise<Uint8Array>>,
): Promise<Column> {
  const h = part.header;
  const t = c.type;
  const rowBlock = (rowBytes: number): Promise<Uint8Array> => {
    let b = rowBlocks.get(part);
    if (!b) {
      b = part.bytes.read(h.dataOffset + start * rowBytes, n * rowBytes);
      rowBlocks.set(part, b);
    }
    return b;
  };
  try {
    if (h.fields) return decodeStrided(await rowBlock(h.itemSize), c.offset, n, h.itemSize, t);
    if (h.shape.length === 1) {
      return decodeStrided(await part.bytes.read(h.dataOffset + start * t.size, n * t.size), 0, n, t.size, t);
    }
    const width = h.shape[1]!,
      rows = h.shape[0]!;
    if (h.fortranOrder) {
      // Column-major: each column is contiguous.
      const at = h.dataOffset + (c.offset * rows + start) * t.size;
      return decodeStrided(await part.bytes.read(at, n * t.size), 0, n, t.size, t);
    }
    return decodeStrided(await rowBlock(width * t.size), c.offset * t.size, n, width * t.size, t);
  } catch (e) {
    if (e instanceof InputError)
      throw new InputError(
        e.message.replace(`${file}: `, ''),
        { file, field: c.name, row: start },
        { cause: e, reason: e.reason },
      );
    throw e;
  }
}
