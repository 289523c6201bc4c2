/**
 * A partition's checkpoint on a worker: the log of the records applied to its windows (each record: a 4-byte
 * header length, the JSON header (offset, key, end flag, cut flow, input offsets), a 4-byte value length, the
 * Arrow IPC value), and state.json: the next input offset, the log file and its durable length, the keys of the
 * results published (acknowledged by the results topic), the router input offsets applied. The log is appended and fsynced before state.json names
 * its new length; state.json is replaced atomically.
 */
import { readFileSync } from 'node:fs';
import type { CutFlowEntry } from '../events/result.js';

export interface PartitionCheckpoint {
  next: string;
  log: string;
  logBytes: number;
  /** Keys (WindowResult.key) of the results acknowledged by the results topic: not published again on restore. */
  published: string[];
  applied: Record<string, Record<string, string>>;
  ended: boolean;
}

export interface LogRecord {
  offset: string;
  key: string;
  end?: boolean;
  cutflow?: CutFlowEntry[];
  input?: Record<string, string>;
}

/** One log record in its on-disk form. */
export function encodeLogRecord(rec: LogRecord, value: Buffer): Buffer[] {
  const h = Buffer.from(JSON.stringify(rec));
  const lens = Buffer.alloc(4);
  lens.writeUInt32LE(h.length);
  const vl = Buffer.alloc(4);
  vl.writeUInt32LE(value.length);
  return [lens, h, vl, value];
}

/** Every record of a log file, in order. */
export function* readLogRecords(file: string): Generator<{ rec: LogRecord; value: Buffer }> {
  const bytes = readFileSync(file);
  for (let at = 0; at < bytes.length; ) {
    const hlen = bytes.readUInt32LE(at);
    const rec = JSON.parse(bytes.toString('utf8', at + 4, at + 4 + hlen)) as LogRecord;
    const vlen = bytes.readUInt32LE(at + 4 + hlen);
    const value = bytes.subarray(at + 8 + hlen, at + 8 + hlen + vlen);
    at += 8 + hlen + vlen;
    yield { rec, value };
  }
}
