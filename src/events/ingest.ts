import type { EventBatch } from './batch.js';
import { applyCuts, type Cut } from './cuts.js';
import { decodeBatch, gather, type DecodeSpec } from './decode.js';
import { cutRapidityGap, deriveFeatures, orderJetsByPt, type MjjMode } from './derive.js';
import type { DeadLetter } from './observer.js';

/**
 * The ingest half of a flow — decode/validate, derive, select — as a plain-data plan (worker threads receive it as
 * it is). Cuts on source columns run first; features the later cuts read are derived only for their survivors, and
 * the features the windows store (mjj above all) only for the events selected.
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
 * What ingesting one raw batch adds to a run's totals, as plain data, so that a worker thread can ingest a row
 * group and the run's thread can add it (src/operators/ingest.ts) exactly as if it had ingested it itself.
 */
export interface IngestTally {
  read: number;
  accepted: number;
  /** Rejected events by reason, in the order decode found the reasons. */
  rejected: Array<[string, number]>;
  deadLetters: DeadLetter[];
  /** Events entering the cut flow; undefined when none was left after decoding (the cut flow is not entered). */
  entered?: number;
  /** Events passing each cut of the plan, in order (empty when the cut flow was not entered). */
  passed: number[];
  /** Events selected (after the last cut). */
  selected: number;
}

/** A batch that has been ingested, with its tally (what the worker-thread reader hands back). */
export interface IngestedBatch extends EventBatch {
  tally: IngestTally;
}

/**
 * Decode/validate, order the jets, apply the cheap cuts, derive what the later cuts read, apply them, derive what
 * the windows store. `onDecoded` sees the decoded batch (jets ordered) before any cut. Returns the selected batch
 * (an index list over the decoded columns) and its tally.
 */
export function ingestBatch(
  raw: EventBatch,
  p: IngestPlan,
  onDecoded?: (b: EventBatch) => void,
  opts: { compact?: boolean } = {},
): { batch: EventBatch; tally: IngestTally } {
  const { batch, deadLetters, rejected } = decodeBatch(raw, p.spec);
  const tally: IngestTally = {
    read: raw.length,
    accepted: batch.length,
    rejected: [...rejected],
    deadLetters,
    passed: [],
    selected: 0,
  };
  if (batch.length > 0) {
    orderJetsByPt(batch);
    onDecoded?.(batch);
    tally.entered = batch.length;
    tally.passed.push(...applyCuts(batch, p.cuts.slice(0, p.split)));
    const late = p.cuts.slice(p.split);
    if (late[0] && isGapCut(late[0]) && p.forCuts.includes('delta_y') && !batch.columns.delta_y) {
      // A |Δy| bound first: decided on tanh|Δy| (src/events/derive.ts cutRapidityGap), delta_y kept for the passing.
      deriveFeatures(
        batch,
        p.forCuts.filter((f) => f !== 'delta_y'),
        p.mjj,
      );
      tally.passed.push(cutRapidityGap(batch, late[0].min, late[0].max));
      tally.passed.push(...applyCuts(batch, late.slice(1)));
    } else {
      if (p.forCuts.length) deriveFeatures(batch, p.forCuts, p.mjj);
      tally.passed.push(...applyCuts(batch, late));
    }
    tally.selected = batch.selection!.length;
    if (opts.compact) {
      // The selected events only, contiguous: the features the windows store are then derived over a fifth of the
      // rows, in order, into arrays a fifth as long (the worker threads hand exactly these back).
      const compact = compactSelected(batch);
      if (p.forWindows.length) deriveFeatures(compact, p.forWindows, p.mjj);
      return { batch: compact, tally };
    }
    if (p.forWindows.length) deriveFeatures(batch, p.forWindows, p.mjj);
  } else {
    onDecoded?.(batch);
  }
  return { batch, tally };
}

/** A batch of the selected events only (every column, weight and label gathered), with no selection. */
function compactSelected(b: EventBatch): EventBatch {
  const sel = b.selection!;
  const columns: EventBatch['columns'] = {};
  for (const [name, c] of Object.entries(b.columns)) columns[name] = gather(c, sel);
  const out: EventBatch = { length: sel.length, columns, positions: b.positions, rowOffset: b.rowOffset };
  if (b.weight) out.weight = gather(b.weight, sel);
  if (b.label) {
    const label = new Uint8Array(sel.length);
    for (let j = 0; j < sel.length; j++) label[j] = b.label[sel[j]!]!;
    out.label = label;
  }
  return out;
}

/** A cut on delta_y alone (|Δy| >= 0, so `abs` changes nothing): one cutRapidityGap can decide it. */
function isGapCut(c: Cut): boolean {
  return c.features.length === 1 && c.features[0] === 'delta_y';
}
