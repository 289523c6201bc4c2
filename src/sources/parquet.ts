import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { getSchemaPath, getMaxDefinitionLevel } from 'hyparquet/src/schema.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { compressors } from 'hyparquet-compressors';
import type {
  ColumnDecoder,
  FileMetaData,
  SchemaElement,
  ColumnChunk,
  PageHeader,
  RowGroup,
} from 'hyparquet/src/types.js';
import type { Column, EventBatch } from '../events/batch.js';
import { InputError, SourceError } from '../events/errors.js';
import { checkFooter, readFooter } from './parquet-footer.js';
import { expandPaths } from './paths.js';
import type { Source } from './source.js';

/**
 * Parquet source: a file, a directory or a glob, streamed row group by row group with column projection.
 *
 * Why not a general reader: measured here, parquetjs-lite reads ~22k rows/s and hyparquet's row assembly
 * ~2.4M rows/s, too slow for a 10M events/s pipeline. Physics ntuples are flat numeric columns, so this
 * reader decodes each projected column chunk page by page straight into a typed array: PLAIN pages become
 * zero-copy views (or one `set`), compressed pages go through hyparquet's codecs (snappy, zstd, gzip,
 * brotli, lz4), dictionary and other encodings through hyparquet's page decoders. Memory is bounded by one row
 * group of the projected columns.
 */
export interface ParquetSourceOptions {
  /** File, directory (every *.parquet inside, sorted) or glob ("data/run-*.parquet"). */
  path: string;
  /** Source column names to read; absent = every numeric leaf column. */
  columns?: string[];
  /**
   * Called for a file or row group that cannot be read at all (the rest of the run goes on), with the rows lost:
   * a number when the footer's counts were verified against the file, undefined when they cannot be trusted.
   */
  onFileError?: (error: InputError, rowsLost: number | undefined) => void;
  /** Every input file must lie under one of these directories (symbolic links resolved); absent: anywhere. */
  allowedRoots?: readonly string[];
  /** Resume: skip the files sorted before `file` and its row groups before `rowGroup` (a run's checkpoint). */
  start?: { file: string; rowGroup: number };
  /** Bytes one row group's projected columns may take once decoded (default 1 GiB); a larger one is refused. */
  maxRowGroupBytes?: number;
}

/** Numeric physical types the reader turns into Float32/Float64 columns. */
const NUMERIC = new Set(['FLOAT', 'DOUBLE', 'INT32', 'INT64', 'BOOLEAN']);

export class ParquetSource implements Source {
  readonly description: string;
  constructor(readonly options: ParquetSourceOptions) {
    this.description = `parquet: ${options.path}`;
  }

  async *batches(signal?: AbortSignal): AsyncIterable<EventBatch> {
    const o = this.options;
    const { files, first } = await inputFiles(o);
    for (let f = first; f < files.length; f++) {
      if (signal?.aborted) return;
      const skip = o.start && f === first ? o.start.rowGroup : 0;
      yield* readParquetFile(files[f]!, o, skip, signal);
    }
  }
}

/** The input files in read order, and the index of the first one to read (a resumed run skips those before). */
async function inputFiles(o: ParquetSourceOptions): Promise<{ files: string[]; first: number }> {
  const files = await expandPaths(o.path, '.parquet', o.allowedRoots);
  if (files.length === 0) throw new SourceError(`parquet: no files match '${o.path}'`);
  let first = 0;
  if (o.start) {
    first = files.indexOf(o.start.file);
    if (first < 0)
      throw new SourceError(`parquet: cannot resume at ${o.start.file}: it is no longer among the input files`);
  }
  return { files, first };
}

/**
 * One step of a Parquet read in file order, for readers that decode row groups elsewhere (worker threads): a row
 * group to decode, or a file (or its rest) that cannot be read, with the rows lost (undefined: unknown).
 */
export type RowGroupTask =
  | { kind: 'rowGroup'; file: string; rowGroup: number; rows: number }
  | { kind: 'lost'; error: InputError; rowsLost: number | undefined };

/**
 * The row groups `batches()` would decode, in the same order, with file-level losses in their place; the footers
 * are read and checked here, the data is not.
 */
export async function* parquetRowGroups(o: ParquetSourceOptions, signal?: AbortSignal): AsyncIterable<RowGroupTask> {
  const { files, first } = await inputFiles(o);
  for (let f = first; f < files.length; f++) {
    if (signal?.aborted) return;
    const file = files[f]!;
    const skip = o.start && f === first ? o.start.rowGroup : 0;
    const lost: RowGroupTask[] = [];
    const fh = await openParquet(file);
    let plan: ParquetFilePlan | undefined;
    try {
      plan = await planParquetFile(fh, file, o.columns, skip, (error, rowsLost) =>
        lost.push({ kind: 'lost', error, rowsLost }),
      );
    } finally {
      await fh.close();
    }
    if (!o.onFileError && lost.length) throw (lost[0] as { error: InputError }).error;
    yield* lost;
    if (!plan) continue;
    for (let g = skip; g < plan.rowGroupRows.length; g++)
      yield { kind: 'rowGroup', file, rowGroup: g, rows: plan.rowGroupRows[g]! };
  }
}

/** Row count of a file from its footer, without reading data; throws InputError when the footer is not trusted. */
export async function parquetRowCount(file: string): Promise<number> {
  const fh = await openParquet(file);
  try {
    const { meta, footerStart } = await readFooter(fh, file);
    const checked = checkFooter(meta, footerStart, leafColumns(meta.schema).length);
    if (checked.untrusted) throw new InputError(`untrusted footer: ${checked.untrusted}`, { file });
    return checked.rows;
  } finally {
    await fh.close();
  }
}

/** The footer's key–value metadata (e.g. `sideband.generator`, the options a generated file was made with). */
export async function parquetKeyValues(file: string): Promise<Record<string, string>> {
  const fh = await openParquet(file);
  try {
    const { meta } = await readFooter(fh, file);
    return Object.fromEntries((meta.key_value_metadata ?? []).map((kv) => [kv.key, kv.value ?? '']));
  } finally {
    await fh.close();
  }
}

export async function openParquet(file: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    // Non-blocking open: a FIFO swapped in for the file after it was listed must not block the run forever.
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new SourceError(`parquet: cannot open ${file}: ${(cause as Error).message}`, { cause });
  }
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    throw new SourceError(`parquet: ${file} is not a regular file`);
  }
  return fh;
}

/** One file's footer, checked, and its projected columns: what decoding any of its row groups needs. */
export interface ParquetFilePlan {
  file: string;
  meta: FileMetaData;
  projected: Leaf[];
  rowGroupRows: number[];
  /** Row number of each row group's first row. */
  rowStarts: number[];
  /**
   * Per projected column, the length of the first page header of its last decoded chunk (-1 before one is
   * decoded): the next row group's chunks are read at an offset that puts their values on an 8-byte boundary, so
   * a PLAIN page becomes a typed-array view instead of a copy (a column's header length rarely changes).
   */
  headerBytes: number[];
}

/**
 * Read and check a file's footer and resolve the projection. A file that cannot give its events (untrusted footer,
 * missing or non-numeric column) is reported to `onFileError` with the rows lost from row group `skipRowGroups` on
 * (undefined when the footer cannot be trusted) and gives undefined; without `onFileError` it throws.
 */
export async function planParquetFile(
  fh: FileHandle,
  file: string,
  wanted: readonly string[] | undefined,
  skipRowGroups: number,
  onFileError?: ParquetSourceOptions['onFileError'],
): Promise<ParquetFilePlan | undefined> {
  let meta: FileMetaData;
  let rowGroupRows: number[];
  let leaves: Leaf[];
  try {
    const footer = await readFooter(fh, file);
    meta = footer.meta;
    leaves = leafColumns(meta.schema);
    const checked = checkFooter(meta, footer.footerStart, leaves.length);
    if (checked.untrusted) throw new InputError(`untrusted footer (rows unknown): ${checked.untrusted}`, { file });
    rowGroupRows = checked.rowGroupRows;
  } catch (e) {
    // No footer to believe: the file's events cannot be counted, only reported as unknown.
    if (e instanceof InputError && onFileError) {
      onFileError(e, undefined);
      return undefined;
    }
    throw e;
  }
  const rowStarts: number[] = [];
  let at = 0;
  for (const r of rowGroupRows) {
    rowStarts.push(at);
    at += r;
  }
  const names = wanted ?? leaves.filter((l) => NUMERIC.has(l.element.type ?? '')).map((l) => l.name);
  const projected: Leaf[] = [];
  let schemaError: InputError | undefined;
  for (const name of names) {
    const leaf = leaves.find((l) => l.name === name);
    if (!leaf)
      schemaError ??= new InputError(
        `missing column (file has: ${leaves.map((l) => l.name).join(', ')})`,
        { file, field: name },
        { reason: 'missing_column' },
      );
    else if (!NUMERIC.has(leaf.element.type ?? ''))
      schemaError ??= new InputError(
        `wrong type: ${leaf.element.type} is not numeric`,
        { file, field: name },
        { reason: 'bad_type' },
      );
    else projected.push(leaf);
  }
  if (schemaError) {
    // The file cannot give these events: every row is lost, counted, and the run goes on with the next file.
    if (!onFileError) throw schemaError;
    onFileError(schemaError, at - (rowStarts[skipRowGroups] ?? at));
    return undefined;
  }
  return { file, meta, projected, rowGroupRows, rowStarts, headerBytes: projected.map(() => -1) };
}

/** Read the projected column chunks of row group `g` (or an Error to rethrow when it is decoded). */
export function fetchRowGroup(fh: FileHandle, plan: ParquetFilePlan, g: number): Promise<Uint8Array[] | Error> {
  return readRowGroupBytes(fh, plan.file, plan.meta.row_groups[g]!, plan.projected, plan.headerBytes).catch(
    (e: Error) => e,
  );
}

/**
 * Decode row group `g` from its projected chunks into a raw batch. Throws an InputError naming file, field and
 * row for a row group that cannot be decoded (it is lost whole; its row count is trusted: the footer was checked).
 */
export function decodeRowGroup(
  plan: ParquetFilePlan,
  g: number,
  bytes: Uint8Array[] | Error,
  maxRowGroupBytes = 1 << 30,
): EventBatch {
  const { file, meta, projected } = plan;
  const rows = plan.rowGroupRows[g]!;
  const rowStart = plan.rowStarts[g]!;
  try {
    if (bytes instanceof Error) throw bytes;
    const decodedBytes = projected.reduce((a, l) => a + rows * (l.element.type === 'FLOAT' ? 4 : 8), 0);
    if (decodedBytes > maxRowGroupBytes)
      throw new InputError(
        `row group ${g} of ${rows} rows would take ${decodedBytes} bytes decoded (limit ${maxRowGroupBytes})`,
        { file, row: rowStart },
        { reason: 'too_large' },
      );
    const columns: Record<string, Column> = {};
    for (let c = 0; c < projected.length; c++) {
      const leaf = projected[c]!;
      columns[leaf.name] = decodeColumnChunk(
        bytes[c]!,
        file,
        meta.schema,
        leaf,
        meta.row_groups[g]!.columns[leaf.index]!,
        rows,
        rowStart,
        (h) => {
          plan.headerBytes[c] = h;
        },
      );
    }
    return {
      length: rows,
      columns,
      positions: [{ kind: 'file', file, rowGroup: g, rowStart, rowEnd: rowStart + rows }],
      rowOffset: rowStart,
    };
  } catch (e) {
    throw e instanceof InputError
      ? e
      : new InputError(`row group ${g}: ${(e as Error).message}`, { file, row: rowStart }, { cause: e });
  }
}

async function* readParquetFile(
  file: string,
  o: ParquetSourceOptions,
  skipRowGroups: number,
  signal?: AbortSignal,
): AsyncIterable<EventBatch> {
  const { onFileError } = o;
  const fh = await openParquet(file);
  try {
    const plan = await planParquetFile(fh, file, o.columns, skipRowGroups, onFileError);
    if (!plan) return;
    const groups = plan.rowGroupRows.length;
    // Prefetch: the next row group's bytes are read while this one is decoded and processed downstream.
    let pending = skipRowGroups < groups ? fetchRowGroup(fh, plan, skipRowGroups) : undefined;
    for (let g = skipRowGroups; g < groups; g++) {
      if (signal?.aborted) return;
      const bytes = await pending!;
      pending = g + 1 < groups ? fetchRowGroup(fh, plan, g + 1) : undefined;
      let batch: EventBatch;
      try {
        batch = decodeRowGroup(plan, g, bytes, o.maxRowGroupBytes);
      } catch (e) {
        if (!onFileError) throw e;
        onFileError(e as InputError, plan.rowGroupRows[g]!);
        continue;
      }
      yield batch;
    }
    await pending;
  } finally {
    await fh.close();
  }
}

export interface Leaf {
  name: string;
  index: number;
  element: SchemaElement;
}

function leafColumns(schema: SchemaElement[]): Leaf[] {
  const leaves: Leaf[] = [];
  for (let i = 1; i < schema.length; i++) {
    const el = schema[i]!;
    if (!el.num_children) leaves.push({ name: el.name, index: leaves.length, element: el });
  }
  return leaves;
}

function chunkRange(chunk: ColumnChunk): [number, number] {
  const md = chunk.meta_data!;
  const start = Number(md.dictionary_page_offset ?? md.data_page_offset);
  return [start, start + Number(md.total_compressed_size)];
}

/**
 * Read the projected column chunks of a row group: one read of the whole span when the projected chunks fill
 * most of it (one syscall instead of one per column), else one read per chunk. When every column's header length
 * is known (`headerBytes`, from the row group before), one read per chunk, each at the offset in its own buffer that
 * aligns its values: the copy a misaligned page needs costs more than the extra reads.
 */
async function readRowGroupBytes(
  fh: FileHandle,
  file: string,
  rg: RowGroup,
  leaves: Leaf[],
  headerBytes?: number[],
): Promise<Uint8Array[]> {
  const ranges = leaves.map((l) => {
    if (!rg.columns[l.index]?.meta_data) throw new InputError('column chunk has no metadata', { file, field: l.name });
    return chunkRange(rg.columns[l.index]!);
  });
  const lo = Math.min(...ranges.map((r) => r[0])),
    hi = Math.max(...ranges.map((r) => r[1]));
  const wanted = ranges.reduce((a, r) => a + r[1] - r[0], 0);
  const readExact = async (start: number, length: number, field: string, pad = 0): Promise<Uint8Array> => {
    // Not zero-filled: every byte is read over (a short read is an error below). A plain Uint8Array view, as
    // Buffer's slice() would not copy where the decoder needs a copy (unaligned pages).
    const raw = Buffer.allocUnsafeSlow(length + pad);
    const buf = new Uint8Array(raw.buffer, raw.byteOffset + pad, length);
    const { bytesRead } = await fh.read(buf, 0, length, start);
    if (bytesRead < length)
      throw new InputError(`truncated column chunk: ${bytesRead} of ${length} bytes at offset ${start}`, {
        file,
        field,
      });
    return buf;
  };
  if (headerBytes?.every((h) => h >= 0)) {
    return Promise.all(
      ranges.map(([a, b], i) => readExact(a, b - a, leaves[i]!.name, (8 - (headerBytes[i]! % 8)) % 8)),
    );
  }
  if (wanted >= 0.5 * (hi - lo)) {
    const span = await readExact(lo, hi - lo, leaves.map((l) => l.name).join(','));
    return ranges.map(([a, b]) => span.subarray(a - lo, b - lo));
  }
  return Promise.all(ranges.map(([a, b], i) => readExact(a, b - a, leaves[i]!.name)));
}

/**
 * Decode one column chunk into a typed array of `rows` values (null → NaN, so validation rejects that row).
 * Hot: for the common single-page PLAIN FLOAT/DOUBLE chunk with no nulls the result is a view, not a copy.
 */
function decodeColumnChunk(
  bytes: Uint8Array,
  file: string,
  schema: SchemaElement[],
  leaf: Leaf,
  chunk: ColumnChunk,
  rows: number,
  rowStart: number,
  onFirstHeader?: (bytes: number) => void,
): Column {
  const md = chunk.meta_data!;
  const length = bytes.length;
  const schemaPath = getSchemaPath(schema, [leaf.name]);
  const decoder: ColumnDecoder = {
    pathInSchema: md.path_in_schema,
    type: md.type,
    element: leaf.element,
    schemaPath,
    codec: md.codec,
    parsers: {} as ColumnDecoder['parsers'],
    compressors,
  };
  const maxDef = getMaxDefinitionLevel(schemaPath);
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  let out: Float32Array | Float64Array | undefined;
  let filled = 0;
  let dictionary: ArrayLike<number> | undefined;
  while (filled < rows && reader.offset < length) {
    const header = parquetHeader(reader);
    if (filled === 0 && !dictionary) onFirstHeader?.(reader.offset);
    checkPageHeader(header, length - reader.offset, rows - filled, rows, file, leaf.name, rowStart + filled);
    const body = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(body, header.uncompressed_page_size, md.codec, compressors);
      const dictReader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
      dictionary = toNumbers(
        readPlain(dictReader, md.type, header.dictionary_page_header!.num_values, leaf.element.type_length),
      );
      continue;
    }
    const page0 = plainPageValues(header, body, md.type, md.codec, maxDef);
    if (page0) {
      const plain = page0 instanceof Int32Array ? Float64Array.from(page0) : page0;
      // Hot path: a PLAIN page with no nulls is one typed-array view over the (decompressed) page.
      if (!out && filled === 0 && plain.length === rows) return plain;
      out ??= md.type === 'FLOAT' ? new Float32Array(rows) : new Float64Array(rows);
      if (filled + plain.length > rows)
        throw new InputError(`column chunk holds more values than the row group's ${rows} rows`, {
          file,
          field: leaf.name,
          row: rowStart,
        });
      out.set(plain, filled);
      filled += plain.length;
      continue;
    }
    let page: ReturnType<typeof readDataPage>;
    let encoding: string;
    if (header.type === 'DATA_PAGE') {
      const daph = header.data_page_header!;
      encoding = daph.encoding;
      page = readDataPage(decompressPage(body, header.uncompressed_page_size, md.codec, compressors), daph, decoder);
    } else if (header.type === 'DATA_PAGE_V2') {
      encoding = header.data_page_header_v2!.encoding;
      page = readDataPageV2(body, header, decoder);
    } else {
      continue; // index pages carry no values
    }
    const values = encoding.endsWith('DICTIONARY')
      ? dereference(page.dataPage as ArrayLike<number>, dictionary, leaf.name)
      : toNumbers(page.dataPage);
    const defs = (page.definitionLevels ?? []) as ArrayLike<number>;
    const pageRows = defs.length ? defs.length : values.length;
    if (
      !out &&
      filled === 0 &&
      pageRows === rows &&
      defs.length === 0 &&
      (values instanceof Float32Array || values instanceof Float64Array)
    ) {
      return values; // hot path: one PLAIN page, no nulls: zero copy
    }
    out ??= md.type === 'FLOAT' ? new Float32Array(rows) : new Float64Array(rows);
    if (filled + pageRows > rows)
      throw new InputError(`column chunk holds more values than the row group's ${rows} rows`, {
        file,
        field: leaf.name,
        row: rowStart,
      });
    if (defs.length === 0) {
      out.set(values as ArrayLike<number>, filled);
    } else {
      for (let i = 0, v = 0; i < defs.length; i++) out[filled + i] = defs[i] === maxDef ? values[v++]! : NaN;
    }
    filled += pageRows;
  }
  if (filled !== rows) {
    throw new InputError(`column chunk ends after ${filled} of ${rows} values`, {
      file,
      field: leaf.name,
      row: rowStart + filled,
    });
  }
  return out!;
}

/**
 * Limits on a page header, checked before its page is decompressed or decoded: the sizes it declares must fit in
 * the bytes left in the chunk and in what `remaining` rows can need (8 bytes a value plus levels), and its value
 * count in the rows left. hyparquet sizes its buffers and loops by these fields, so a corrupt header would
 * otherwise allocate gigabytes or loop for minutes.
 */
function checkPageHeader(
  h: PageHeader,
  bytesLeft: number,
  remaining: number,
  rows: number,
  file: string,
  field: string,
  row: number,
): void {
  const bad = (why: string) => new InputError(`corrupt page header: ${why}`, { file, field, row });
  const ok = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!ok(h.compressed_page_size) || h.compressed_page_size > bytesLeft)
    throw bad(`page of ${h.compressed_page_size} bytes, ${bytesLeft} left in the column chunk`);
  const maxPage = 10 * rows + 65536;
  if (!ok(h.uncompressed_page_size) || h.uncompressed_page_size > maxPage)
    throw bad(`page of ${h.uncompressed_page_size} bytes uncompressed, at most ${maxPage} for ${rows} rows`);
  const values =
    h.data_page_header?.num_values ?? h.data_page_header_v2?.num_values ?? h.dictionary_page_header?.num_values;
  const limit = h.type === 'DICTIONARY_PAGE' ? rows : remaining;
  if (values !== undefined && (!ok(values) || values > limit))
    throw bad(`${values} values in a page, at most ${limit}`);
  const v2 = h.data_page_header_v2;
  if (v2 && (!ok(v2.num_nulls) || v2.num_nulls > v2.num_values || !ok(v2.definition_levels_byte_length)))
    throw bad('inconsistent null and level counts');
  if (v2 && v2.definition_levels_byte_length + (v2.repetition_levels_byte_length ?? 0) > h.compressed_page_size)
    throw bad('levels longer than the page');
}

const PLAIN_WIDTH: Record<string, number> = { FLOAT: 4, DOUBLE: 8, INT32: 4 };

/**
 * Values of a PLAIN-encoded FLOAT/DOUBLE/INT32 data page without nulls, as a typed array (a view when the page
 * is uncompressed and aligned), or undefined when the page needs the general decoder (dictionary or other
 * encodings, nulls, repeated fields). Skips decoding definition levels when they say "all present": a v2 page
 * reports num_nulls; a v1 page's levels are then a single RLE run of the maximum level.
 */
function plainPageValues(
  header: PageHeader,
  body: Uint8Array,
  type: string,
  codec: string,
  maxDef: number,
): Float32Array | Float64Array | Int32Array | undefined {
  const width = PLAIN_WIDTH[type];
  if (!width) return undefined;
  let values: Uint8Array;
  let count: number;
  if (header.type === 'DATA_PAGE') {
    const h = header.data_page_header!;
    if (h.encoding !== 'PLAIN') return undefined;
    const page = decompressPage(body, header.uncompressed_page_size, codec as never, compressors);
    let at = 0;
    if (maxDef > 0) {
      if (h.definition_level_encoding !== 'RLE' || page.length < 5) return undefined;
      const len = page[0]! | (page[1]! << 8) | (page[2]! << 16) | (page[3]! << 24);
      // One RLE run: varint header (count << 1), then the level in ceil(bitWidth / 8) = 1 byte for maxDef < 256.
      let p = 4,
        shift = 0,
        runHeader = 0,
        b: number;
      do {
        b = page[p++]!;
        runHeader |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80 && shift < 35);
      if ((runHeader & 1) !== 0 || runHeader >>> 1 !== h.num_values || page[p] !== maxDef) return undefined;
      at = 4 + len;
    }
    count = h.num_values;
    values = page.subarray(at);
  } else if (header.type === 'DATA_PAGE_V2') {
    const h = header.data_page_header_v2!;
    if (h.encoding !== 'PLAIN' || h.num_nulls !== 0 || h.repetition_levels_byte_length !== 0) return undefined;
    const levels = h.definition_levels_byte_length;
    const rest = body.subarray(levels);
    values =
      h.is_compressed === false || codec === 'UNCOMPRESSED'
        ? rest
        : decompressPage(rest, header.uncompressed_page_size - levels, codec as never, compressors);
    count = h.num_values;
  } else {
    return undefined;
  }
  if (values.length < count * width) return undefined;
  const aligned = values.byteOffset % width === 0 ? values : values.slice(0, count * width);
  const ctor = type === 'FLOAT' ? Float32Array : type === 'DOUBLE' ? Float64Array : Int32Array;
  return new ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, count);
}

/** Typed view of decoded page values as numbers (INT64 via Number, booleans as 0/1). */
function toNumbers(data: unknown): Float32Array | Float64Array | Int32Array | number[] {
  if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array) return data;
  if (data instanceof BigInt64Array) return Array.from(data, Number);
  if (Array.isArray(data)) return data.map((x) => (typeof x === 'boolean' ? (x ? 1 : 0) : Number(x)));
  if (ArrayBuffer.isView(data)) return Array.from(data as unknown as ArrayLike<number>, Number);
  throw new InputError(`unsupported page data ${Object.prototype.toString.call(data)}`);
}

function dereference(
  indices: ArrayLike<number>,
  dictionary: ArrayLike<number> | undefined,
  field: string,
): Float64Array {
  if (!dictionary) throw new InputError(`dictionary-encoded page of ${field} before any dictionary page`);
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = dictionary[indices[i]!]!;
  return out;
}
