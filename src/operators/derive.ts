import { map, type OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/batch.js';
import { deriveFeatures, orderJetsByPt, type MjjMode } from '../events/derive.js';

/**
 * derive: mjj (four-vector or massless), |Δy|, τ ratios, lighter/heavier jet features, computed for the events
 * still selected. The first derive stage of a flow also orders the jets by pT.
 */
export function derive(
  features: string[],
  mjj: MjjMode,
  opts: { orderJets: boolean } = { orderJets: true },
): OperatorFunction<EventBatch, EventBatch> {
  return map((batch) => {
    if (batch.length === 0) return batch;
    if (opts.orderJets) orderJetsByPt(batch);
    if (features.length) deriveFeatures(batch, features, mjj);
    return batch;
  });
}
