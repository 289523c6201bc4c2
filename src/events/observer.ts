import type { InputLocation } from './errors.js';
import type { WindowResult } from './result.js';

/**
 * What the stages report while a run goes on. The metrics module implements it with Prometheus instruments;
 * tests and the CLI's progress line read the same calls. Stages never import the metrics module directly, so the
 * math and the operators stay free of I/O.
 */
export interface RunObserver {
  eventsRead?(n: number): void;
  eventsAccepted?(n: number): void;
  eventsRejected?(reason: string, n: number): void;
  eventsSelected?(cut: string, n: number): void;
  bufferEvents?(window: string, role: 'sr' | 'sb_low' | 'sb_high', n: number): void;
  /** One window's analysis (training, fit) begins; the progress display shows which. */
  analysisStarted?(window: string, trigger: 'threshold' | 'growth' | 'time' | 'end'): void;
  trainingStarted?(model: string): void;
  trainingFinished?(model: string, seconds: number): void;
  trainingFailed?(model: string): void;
  queueDepth?(n: number): void;
  /** A window has a newly trained model (its age restarts: time since the last retraining). */
  modelTrained?(window: string): void;
  /** Online scoring of one batch (trigger.online): the window events it scored and its wall time, seconds. */
  onlineScored?(events: number, seconds: number): void;
  /** One DDP network scan of a window histogram (topology `ddp:`), wall time in seconds. */
  ddpScanned?(window: string, seconds: number): void;
  windowResult?(result: WindowResult): void;
  /** Messages between the committed offset and the high-water mark of one partition (Kafka sources). */
  kafkaLag?(topic: string, partition: number, lag: number): void;
  /** One dead-letter record (counted once, whatever its `events`). */
  deadLetter?(record: DeadLetter): void;
  /** The alert threshold on Z in force. */
  alertThreshold?(z: number): void;
  /** An upward crossing of the alert threshold by a window and working point (null: inclusive). */
  alertFired?(window: string, workingPoint: number | null): void;
  /** Whether a window and working point is above the alert threshold (until it re-arms). */
  anomalyActive?(window: string, workingPoint: number | null, active: boolean): void;
}

/** Dead-letter record: one rejected event (or a whole unreadable row group / message), with why and where. */
export interface DeadLetter extends InputLocation {
  reason: string;
  message: string;
  /** How many events this record stands for (a lost row group counts all its rows). */
  events: number;
  /** The input's row count cannot be trusted (an unreadable footer): `events` is 0 and the count is unknown. */
  rowsUnknown?: boolean;
}

/**
 * Running totals of a run. Invariant checked at the end: read = accepted + rejected. Inputs whose row count cannot
 * be trusted (a file with an unreadable footer) are not in `read`: they are counted in `rowsUnknown`, and a run with
 * any of them did not account for all of its input (the CLI's exit code says so).
 */
export class RunCounters {
  read = 0;
  accepted = 0;
  rejected = 0;
  readonly rejectedByReason = new Map<string, number>();
  selected = 0;
  stored = 0;
  /** Files or row groups that could not be read at all (dead letters of reason 'unreadable'). */
  unreadable = 0;
  /** Of those, how many without a row count (footer lost): their events cannot be in `read`. */
  rowsUnknown = 0;

  reject(reason: string, n: number): void {
    this.rejected += n;
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + n);
  }

  balanced(): boolean {
    return this.read === this.accepted + this.rejected;
  }
}
