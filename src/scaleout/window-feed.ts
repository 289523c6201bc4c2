/**
 * The input of one window's pipeline on a worker: a Source fed with the window's records in partition order, as
 * the worker applies them (live or replayed from the checkpoint log). The pipeline pulls batches; the worker can
 * wait until it has taken what was queued (backpressure toward the consumer).
 */
import type { EventBatch } from '../events/batch.js';
import type { CutFlowEntry } from '../events/result.js';
import type { Source } from '../sources/source.js';

/** A Source fed by the worker: the records of one window, in partition order. */
export class WindowFeed implements Source {
  readonly description: string;
  private queue: EventBatch[] = [];
  private ended = false;
  private wake?: () => void;
  private drainedWake?: () => void;
  /** Cut flow of the router behind each batch handed on, by the window's cumulative event count after it. */
  readonly cutflows = new Map<number, CutFlowEntry[]>();
  received = 0;
  finalCutflow?: CutFlowEntry[];
  constructor(window: string) {
    this.description = `repartition: ${window}`;
  }
  push(batch: EventBatch, cutflow: CutFlowEntry[] | undefined): void {
    this.received += batch.length;
    if (cutflow) this.cutflows.set(this.received, cutflow);
    this.queue.push(batch);
    this.wake?.();
  }
  end(cutflow: CutFlowEntry[] | undefined): void {
    if (this.ended) return;
    this.finalCutflow = cutflow;
    this.ended = true;
    this.wake?.();
  }
  get pending(): number {
    return this.queue.length;
  }
  /** Resolves once the pipeline has taken every queued batch. */
  drained(): Promise<void> {
    return this.queue.length === 0
      ? Promise.resolve()
      : new Promise((r) => {
          this.drainedWake = r;
        });
  }
  async *batches(): AsyncIterable<EventBatch> {
    while (true) {
      const b = this.queue.shift();
      if (b) {
        if (this.queue.length === 0) {
          const w = this.drainedWake;
          this.drainedWake = undefined;
          w?.();
        }
        yield b;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => {
        this.wake = r;
      });
      this.wake = undefined;
    }
  }
}
