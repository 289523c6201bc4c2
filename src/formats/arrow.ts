/**
 * Columnar batch messages: Apache Arrow IPC streaming format (https://arrow.apache.org/docs/format/Columnar.html
 * #ipc-streaming-format), one record batch of many events per Kafka message, one Arrow column per feature.
 *
 * Why Arrow: it is the documented standard for columnar interchange (readable by pyarrow, DuckDB, Spark, Polars
 * without sideband), and its buffers are typed arrays: decoding is a header parse plus views (or one aligned copy
 * of the message), measured here at ~2e7 events/s, far above the 1e6 events/s target.
 */
import { tableFromIPC, tableToIPC, makeTable, type Table } from 'apache-arrow';
import type { Column, EventBatch } from '../events/batch.js';
import type { InputLocation } from '../events/errors.js';
import { MessageError, type DecodedColumns } from './columns.js';

/** Arrow IPC stream messages start with the continuation marker 0xFFFFFFFF (format version ≥ 0.15). */
const CONTINUATION = 0xffffffff;

/**
 * Encode events [start, end) of a batch as Arrow IPC stream messages of at most `eventsPerMessage` events.
 * Columns keep their type (float32 / float64); a truth label held in `batch.label` (and not already a column)
 * travels as a uint8 column named `label`.
 */
export function encodeArrowMessages(
  batch: EventBatch,
  eventsPerMessage = 8192,
  start = 0,
  end = batch.length,
): Buffer[] {
  const out: Buffer[] = [];
  for (let lo = start; lo < end; lo += eventsPerMessage) {
    const hi = Math.min(end, lo + eventsPerMessage);
    const cols: Record<string, Float32Array | Float64Array | Uint8Array> = {};
    for (const [name, c] of Object.entries(batch.columns)) cols[name] = c.subarray(lo, hi);
    if (batch.label && !batch.columns.label) cols.label = batch.label.subarray(lo, hi);
    if (batch.weight && !batch.columns.weight) cols.weight = batch.weight.subarray(lo, hi);
    const bytes = tableToIPC(makeTable(cols), 'stream');
    out.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  return out;
}

/**
 * Decode one Arrow IPC stream message into columns by name. Throws InputError (naming the message and field)
 * for anything that is not a well-formed Arrow stream of numeric columns, or that lacks a `required` column.
 * Integer and boolean columns become Float64Array; nulls become NaN (the decode stage rejects those events).
 */
export function decodeArrowMessage(value: Buffer, where: InputLocation, required?: readonly string[]): DecodedColumns {
  if (value.length < 8 || value.readUInt32LE(0) !== CONTINUATION) {
    throw new MessageError('malformed', 'not an Arrow IPC stream message (no continuation marker)', { ...where });
  }
  // Arrow buffers inside the message are 8-byte aligned relative to its start; a Kafka message value is a slice
  // of a larger fetch response at any offset, so realign once (a memcpy) to make typed-array views legal.
  const bytes = value.byteOffset % 8 === 0 ? value : Uint8Array.prototype.slice.call(value);
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (cause) {
    throw new MessageError('malformed', `corrupt Arrow IPC message: ${(cause as Error).message}`, where, { cause });
  }
  if (table.schema.fields.length === 0)
    throw new MessageError('malformed', 'Arrow message has no columns', { ...where });
  const columns: Record<string, Column> = {};
  const length = table.numRows;
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name);
    if (!vector) continue;
    let values: unknown;
    try {
      values = vector.toArray();
    } catch (cause) {
      throw new MessageError(
        'malformed',
        `unreadable column: ${(cause as Error).message}`,
        { ...where, field: field.name },
        { cause },
      );
    }
    let col: Column;
    if (values instanceof Float32Array || values instanceof Float64Array) {
      col = values;
    } else if (
      ArrayBuffer.isView(values) &&
      !(values instanceof DataView) &&
      !(values instanceof BigInt64Array) &&
      !(values instanceof BigUint64Array)
    ) {
      col = Float64Array.from(values as unknown as ArrayLike<number>);
    } else if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
      col = Float64Array.from(values as ArrayLike<bigint>, Number);
    } else {
      throw new MessageError('invalid_value', `column type ${String(field.type)} is not numeric`, {
        ...where,
        field: field.name,
      });
    }
    if (col.length !== length)
      throw new MessageError('malformed', `column has ${col.length} values, message has ${length} rows`, {
        ...where,
        field: field.name,
      });
    if (vector.nullCount > 0) {
      const copy = col instanceof Float32Array ? new Float32Array(col) : new Float64Array(col);
      for (let i = 0; i < length; i++) if (!vector.isValid(i)) copy[i] = NaN;
      col = copy;
    }
    columns[field.name] = col;
  }
  if (required) {
    const missing = required.filter((n) => !columns[n]);
    if (missing.length) {
      throw new MessageError(
        'missing_column',
        `missing column${missing.length > 1 ? 's' : ''} (message has: ${Object.keys(columns).join(', ')})`,
        { ...where, field: missing.join(',') },
      );
    }
    // Keep exactly the required columns, in their order, so consecutive messages join one batch.
    const kept: Record<string, Column> = {};
    for (const n of required) kept[n] = columns[n]!;
    return { length, columns: kept };
  }
  return { length, columns };
}
