/**
 * The one contract of the learned background models (CATHODE, CURTAINS, SALAD, ... one per file beside this one):
 * fit on a window's sideband (or control) events, then give a template of the signal region's background as
 * events with weights, in the same feature columns as the data. The classifier then learns template (label 0)
 * against SR data (label 1) in the SR (src/analysis/cwola-selection.ts), so a localized excess is the only thing
 * left to find when the template is faithful; its fidelity is measured by ./fidelity.ts.
 *
 * The CWoLa reference (./sideband-reference.ts) is the degenerate model whose "template" is the sideband data
 * themselves and needs no fit. Pure math: typed arrays in, typed arrays out, every random step from the seed.
 */
import { SidebandError } from '../events/errors.js';
import type { TemplateModelInfo } from '../events/result.js';

/** A window's events as a background model sees them: feature columns and mjj, and the window's regions. */
export interface TemplateInput {
  features: string[];
  /** One column per feature, length n. */
  columns: Float32Array[];
  mjj: Float32Array;
  /** Event weights (default 1). */
  weight?: Float32Array;
  sr: [number, number];
  sb: [number, number][];
  seed: number;
  /**
   * Simulated events of the window's mjj range, for models that reweight simulation to data (SALAD): columns in
   * `features` order, length of mjj.
   */
  simulation?: { columns: Float32Array[]; mjj: Float32Array; weight?: Float32Array };
}

/** What a background model reports about its fit (ModelInfo.template carries it into every window result). */
export type TemplateInfo = TemplateModelInfo;

/** A signal-region template: events in the data's feature columns, at SR masses, with weights. */
export interface SrTemplate {
  features: string[];
  columns: Float32Array[];
  mjj: Float32Array;
  weight: Float32Array;
  n: number;
  info: TemplateInfo;
}

export interface BackgroundModel {
  readonly name: string;
  /** Fit on the input's sideband events and generate the SR template. */
  template(input: TemplateInput): SrTemplate;
}

/** Rows of the input in the SR and in any sideband (masks of length n). */
export function regionMasks(input: Pick<TemplateInput, 'mjj' | 'sr' | 'sb'>): {
  sr: Uint8Array;
  sb: Uint8Array;
  nSr: number;
  nSb: number;
} {
  const { mjj, sr, sb } = input;
  const n = mjj.length;
  const srMask = new Uint8Array(n);
  const sbMask = new Uint8Array(n);
  let nSr = 0;
  let nSb = 0;
  for (let i = 0; i < n; i++) {
    const m = mjj[i]!;
    if (m >= sr[0] && m < sr[1]) {
      srMask[i] = 1;
      nSr++;
      continue;
    }
    for (let s = 0; s < sb.length; s++) {
      if (m >= sb[s]![0] && m < sb[s]![1]) {
        sbMask[i] = 1;
        nSb++;
        break;
      }
    }
  }
  return { sr: srMask, sb: sbMask, nSr, nSb };
}

/** Row-major n x D copy of the masked rows of D columns (the flows' input layout). */
export function rowMajor(columns: Float32Array[], mask: Uint8Array, count: number): Float32Array {
  const D = columns.length;
  const out = new Float32Array(count * D);
  let k = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    for (let j = 0; j < D; j++) out[k * D + j] = columns[j]![i]!;
    k++;
  }
  return out;
}

/** Columns of a row-major n x D array. */
export function columnsOf(X: Float32Array, D: number): Float32Array[] {
  const n = X.length / D;
  const out = Array.from({ length: D }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) out[j]![i] = X[i * D + j]!;
  return out;
}

export function requireEvents(model: string, what: string, have: number, need: number): void {
  if (have < need)
    throw new SidebandError(`background ${model}: too few events ${what} (${have}; need ${need})`, {
      retriable: false,
    });
}
