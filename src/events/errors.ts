/**
 * One error hierarchy for the whole processor (after kafkajs' src/errors.js): every error says what failed,
 * carries a `retriable` flag so sources can decide to retry, and keeps the underlying `cause`.
 */
export class SidebandError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** Where a bad value was found: file or topic, column or field path, and row index or message offset. */
export interface InputLocation {
  file?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  field?: string;
  row?: number;
  /** Line of a text file (1-based), for CSV and YAML inputs. */
  line?: number;
}

/** Bad input data. Never fatal for a run: the event goes to the dead-letter route and is counted. */
export class InputError extends SidebandError {
  readonly location: InputLocation;
  /** Dead-letter reason: 'missing_column', 'bad_type', 'unreadable' (truncated or corrupt), ... */
  readonly reason: string;
  constructor(message: string, location: InputLocation = {}, options: { cause?: unknown; reason?: string } = {}) {
    super(`${describeLocation(location)}${message}`, options);
    this.location = location;
    this.reason = options.reason ?? 'unreadable';
  }
}

/** A topology file that does not validate or compile. Names the file and the field path. */
export class TopologyError extends SidebandError {
  readonly file?: string;
  readonly path?: string;
  constructor(message: string, where: { file?: string; path?: string } = {}, options: { cause?: unknown } = {}) {
    const prefix = [where.file, where.path].filter(Boolean).join(': ');
    super(prefix ? `${prefix}: ${message}` : message, options);
    this.file = where.file;
    this.path = where.path;
  }
}

/** A source that cannot deliver (unreadable file, broker down). `retriable` says whether trying again may help. */
export class SourceError extends SidebandError {}

/** A sink that cannot take results (a file that cannot be written, a topic that refuses records). */
export class SinkError extends SidebandError {}

/** A command line that cannot be run as given (a missing or malformed option). The CLI exits 2 on it. */
export class UsageError extends SidebandError {}

/** A run that had no usable input: nothing readable, or every event rejected. The CLI exits 3 on it. */
export class NoInputError extends SidebandError {}

/** A run whose analyses all failed: no window produced a valid result (every fit failed). The CLI exits 4 on it. */
export class AnalysisError extends SidebandError {}

/** A run stopped by a signal (SIGINT, SIGTERM) before its end. The CLI exits 128 + the signal's number on it. */
export class InterruptedError extends SidebandError {
  constructor(
    message: string,
    /** 'SIGINT', 'SIGTERM', or '' when not known. */
    readonly signalName = '',
  ) {
    super(message);
  }
}

export function describeLocation(l: InputLocation): string {
  const parts: string[] = [];
  if (l.file) parts.push(l.file);
  if (l.topic) parts.push(`${l.topic}[${l.partition ?? '?'}]@${l.offset ?? '?'}`);
  if (l.line !== undefined) parts.push(`line ${l.line}`);
  if (l.field) parts.push(`field ${l.field}`);
  if (l.row !== undefined) parts.push(`row ${l.row}`);
  return parts.length ? `${parts.join(', ')}: ` : '';
}
