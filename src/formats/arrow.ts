/**
 * Columnar batch messages: Apache Arrow IPC streaming format (https://arrow.apache.org/docs/format/Columnar.html
 * #ipc-streaming-format), one record batch of many events per Kafka message, one Arrow column per feature.
 *
 * Why Arrow: it is the documented standard for columnar interchange (readable by pyarrow, DuckDB, Spark, Polars
 * without sideband), and its buffers are typed arrays: decoding is a header parse plus views (or one aligned copy
 * of the message). apache-arrow writes the messages; ./arrow-ipc.ts reads them with hard limits (see why there).
 */
import { tableToIPC, makeTable } from 'apache-arrow';
import type { Column, EventBatch } from '../events/batch.js';
import type { InputLocation } from '../events/errors.js';
import { ArrowStreamError, DEFAULT_ARROW_LIMITS, readArrowStream, type ArrowLimits } from './arrow-ipc.js';
import { MessageError, type DecodedColumns } from './columns.js';

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
 * Decode one Arrow IPC stream message into columns by name, through the bounded reader of ./arrow-ipc.ts: every
 * length the message declares is checked against the bytes present and against `limits` before anything is
 * allocated. Throws MessageError (naming the message and field) for anything that is not a well-formed Arrow stream
 * of numeric columns, that exceeds a limit, or that lacks a `required` column. Integer and boolean columns become
 * Float64Array; nulls become NaN (the decode stage rejects those events).
 */
export function decodeArrowMessage(
  value: Uint8Array,
  where: InputLocation,
  required?: readonly string[],
  limits: ArrowLimits = DEFAULT_ARROW_LIMITS,
): DecodedColumns {
  let stream: ReturnType<typeof readArrowStream>;
  try {
    stream = readArrowStream(value, limits);
  } catch (e) {
    if (!(e instanceof ArrowStreamError)) throw e;
    const reason = e.fault === 'unsupported' ? 'invalid_value' : e.fault;
    throw new MessageError(reason, e.message, { ...where, ...(e.field ? { field: e.field } : {}) }, { cause: e });
  }
  const columns: Record<string, Column> = {};
  for (let k = 0; k < stream.names.length; k++) columns[stream.names[k]!] = stream.columns[k]!;
  const length = stream.length;
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
