/**
 * Parquet writer for event batches, in the one layout the fast reader is built around: every column REQUIRED,
 * PLAIN-encoded, UNCOMPRESSED, no dictionary, one DATA_PAGE (v1) per column chunk, row groups of `rowGroupSize`
 * rows (default 65536). Float32Array columns are written as FLOAT, Float64Array as DOUBLE, the truth label as
 * INT32. A float page is then the column's own little-endian bytes, so writing is a memcpy per column and reading
 * can be a typed-array view.
 *
 * hyparquet-writer 0.17 only writes DATA_PAGE_V2 pages and converts value by value; this writer emits the page
 * and footer structures itself (Thrift compact protocol, parquet-format's parquet.thrift) and streams row group
 * by row group, so memory is bounded by one row group whatever the number of events.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { EventBatch } from '../events/batch.js';
import { SinkError } from '../events/errors.js';

export interface ParquetWriteOptions {
  /** Rows per row group (default 65536). */
  rowGroupSize?: number;
  /** Extra key/value metadata stored in the footer (e.g. generator seed and signal spec). */
  metadata?: Record<string, string>;
}

/** Columns given directly: name -> typed array (all the same length). */
export type ColumnSet = Record<string, Float32Array | Float64Array | Int32Array | Uint8Array>;

type PhysicalType = 'FLOAT' | 'DOUBLE' | 'INT32';
const TYPE_CODE: Record<PhysicalType, number> = { INT32: 1, FLOAT: 4, DOUBLE: 5 };
const TYPE_BYTES: Record<PhysicalType, number> = { INT32: 4, FLOAT: 4, DOUBLE: 8 };

interface ColumnChunkMeta {
  type: PhysicalType;
  name: string;
  offset: number;
  size: number;
  rows: number;
  min: number;
  max: number;
}
interface RowGroupMeta {
  rows: number;
  offset: number;
  size: number;
  chunks: ColumnChunkMeta[];
}

// ---- Thrift compact protocol (only what parquet's footer and page headers need) ------------------------------
const CT = { I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

export class ThriftWriter {
  private buf = new Uint8Array(1024);
  private len = 0;
  private lastField: number[] = [0];

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b & 0xff;
  }
  private varint(v: bigint): void {
    let x = v;
    while (x >= 0x80n) {
      this.byte(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.byte(Number(x));
  }
  private zigzag(v: number | bigint): void {
    const x = BigInt(v);
    this.varint(x >= 0n ? x << 1n : (-x << 1n) - 1n);
  }
  private header(id: number, type: number): void {
    const delta = id - this.lastField[this.lastField.length - 1]!;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.lastField[this.lastField.length - 1] = id;
  }
  i32(id: number, v: number): this {
    this.header(id, CT.I32);
    this.zigzag(v);
    return this;
  }
  i64(id: number, v: number | bigint): this {
    this.header(id, CT.I64);
    this.zigzag(v);
    return this;
  }
  binary(id: number, bytes: Uint8Array): this {
    this.header(id, CT.BINARY);
    this.varint(BigInt(bytes.length));
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }
  string(id: number, s: string): this {
    return this.binary(id, new TextEncoder().encode(s));
  }
  beginStruct(id: number): this {
    this.header(id, CT.STRUCT);
    this.lastField.push(0);
    return this;
  }
  endStruct(): this {
    this.byte(0);
    this.lastField.pop();
    return this;
  }
  private listHeader(id: number, size: number, elemType: number): void {
    this.header(id, CT.LIST);
    if (size < 15) this.byte((size << 4) | elemType);
    else {
      this.byte(0xf0 | elemType);
      this.varint(BigInt(size));
    }
  }
  listI32(id: number, values: number[]): this {
    this.listHeader(id, values.length, CT.I32);
    for (const v of values) this.zigzag(v);
    return this;
  }
  listString(id: number, values: string[]): this {
    this.listHeader(id, values.length, CT.BINARY);
    for (const v of values) {
      const b = new TextEncoder().encode(v);
      this.varint(BigInt(b.length));
      this.ensure(b.length);
      this.buf.set(b, this.len);
      this.len += b.length;
    }
    return this;
  }
  /** A list of structs; `each` writes one element's fields (the element's STOP is added here). */
  listStruct<T>(id: number, items: T[], each: (w: this, item: T) => void): this {
    this.listHeader(id, items.length, CT.STRUCT);
    for (const it of items) {
      this.lastField.push(0);
      each(this, it);
      this.byte(0);
      this.lastField.pop();
    }
    return this;
  }
  /** Finish the top-level struct and return its bytes. */
  finish(): Uint8Array {
    this.byte(0);
    return this.buf.slice(0, this.len);
  }
}

function littleEndianValue(type: PhysicalType, v: number): Uint8Array {
  const b = new Uint8Array(TYPE_BYTES[type]);
  const dv = new DataView(b.buffer);
  if (type === 'FLOAT') dv.setFloat32(0, v, true);
  else if (type === 'DOUBLE') dv.setFloat64(0, v, true);
  else dv.setInt32(0, v, true);
  return b;
}

/** Page header of a PLAIN, uncompressed DATA_PAGE holding `rows` values of a REQUIRED column. */
function pageHeader(rows: number, bytes: number, type: PhysicalType, min: number, max: number): Uint8Array {
  const w = new ThriftWriter()
    .i32(1, 0) // DATA_PAGE
    .i32(2, bytes)
    .i32(3, bytes)
    .beginStruct(5) // DataPageHeader
    .i32(1, rows)
    .i32(2, 0) // PLAIN
    .i32(3, 3) // definition levels: RLE (none written: REQUIRED)
    .i32(4, 3);
  if (rows > 0 && !Number.isNaN(min))
    w.beginStruct(5)
      .i64(3, 0)
      .binary(5, littleEndianValue(type, max))
      .binary(6, littleEndianValue(type, min))
      .endStruct();
  w.endStruct();
  return w.finish();
}

function physicalType(name: string, col: ArrayLike<number>): PhysicalType {
  if (col instanceof Float32Array) return 'FLOAT';
  if (col instanceof Float64Array) return 'DOUBLE';
  if (col instanceof Int32Array || col instanceof Uint8Array) return 'INT32';
  throw new SinkError(
    `parquet writer: column '${name}' has unsupported array type ${Object.prototype.toString.call(col)}`,
  );
}

/**
 * Streaming writer: `append` batches (or column sets), row groups are flushed as they fill; `close` writes the
 * footer. The column set and types are fixed by the first append.
 */
export class ParquetFileWriter {
  private fh: FileHandle | undefined;
  private offset = 0;
  private schema: { name: string; type: PhysicalType }[] | undefined;
  private pending: Map<string, ArrayLike<number>[]> = new Map();
  private pendingRows = 0;
  private readonly rowGroups: RowGroupMeta[] = [];
  private readonly rowGroupSize: number;

  private constructor(
    readonly file: string,
    private readonly options: ParquetWriteOptions,
  ) {
    this.rowGroupSize = options.rowGroupSize ?? 65536;
    if (!(Number.isInteger(this.rowGroupSize) && this.rowGroupSize > 0))
      throw new SinkError(`parquet writer: ${file}: rowGroupSize must be a positive integer`);
  }

  static async create(file: string, options: ParquetWriteOptions = {}): Promise<ParquetFileWriter> {
    const w = new ParquetFileWriter(file, options);
    try {
      w.fh = await open(file, 'w');
    } catch (e) {
      throw new SinkError(`parquet writer: ${file}: cannot open for writing: ${(e as Error).message}`, { cause: e });
    }
    await w.write(new TextEncoder().encode('PAR1'));
    return w;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.fh!.write(bytes, done, bytes.length - done, this.offset + done);
      done += bytesWritten;
    }
    this.offset += bytes.length;
  }

  /** Append a batch: its selected events (all if no selection), its float columns and its label as `label`. */
  async appendBatch(batch: EventBatch): Promise<void> {
    const cols: ColumnSet = {};
    const sel = batch.selection;
    for (const [name, col] of Object.entries(batch.columns)) {
      if (!sel) {
        cols[name] = col.length === batch.length ? col : col.subarray(0, batch.length);
        continue;
      }
      const out = col instanceof Float32Array ? new Float32Array(sel.length) : new Float64Array(sel.length);
      for (let i = 0; i < sel.length; i++) out[i] = col[sel[i]!]!;
      cols[name] = out;
    }
    if (batch.label) {
      const lab = new Int32Array(sel ? sel.length : batch.length);
      for (let i = 0; i < lab.length; i++) lab[i] = batch.label[sel ? sel[i]! : i]!;
      cols.label = lab;
    }
    await this.appendColumns(cols);
  }

  async appendColumns(cols: ColumnSet): Promise<void> {
    const names = Object.keys(cols);
    if (names.length === 0) return;
    const n = cols[names[0]!]!.length;
    for (const name of names) {
      if (cols[name]!.length !== n)
        throw new SinkError(
          `parquet writer: ${this.file}: column '${name}' has ${cols[name]!.length} rows, '${names[0]}' has ${n}`,
        );
    }
    if (!this.schema) {
      this.schema = names.map((name) => ({ name, type: physicalType(name, cols[name]!) }));
      for (const s of this.schema) this.pending.set(s.name, []);
    } else {
      const expected = this.schema.map((s) => s.name).join(',');
      if ([...names].sort().join(',') !== [...this.schema.map((s) => s.name)].sort().join(',')) {
        throw new SinkError(
          `parquet writer: ${this.file}: columns [${names.join(', ')}] differ from the first batch's [${expected}]`,
        );
      }
      for (const s of this.schema) {
        const t = physicalType(s.name, cols[s.name]!);
        if (t !== s.type)
          throw new SinkError(`parquet writer: ${this.file}: column '${s.name}' changed type from ${s.type} to ${t}`);
      }
    }
    let start = 0;
    while (start < n) {
      const take = Math.min(n - start, this.rowGroupSize - this.pendingRows);
      for (const s of this.schema) {
        const c = cols[s.name]! as Float32Array | Float64Array | Int32Array | Uint8Array;
        this.pending.get(s.name)!.push(c.subarray(start, start + take));
      }
      this.pendingRows += take;
      start += take;
      if (this.pendingRows === this.rowGroupSize) await this.flushRowGroup();
    }
  }

  private async flushRowGroup(): Promise<void> {
    const rows = this.pendingRows;
    if (rows === 0 || !this.schema) return;
    const groupOffset = this.offset;
    const chunks: ColumnChunkMeta[] = [];
    for (const s of this.schema) {
      const parts = this.pending.get(s.name)!;
      const data = concatAs(s.type, parts, rows);
      let min = Infinity,
        max = -Infinity;
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (min === Infinity) {
        min = NaN;
        max = NaN;
      }
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const header = pageHeader(rows, bytes.length, s.type, min, max);
      const offset = this.offset;
      await this.write(header);
      await this.write(bytes);
      chunks.push({ type: s.type, name: s.name, offset, size: header.length + bytes.length, rows, min, max });
      parts.length = 0;
    }
    this.rowGroups.push({ rows, offset: groupOffset, size: this.offset - groupOffset, chunks });
    this.pendingRows = 0;
  }

  /** Flush the last row group, write the footer, close the file. Returns the number of rows written. */
  async close(): Promise<number> {
    try {
      await this.flushRowGroup();
      const schema = this.schema ?? [];
      const totalRows = this.rowGroups.reduce((a, g) => a + g.rows, 0);
      const w = new ThriftWriter().i32(1, 1);
      w.listStruct(
        2,
        [{ root: true, name: 'schema', type: 'INT32' as PhysicalType }, ...schema.map((s) => ({ root: false, ...s }))],
        (t, el) => {
          if (el.root) t.string(4, el.name).i32(5, schema.length);
          else t.i32(1, TYPE_CODE[el.type]).i32(3, 0).string(4, el.name); // REQUIRED
        },
      );
      w.i64(3, totalRows);
      w.listStruct(4, this.rowGroups, (t, g) => {
        t.listStruct(1, g.chunks, (tc, c) => {
          tc.i64(2, c.offset)
            .beginStruct(3)
            .i32(1, TYPE_CODE[c.type])
            .listI32(2, [0])
            .listString(3, [c.name])
            .i32(4, 0)
            .i64(5, c.rows)
            .i64(6, c.size)
            .i64(7, c.size)
            .i64(9, c.offset);
          if (!Number.isNaN(c.min))
            tc.beginStruct(12)
              .i64(3, 0)
              .binary(5, littleEndianValue(c.type, c.max))
              .binary(6, littleEndianValue(c.type, c.min))
              .endStruct();
          tc.endStruct();
        });
        t.i64(2, g.size).i64(3, g.rows).i64(5, g.offset).i64(6, g.size);
      });
      const kv = Object.entries(this.options.metadata ?? {});
      if (kv.length)
        w.listStruct(5, kv, (t, [k, v]) => {
          t.string(1, k).string(2, v);
        });
      w.string(6, 'sideband parquet writer');
      const footer = w.finish();
      const tail = new Uint8Array(8);
      new DataView(tail.buffer).setUint32(0, footer.length, true);
      tail.set(new TextEncoder().encode('PAR1'), 4);
      await this.write(footer);
      await this.write(tail);
      return totalRows;
    } finally {
      await this.fh?.close();
      this.fh = undefined;
    }
  }
}

function concatAs(
  type: PhysicalType,
  parts: ArrayLike<number>[],
  rows: number,
): Float32Array | Float64Array | Int32Array {
  const out =
    type === 'FLOAT' ? new Float32Array(rows) : type === 'DOUBLE' ? new Float64Array(rows) : new Int32Array(rows);
  if (parts.length === 1 && parts[0]!.constructor === out.constructor) return parts[0] as typeof out;
  let at = 0;
  for (const p of parts) {
    if (p.constructor === out.constructor) out.set(p as typeof out, at);
    else for (let i = 0; i < p.length; i++) out[at + i] = p[i]!;
    at += p.length;
  }
  return out;
}

function isColumnSet(x: unknown): x is ColumnSet {
  return typeof x === 'object' && x !== null && !(Symbol.asyncIterator in x) && !(Symbol.iterator in x);
}

/**
 * Write batches (an async or sync iterable, consumed row group by row group) or a column set to `file`.
 * Returns the number of rows written.
 */
export async function writeParquet(
  file: string,
  input: AsyncIterable<EventBatch> | Iterable<EventBatch> | ColumnSet,
  options: ParquetWriteOptions = {},
): Promise<number> {
  const w = await ParquetFileWriter.create(file, options);
  try {
    if (isColumnSet(input)) await w.appendColumns(input);
    else for await (const b of input as AsyncIterable<EventBatch>) await w.appendBatch(b);
  } catch (e) {
    await w.close().catch(() => undefined);
    throw e;
  }
  return w.close();
}
