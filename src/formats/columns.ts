import type { Column } from '../events/batch.js';
import { InputError, type InputLocation } from '../events/errors.js';

/** Why a message was dead-lettered: a small fixed set (metric label and dead-letter header). */
export type MessageFault = 'empty' | 'malformed' | 'missing_column' | 'invalid_value' | 'too_large';

/** A message that cannot be decoded; `reason` is the dead-letter reason. */
export class MessageError extends InputError {
  declare readonly reason: MessageFault;
  constructor(reason: MessageFault, message: string, where: InputLocation, options: { cause?: unknown } = {}) {
    super(message, where, { ...options, reason });
  }
}

/** Events decoded from one or more messages: columns by source name, all of the same length. */
export interface DecodedColumns {
  length: number;
  columns: Record<string, Column>;
}

/**
 * Gathers the events of consecutive messages into one columnar batch. Columnar messages arrive as whole
 * column chunks (kept as views, concatenated once at the end, zero-copy when there is a single chunk); row
 * messages (JSON) are written value by value into growable Float64 columns (amortized doubling).
 */
export class ColumnAccumulator {
  private chunks: DecodedColumns[] = [];
  private rowNames: string[] = [];
  private rowColumns: Float64Array[] = [];
  private rowLength = 0;
  private names: string[] | undefined;

  get length(): number {
    let n = this.rowLength;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /** The column names this accumulator holds, or undefined while empty. */
  get schema(): string[] | undefined {
    return this.names;
  }

  /** Whether a message with these columns can join this batch (same names in the same order). */
  accepts(names: string[]): boolean {
    if (!this.names) return true;
    if (names.length !== this.names.length) return false;
    for (let i = 0; i < names.length; i++) if (names[i] !== this.names[i]) return false;
    return true;
  }

  appendChunk(chunk: DecodedColumns): void {
    this.flushRows();
    this.names ??= Object.keys(chunk.columns);
    if (chunk.length) this.chunks.push(chunk);
  }

  /** Appends one event whose values are `row[name]` for every name (already validated as finite numbers). */
  appendRow(names: string[], row: Record<string, unknown>): void {
    if (this.rowColumns.length === 0) {
      this.names ??= names;
      this.rowNames = names;
      this.rowColumns = names.map(() => new Float64Array(1024));
    }
    if (this.rowLength === this.rowColumns[0]!.length) {
      this.rowColumns = this.rowColumns.map((c) => {
        const grown = new Float64Array(c.length * 2);
        grown.set(c);
        return grown;
      });
    }
    const at = this.rowLength++;
    for (let c = 0; c < names.length; c++) this.rowColumns[c]![at] = row[names[c]!] as number;
  }

  private flushRows(): void {
    if (this.rowLength === 0) return;
    const columns: Record<string, Column> = {};
    for (let c = 0; c < this.rowNames.length; c++)
      columns[this.rowNames[c]!] = this.rowColumns[c]!.subarray(0, this.rowLength);
    this.chunks.push({ length: this.rowLength, columns });
    this.rowColumns = [];
    this.rowLength = 0;
  }

  /** The gathered events as one set of columns; the accumulator is empty afterwards. */
  finish(): DecodedColumns {
    this.flushRows();
    const chunks = this.chunks;
    const names = this.names ?? [];
    this.chunks = [];
    this.names = undefined;
    if (chunks.length === 1) return chunks[0]!;
    let length = 0;
    for (const c of chunks) length += c.length;
    const columns: Record<string, Column> = {};
    for (const name of names) {
      const allFloat32 = chunks.every((c) => c.columns[name] instanceof Float32Array);
      const out = allFloat32 ? new Float32Array(length) : new Float64Array(length);
      let at = 0;
      for (const c of chunks) {
        out.set(c.columns[name]!, at);
        at += c.length;
      }
      columns[name] = out;
    }
    return { length, columns };
  }
}
