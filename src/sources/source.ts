import type { EventBatch, SourcePosition } from '../events/batch.js';

/**
 * Every source (Parquet files, Kafka topics, the generator) delivers columnar batches through the same
 * interface. An async iterable gives backpressure for free: the source reads the next batch only when the
 * pipeline has taken the previous one.
 */
export interface Source {
  /** Human-readable description for logs, e.g. "parquet: data/*.parquet". */
  readonly description: string;
  /** Raw batches in source column names and units; completes at end of input. */
  batches(signal?: AbortSignal): AsyncIterable<EventBatch>;
  /** Called once the events up to these positions are in durable state (Kafka commits offsets here). */
  commit?(positions: SourcePosition[]): Promise<void>;
  close?(): Promise<void>;
}

/**
 * Give the event loop a turn between batches. A source whose batches are ready at once (the generator, a cached
 * file) would otherwise keep the loop in microtasks for the whole run, starving timers (the progress line), worker
 * messages (finished trainings) and the /metrics endpoint.
 */
export async function* withEventLoopTurns<T>(batches: AsyncIterable<T>): AsyncIterable<T> {
  for await (const b of batches) {
    yield b;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
