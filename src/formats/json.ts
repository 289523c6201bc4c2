/**
 * JSON row messages: one event per message as an object `{ "jet1_pt": 1234.5, ..., "label": 0 }`, or an array of
 * such objects. Validated with fastest-validator against the expected source columns (finite numbers), so a
 * malformed message is rejected whole with the field that failed, and goes to the dead-letter topic.
 */
import FastestValidator from 'fastest-validator';
import type { EventBatch } from '../events/batch.js';
import { SidebandError, type InputLocation } from '../events/errors.js';
import { MessageError, type ColumnAccumulator } from './columns.js';

// fastest-validator is CommonJS whose typings declare an ES default export; at runtime the module itself is the class.
const Validator = FastestValidator as unknown as typeof import('fastest-validator').default;

export type RowCheck = (row: unknown) => true | { type?: string; field?: string; message?: string }[];

/** A compiled validator for rows that must hold every one of `columns` as a finite number. */
export function compileRowCheck(columns: readonly string[]): RowCheck {
  const v = new Validator({ haltOnFirstError: true });
  const schema: Record<string, unknown> = {};
  for (const c of columns) schema[c] = { type: 'number', finite: true };
  return v.compile(schema) as unknown as RowCheck;
}

/** Limits on one JSON message, checked before it is parsed (size) and before its rows are appended (count). */
export interface JsonLimits {
  /** Bytes of one message (default 16 MiB). */
  maxMessageBytes: number;
  /** Rows of one message (default 65,536). */
  maxRows: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxMessageBytes: 16 << 20, maxRows: 1 << 16 };

export class JsonRowDecoder {
  private readonly check: RowCheck;
  constructor(
    readonly columns: readonly string[],
    private readonly limits: JsonLimits = DEFAULT_JSON_LIMITS,
  ) {
    if (!columns.length) throw new SidebandError('json format: the expected source columns must be configured');
    this.check = compileRowCheck(columns);
  }

  /**
   * Validate one message and append its events to `into`. Throws InputError naming the field and, for an array,
   * the row index inside the message; nothing is appended when any row is bad (the message is the unit of
   * dead-lettering and of offsets).
   */
  decode(value: Buffer, into: ColumnAccumulator, where: InputLocation): number {
    if (value.length > this.limits.maxMessageBytes)
      throw new MessageError(
        'too_large',
        `JSON message of ${value.length} bytes exceeds the ${this.limits.maxMessageBytes}-byte limit`,
        { ...where },
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(value.toString('utf8'));
    } catch (cause) {
      throw new MessageError('malformed', `invalid JSON: ${(cause as Error).message}`, { ...where }, { cause });
    }
    const rows = Array.isArray(parsed) ? parsed : [parsed];
    if (rows.length > this.limits.maxRows)
      throw new MessageError('too_large', `JSON message of ${rows.length} rows (at most ${this.limits.maxRows})`, {
        ...where,
      });
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        throw new MessageError('malformed', 'a JSON row must be an object of numbers', {
          ...where,
          ...(rows.length > 1 ? { row: r } : {}),
        });
      }
      const res = this.check(row);
      if (res !== true) {
        const e = res[0]!;
        throw new MessageError(
          e.type === 'required' ? 'missing_column' : 'invalid_value',
          e.message ?? 'invalid value',
          { ...where, ...(e.field ? { field: e.field } : {}), ...(rows.length > 1 ? { row: r } : {}) },
        );
      }
    }
    const names = this.columns as string[];
    for (const row of rows) into.appendRow(names, row as Record<string, unknown>);
    return rows.length;
  }
}

/** Encode events [start, end) of a batch as JSON messages of `rowsPerMessage` rows (1 = a bare object). */
export function encodeJsonMessages(batch: EventBatch, rowsPerMessage = 1, start = 0, end = batch.length): Buffer[] {
  const names = Object.keys(batch.columns);
  const cols = names.map((n) => batch.columns[n]!);
  const withLabel = batch.label && !batch.columns.label;
  const out: Buffer[] = [];
  for (let lo = start; lo < end; lo += rowsPerMessage) {
    const hi = Math.min(end, lo + rowsPerMessage);
    const parts: string[] = [];
    for (let i = lo; i < hi; i++) {
      let s = '{';
      for (let c = 0; c < names.length; c++) s += `${c ? ',' : ''}"${names[c]}":${jsonNumber(cols[c]![i]!)}`;
      if (withLabel) s += `,"label":${batch.label![i]}`;
      parts.push(`${s}}`);
    }
    out.push(Buffer.from(rowsPerMessage === 1 ? parts[0]! : `[${parts.join(',')}]`));
  }
  return out;
}

/** JSON has no NaN/Infinity: write null, which validation then rejects (as the Parquet reader's NaN would be). */
function jsonNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}
