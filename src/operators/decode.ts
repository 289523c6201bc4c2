import { map, type OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import { decodeBatch, type DecodeSpec } from '../events/decode.js';
import type { StageContext } from './context.js';

/**
 * decode: source columns → canonical columns in GeV, with bad events dead-lettered and counted.
 * Keeps the invariant read = accepted + rejected for every batch.
 */
export function decode(spec: DecodeSpec, ctx: StageContext): OperatorFunction<EventBatch, EventBatch> {
  return map((raw) => {
    const { batch, deadLetters, rejected } = decodeBatch(raw, spec);
    ctx.counters.read += raw.length;
    ctx.counters.accepted += batch.length;
    ctx.observer.eventsRead?.(raw.length);
    ctx.observer.eventsAccepted?.(batch.length);
    for (const [reason, n] of rejected) {
      ctx.counters.reject(reason, n);
      ctx.observer.eventsRejected?.(reason, n);
    }
    for (const d of deadLetters) ctx.deadLetter(d);
    return batch;
  });
}
