import { map, type OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import { deriveFeatures, orderJetsByPt, type MjjMode } from '../events/derive.js';

/** derive: jet ordering by pT, mjj (four-vector or massless), |Δy|, τ ratios, lighter/heavier jet features. */
export function derive(features: string[], mjj: MjjMode): OperatorFunction<EventBatch, EventBatch> {
  return map((batch) => {
    if (batch.length === 0) return batch;
    orderJetsByPt(batch);
    deriveFeatures(batch, mjj === 'column' ? features : ['mjj', ...features], mjj);
    return batch;
  });
}
