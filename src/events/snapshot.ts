import type { CutFlowEntry, WindowDef } from './result.js';

/**
 * What a window hands to its analysis when a threshold fires: a copy of the window's selected events
 * (SR and SB, columnar), so that ingestion can keep appending while training runs elsewhere.
 */
export interface WindowSnapshot {
  window: WindowDef;
  trigger: 'threshold' | 'growth' | 'time' | 'end';
  /** Feature names, in the order of `columns`. */
  features: string[];
  /** One Float32Array of length n per feature. */
  columns: Float32Array[];
  /** Dijet invariant mass in GeV, length n. */
  mjj: Float32Array;
  weight?: Float32Array;
  label?: Uint8Array;
  n: number;
  counts: { sr: number; sbLow: number; sbHigh: number };
  cutflow: CutFlowEntry[];
  /**
   * The inclusive mjj spectrum of every buffered event (all windows) at snapshot time, for the fit-range guard:
   * a trigger turn-on is a property of the whole spectrum, often below the window's own span.
   */
  spectrum?: { edges: Float64Array; counts: Float64Array };
  /** The request's number among its window's requests (names its results: WindowResult.key). */
  sequence?: number;
}
