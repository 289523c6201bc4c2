import { pipe, tap, type OperatorFunction } from 'rxjs';
import { cutFeatures, firstDerivedCut, type Cut } from '../events/cuts.js';
import type { DecodeSpec } from '../events/decode.js';
import type { EventBatch } from '../events/batch.js';
import { DERIVED_FEATURES, type MjjMode } from '../events/derive.js';
import { TopologyError } from '../events/errors.js';
import { OPERATORS } from '../operators/index.js';
import type { StageContext } from '../operators/context.js';
import type { Topology } from './schema.js';

/**
 * The ingest half of a flow — decode/validate, derive, select — as a plain-data plan (so worker threads can
 * receive it) and the one function that turns it into operators. Cuts on source columns run first; features the
 * later cuts read are derived only for their survivors, and the features the windows store (mjj above all) only for
 * the events selected.
 */
export interface IngestPlan {
  spec: DecodeSpec;
  cuts: Cut[];
  /** Index of the first cut that reads a derived feature. */
  split: number;
  forCuts: string[];
  forWindows: string[];
  mjj: MjjMode;
  /** Columns the window buffers keep (features and mjj). */
  stored: string[];
}

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
 * `onDecoded` sees every decoded batch (jets ordered) before the cuts: a control region collected beside the
 * stream (src/regions/control-region.ts) reads it there, on a shadow of its own.
 */
export function ingestStages(
  p: IngestPlan,
  ctx: StageContext,
  onDecoded?: (b: EventBatch) => void,
): OperatorFunction<EventBatch, EventBatch> {
  const op = OPERATORS;
  return pipe(
    op.decode(p.spec, ctx),
    op.derive([], p.mjj, { orderJets: true }),
    tap((b: EventBatch) => onDecoded?.(b)),
    op.select(p.cuts.slice(0, p.split), ctx, { offset: 0, first: true, last: false }),
    op.derive(p.forCuts, p.mjj, { orderJets: false }),
    op.select(p.cuts.slice(p.split), ctx, { offset: p.split, first: false, last: true }),
    op.derive(p.forWindows, p.mjj, { orderJets: false }),
  );
}
