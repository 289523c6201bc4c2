/**
 * Reader of Arrow IPC streams (https://arrow.apache.org/docs/format/Columnar.html#ipc-streaming-format) of flat
 * numeric columns, with hard limits checked before anything is allocated: the message size, the metadata and body
 * lengths each message declares, every buffer's offset and length against the body, every column's row count
 * against the bytes of its buffers, and the total size of what decoding will produce. What passes the checks is
 * decoded into typed arrays: views over the message where the data is aligned, one copy otherwise.
 *
 * Why not apache-arrow's tableFromIPC: it trusts the lengths a message declares. Of 200 fuzzed 32 KB messages, 4 made
 * it allocate until Node aborted (a 1 GB heap gone in 14 s) and more hung (issue 19); one poison message then kills
 * every consumer that reads it. This reader does only what sideband's event topics need (Int, FloatingPoint and
 * Bool columns, no dictionaries, no compression), so each check is simple and all of them run on every message.
 * apache-arrow still writes the messages (src/formats/arrow.ts), and the tests compare the two on valid input.
 */
import { SidebandError } from '../events/errors.js';
import { FlatBufferError, FlatTable } from './flatbuffer.js';

/** Limits on one message; a message beyond any of them is rejected whole. */
export interface ArrowLimits {
  /** Bytes of one Kafka message value (default 64 MiB). */
  maxMessageBytes: number;
  /** Rows of one message, over all its record batches (default 4,194,304). */
  maxRows: number;
  /** Columns of the schema (default 256). */
  maxColumns: number;
  /** Bytes the decoded columns may take, all together (default 256 MiB; integers widen to float64). */
  maxDecodedBytes: number;
}

export const DEFAULT_ARROW_LIMITS: ArrowLimits = {
  maxMessageBytes: 64 << 20,
  maxRows: 1 << 22,
  maxColumns: 256,
  maxDecodedBytes: 256 << 20,
};

/** Why a stream was refused: 'malformed' (structure, lengths), 'too_large' (a limit) or 'unsupported' (a type). */
export class ArrowStreamError extends SidebandError {
  constructor(
    readonly fault: 'malformed' | 'too_large' | 'unsupported',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** One column of the schema, as this reader supports it. */
interface ColumnType {
  name: string;
  kind: 'int' | 'float' | 'bool';
  /** Bytes per value (bool: 0, bit-packed). */
  width: number;
  signed: boolean;
}

export interface ArrowStream {
  names: string[];
  length: number;
  /** One array per column, in schema order: float32/float64 as they are, integers and booleans as float64. */
  columns: (Float32Array | Float64Array)[];
}

const CONTINUATION = 0xffffffff;
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;
const HEADER_RECORD_BATCH = 3;
const TYPE_INT = 2;
const TYPE_FLOAT = 3;
const TYPE_BOOL = 6;
const TYPE_NAMES = [
  'NONE',
  'Null',
  'Int',
  'FloatingPoint',
  'Binary',
  'Utf8',
  'Bool',
  'Decimal',
  'Date',
  'Time',
  'Timestamp',
  'Interval',
  'List',
  'Struct',
  'Union',
  'FixedSizeBinary',
  'FixedSizeList',
  'Map',
  'Duration',
  'LargeBinary',
  'LargeUtf8',
  'LargeList',
  'RunEndEncoded',
  'BinaryView',
  'Utf8View',
  'ListView',
  'LargeListView',
];

/** A pending column chunk: where its buffers are, checked, not yet decoded. */
interface ChunkRef {
  bodyStart: number;
  length: number;
  nullCount: number;
  validity: [number, number];
  data: [number, number];
}

/**
 * Read one Arrow IPC stream (a schema message, record batch messages, an optional end-of-stream marker). Throws
 * ArrowStreamError naming what is wrong; returns only after every check has passed for every message.
 */
export function readArrowStream(value: Uint8Array, limits: ArrowLimits = DEFAULT_ARROW_LIMITS): ArrowStream {
  if (value.byteLength > limits.maxMessageBytes)
    throw new ArrowStreamError(
      'too_large',
      `message of ${value.byteLength} bytes exceeds the ${limits.maxMessageBytes}-byte limit`,
    );
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const size = value.byteLength;
  let at = 0;
  let schema: ColumnType[] | undefined;
  const batches: { length: number; chunks: ChunkRef[] }[] = [];
  let rows = 0;
  while (at < size) {
    if (size - at < 8) throw new ArrowStreamError('malformed', `${size - at} stray bytes at ${at}, not a message`);
    if (view.getUint32(at, true) !== CONTINUATION)
      throw new ArrowStreamError(
        'malformed',
        at === 0
          ? 'not an Arrow IPC stream message (no continuation marker)'
          : `no continuation marker at byte ${at}: not a message boundary`,
      );
    const metaLength = view.getInt32(at + 4, true);
    if (metaLength === 0) {
      at += 8;
      if (at !== size) throw new ArrowStreamError('malformed', `${size - at} bytes after the end-of-stream marker`);
      break;
    }
    const metaStart = at + 8;
    if (metaLength < 0 || metaLength > size - metaStart)
      throw new ArrowStreamError(
        'malformed',
        `message at byte ${at} declares ${metaLength} metadata bytes, ${size - metaStart} remain`,
      );
    const header = parseMessage(new DataView(value.buffer, value.byteOffset + metaStart, metaLength), at);
    const bodyStart = metaStart + metaLength;
    if (header.bodyLength > size - bodyStart)
      throw new ArrowStreamError(
        'malformed',
        `message at byte ${at} declares a ${header.bodyLength}-byte body, ${size - bodyStart} remain`,
      );
    if (header.type === HEADER_SCHEMA) {
      if (schema) throw new ArrowStreamError('malformed', `a second schema message at byte ${at}`);
      schema = readSchema(header.table, limits);
    } else if (header.type === HEADER_RECORD_BATCH) {
      if (!schema) throw new ArrowStreamError('malformed', `record batch at byte ${at} before the schema`);
      const batch = readRecordBatch(header.table, schema, bodyStart, header.bodyLength, limits);
      rows += batch.length;
      if (rows > limits.maxRows)
        throw new ArrowStreamError('too_large', `message holds more than ${limits.maxRows} rows`);
      batches.push(batch);
    } else if (header.type === HEADER_DICTIONARY_BATCH) {
      throw new ArrowStreamError('unsupported', 'dictionary-encoded columns are not supported (write plain columns)');
    } else {
      throw new ArrowStreamError('unsupported', `message type ${header.type} is not a schema or a record batch`);
    }
    at = bodyStart + header.bodyLength;
  }
  if (!schema) throw new ArrowStreamError('malformed', 'no schema message');
  let decodedBytes = 0;
  for (const c of schema) decodedBytes += rows * (c.kind === 'float' ? c.width : 8);
  if (decodedBytes > limits.maxDecodedBytes)
    throw new ArrowStreamError(
      'too_large',
      `decoded columns would take ${decodedBytes} bytes (limit ${limits.maxDecodedBytes})`,
    );
  // Every check has passed: decode.
  const columns = schema.map((c, k) => decodeColumn(value, view, c, batches, rows, k));
  return { names: schema.map((c) => c.name), length: rows, columns };
}

function parseMessage(meta: DataView, at: number): { type: number; table: FlatTable; bodyLength: number } {
  try {
    const message = FlatTable.root(meta);
    const version = message.int16(0);
    // MetadataVersion V4 (Arrow 0.15+) and V5 (1.0+); older streams have no continuation marker anyway.
    if (version < 3 || version > 4)
      throw new ArrowStreamError('unsupported', `message at byte ${at} has metadata version ${version}`);
    const type = message.uint8(1);
    const table = message.table(2);
    if (!table) throw new ArrowStreamError('malformed', `message at byte ${at} has no header`);
    const bodyLength = message.int64(3);
    if (bodyLength < 0) throw new ArrowStreamError('malformed', `message at byte ${at} has a negative body length`);
    return { type, table, bodyLength };
  } catch (e) {
    throw asStreamError(e, `message header at byte ${at}`);
  }
}

function readSchema(schema: FlatTable, limits: ArrowLimits): ColumnType[] {
  try {
    if (schema.int16(0) !== 0) throw new ArrowStreamError('unsupported', 'big-endian Arrow data is not supported');
    const fields = schema.vector(1, 4);
    if (!fields || fields.length === 0) throw new ArrowStreamError('malformed', 'the schema has no columns');
    if (fields.length > limits.maxColumns)
      throw new ArrowStreamError('too_large', `schema has ${fields.length} columns (at most ${limits.maxColumns})`);
    const out: ColumnType[] = [];
    const seen = new Set<string>();
    for (let k = 0; k < fields.length; k++) {
      const f = schema.tableAt(fields, k);
      const name = f.string(0, 1024) ?? '';
      if (seen.has(name)) throw new ArrowStreamError('malformed', `column name '${name}' appears twice`, name);
      // Column names become object keys downstream: a name that is an Object.prototype member could shadow it.
      if (name in Object.prototype) throw new ArrowStreamError('malformed', `column name '${name}' is reserved`, name);
      seen.add(name);
      const typeId = f.uint8(2);
      const type = f.table(3);
      if (f.has(4)) throw new ArrowStreamError('unsupported', 'dictionary-encoded column', name);
      const children = f.vector(5, 4);
      if (children && children.length > 0) throw new ArrowStreamError('unsupported', 'nested column', name);
      if (typeId === TYPE_INT) {
        const bits = type?.int32(0) ?? 0;
        if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64)
          throw new ArrowStreamError('malformed', `integer column of ${bits} bits`, name);
        out.push({ name, kind: 'int', width: bits / 8, signed: (type?.uint8(1) ?? 0) !== 0 });
      } else if (typeId === TYPE_FLOAT) {
        const precision = type?.int16(0) ?? 0;
        if (precision !== 1 && precision !== 2)
          throw new ArrowStreamError('unsupported', precision === 0 ? 'half-float column' : 'float precision', name);
        out.push({ name, kind: 'float', width: precision === 1 ? 4 : 8, signed: true });
      } else if (typeId === TYPE_BOOL) {
        out.push({ name, kind: 'bool', width: 0, signed: false });
      } else {
        throw new ArrowStreamError('unsupported', `column type ${TYPE_NAMES[typeId] ?? typeId} is not numeric`, name);
      }
    }
    return out;
  } catch (e) {
    throw asStreamError(e, 'schema');
  }
}

function readRecordBatch(
  batch: FlatTable,
  schema: ColumnType[],
  bodyStart: number,
  bodyLength: number,
  limits: ArrowLimits,
): { length: number; chunks: ChunkRef[] } {
  try {
    const length = batch.int64(0);
    if (length < 0) throw new ArrowStreamError('malformed', `record batch of ${length} rows`);
    if (length > limits.maxRows)
      throw new ArrowStreamError('too_large', `record batch of ${length} rows (at most ${limits.maxRows})`);
    if (batch.has(3)) throw new ArrowStreamError('unsupported', 'compressed record batches are not supported');
    const nodes = batch.vector(1, 16);
    const buffers = batch.vector(2, 16);
    if (!nodes || nodes.length !== schema.length)
      throw new ArrowStreamError(
        'malformed',
        `record batch has ${nodes?.length ?? 0} field nodes for ${schema.length} columns`,
      );
    if (!buffers || buffers.length !== 2 * schema.length)
      throw new ArrowStreamError(
        'malformed',
        `record batch has ${buffers?.length ?? 0} buffers for ${schema.length} columns (2 each)`,
      );
    const buffer = (j: number): [number, number] => {
      const offset = batch.structInt64(buffers.start + 16 * j);
      const len = batch.structInt64(buffers.start + 16 * j + 8);
      if (offset < 0 || len < 0 || offset + len > bodyLength)
        throw new ArrowStreamError(
          'malformed',
          `buffer ${j} [${offset}, +${len}) lies outside the ${bodyLength}-byte body`,
        );
      return [offset, len];
    };
    const chunks: ChunkRef[] = [];
    for (let k = 0; k < schema.length; k++) {
      const c = schema[k]!;
      const nodeLength = batch.structInt64(nodes.start + 16 * k);
      const nullCount = batch.structInt64(nodes.start + 16 * k + 8);
      if (nodeLength !== length)
        throw new ArrowStreamError('malformed', `column has ${nodeLength} values, batch has ${length} rows`, c.name);
      if (nullCount < 0 || nullCount > length)
        throw new ArrowStreamError('malformed', `null count ${nullCount} of ${length} rows`, c.name);
      const validity = buffer(2 * k);
      const data = buffer(2 * k + 1);
      const bitmap = Math.ceil(length / 8);
      if (nullCount > 0 && validity[1] < bitmap)
        throw new ArrowStreamError(
          'malformed',
          `validity bitmap of ${validity[1]} bytes for ${length} rows with nulls`,
          c.name,
        );
      const needed = c.kind === 'bool' ? bitmap : length * c.width;
      if (data[1] < needed)
        throw new ArrowStreamError(
          'malformed',
          `${length} rows need ${needed} data bytes, the buffer has ${data[1]}`,
          c.name,
        );
      chunks.push({ bodyStart, length, nullCount, validity, data });
    }
    return { length, chunks };
  } catch (e) {
    throw asStreamError(e, 'record batch');
  }
}

/** Decode column k of every batch into one array (checked already: every read below is in bounds). Hot. */
function decodeColumn(
  value: Uint8Array,
  view: DataView,
  c: ColumnType,
  batches: { length: number; chunks: ChunkRef[] }[],
  rows: number,
  k: number,
): Float32Array | Float64Array {
  // One float batch without nulls, aligned: a view over the message, no copy.
  if (c.kind === 'float' && batches.length === 1) {
    const ch = batches[0]!.chunks[k]!;
    const start = value.byteOffset + ch.bodyStart + ch.data[0];
    if (ch.nullCount === 0 && start % c.width === 0)
      return c.width === 4 ? new Float32Array(value.buffer, start, rows) : new Float64Array(value.buffer, start, rows);
  }
  const out = c.kind === 'float' && c.width === 4 ? new Float32Array(rows) : new Float64Array(rows);
  let filled = 0;
  for (const b of batches) {
    const ch = b.chunks[k]!;
    const base = ch.bodyStart + ch.data[0];
    const n = ch.length;
    if (c.kind === 'float') {
      const start = value.byteOffset + base;
      if (start % c.width === 0) {
        out.set(
          c.width === 4 ? new Float32Array(value.buffer, start, n) : new Float64Array(value.buffer, start, n),
          filled,
        );
      } else if (c.width === 4) {
        for (let i = 0; i < n; i++) out[filled + i] = view.getFloat32(base + 4 * i, true);
      } else {
        for (let i = 0; i < n; i++) out[filled + i] = view.getFloat64(base + 8 * i, true);
      }
    } else if (c.kind === 'bool') {
      for (let i = 0; i < n; i++) out[filled + i] = (view.getUint8(base + (i >> 3)) >> (i & 7)) & 1;
    } else {
      readIntegers(view, base, n, c, out, filled);
    }
    if (ch.nullCount > 0) {
      const vbase = ch.bodyStart + ch.validity[0];
      for (let i = 0; i < n; i++) if (((view.getUint8(vbase + (i >> 3)) >> (i & 7)) & 1) === 0) out[filled + i] = NaN;
    }
    filled += n;
  }
  return out;
}

function readIntegers(
  view: DataView,
  base: number,
  n: number,
  c: ColumnType,
  out: Float32Array | Float64Array,
  at: number,
): void {
  switch (c.width) {
    case 1:
      if (c.signed) for (let i = 0; i < n; i++) out[at + i] = view.getInt8(base + i);
      else for (let i = 0; i < n; i++) out[at + i] = view.getUint8(base + i);
      break;
    case 2:
      if (c.signed) for (let i = 0; i < n; i++) out[at + i] = view.getInt16(base + 2 * i, true);
      else for (let i = 0; i < n; i++) out[at + i] = view.getUint16(base + 2 * i, true);
      break;
    case 4:
      if (c.signed) for (let i = 0; i < n; i++) out[at + i] = view.getInt32(base + 4 * i, true);
      else for (let i = 0; i < n; i++) out[at + i] = view.getUint32(base + 4 * i, true);
      break;
    default:
      if (c.signed) for (let i = 0; i < n; i++) out[at + i] = Number(view.getBigInt64(base + 8 * i, true));
      else for (let i = 0; i < n; i++) out[at + i] = Number(view.getBigUint64(base + 8 * i, true));
  }
}

function asStreamError(e: unknown, what: string): ArrowStreamError {
  if (e instanceof ArrowStreamError) return e;
  if (e instanceof FlatBufferError || e instanceof RangeError)
    return new ArrowStreamError('malformed', `${what}: ${e.message}`);
  throw e;
}
