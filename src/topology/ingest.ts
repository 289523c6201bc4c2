import type { OperatorFunction } from 'rxjs';
import { cutFeatures, firstDerivedCut, type Cut } from '../events/cuts.js';
import type { DecodeSpec } from '../events/decode.js';
import type { IngestPlan } from '../events/ingest.js';
import type { EventBatch } from '../events/batch.js';
import { DERIVED_FEATURES, type MjjMode } from '../events/derive.js';
import { TopologyError } from '../events/errors.js';
import { OPERATORS } from '../operators/index.js';
import type { StageContext } from '../operators/context.js';
import type { Topology } from './schema.js';

export type { IngestPlan } from '../events/ingest.js';

/**
 * The features a topology must derive: those its cuts, windows and `derive.features` read that the source does not
 * provide (and mjj whenever a four-vector mode recomputes it). Throws a TopologyError for a feature that is neither.
 */
export function derivedFeatures(t: Topology, spec: DecodeSpec, cuts: Cut[], file: string): string[] {
  const provided = new Set(Object.keys(spec.columns));
  if (t.derive.mjj === 'column' && !provided.has('mjj')) {
    throw new TopologyError(
      "derive.mjj is 'column' but no mjj column is mapped; map one or derive it (fourvector, massless)",
      { file, path: 'derive.mjj' },
    );
  }
  const derived = [...new Set([...t.derive.features, ...cutFeatures(cuts), ...t.features, 'mjj'])].filter(
    (f) => !provided.has(f) || (f === 'mjj' && t.derive.mjj !== 'column'),
  );
  const unknown = derived.filter((f) => !(DERIVED_FEATURES as readonly string[]).includes(f));
  if (unknown.length) {
    throw new TopologyError(
      `feature${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} neither read from the source (columns) nor derivable (${DERIVED_FEATURES.join(', ')})`,
      { file, path: 'features' },
    );
  }
  return derived;
}

export function ingestPlan(
  spec: DecodeSpec,
  cuts: Cut[],
  derived: string[],
  mjj: MjjMode,
  stored: string[],
): IngestPlan {
  const isDerived = (f: string) => derived.includes(f);
  const split = firstDerivedCut(cuts, isDerived);
  const forCuts = cutFeatures(cuts.slice(split)).filter(isDerived);
  return { spec, cuts, split, forCuts, forWindows: derived.filter((f) => !forCuts.includes(f)), mjj, stored };
}

/**
 * The ingest stages as one operator: decode/validate, derive, select (src/events/ingest.ts). `onDecoded` sees every
 * decoded batch (jets ordered) before the cuts: a control region collected beside the stream
 * (src/regions/control-region.ts) reads it there, on a shadow of its own.
 */
export function ingestStages(
  p: IngestPlan,
  ctx: StageContext,
  onDecoded?: (b: EventBatch) => void,
): OperatorFunction<EventBatch, EventBatch> {
  return OPERATORS.ingest(p, ctx, { onDecoded });
}
