/**
 * Template fidelity (issue 13 item 5): how well can a classifier tell a background template from a reference
 * sample? The AUC of out-of-fold scores of an HGB trained template (label 0) against reference (label 1): 0.5 for
 * a template indistinguishable from the reference, above it for a template that misses something. Two references
 * per window: the SR data (always; a localized signal alone then pushes the AUC up a little) and the true SR
 * background (generated events with truth labels). Five folds (3 train / 1 validation / 1 test, rotating, as the
 * selection's cross-validation), so every event is scored by a model that never saw it. The classes are given
 * equal total weight; the AUC weighs template events by their weights.
 *
 * Beside the AUC, its standard deviation under the null hypothesis of identical samples (Mann–Whitney:
 * √((n₀ + n₁ + 1) / (12 n₀ n₁))), so that "0.51" can be read as consistent with 0.5 or not.
 */
import { defaultClassifierConfig } from '../classify/config.js';
import { assignFolds, cvSplits, rowsOfFolds } from '../classify/crossval.js';
import { fitHgb, predictRaw, type HgbParams } from '../classify/hgb.js';
import { auc, rocCurve } from '../classify/metrics.js';

export interface FidelityResult {
  auc: number;
  /** Standard deviation of the AUC of two identical samples of these sizes. */
  nullSd: number;
  templateEvents: number;
  referenceEvents: number;
}

export interface FidelityOptions {
  folds?: number;
  seed?: number;
  hgb?: Partial<HgbParams>;
  /** Use at most this many template events per reference event (a seeded subsample; default 2). */
  maxTemplatePerReference?: number;
}

/** Fewest events per class for a fidelity figure. */
export const MIN_FIDELITY_EVENTS = 50;

/**
 * AUC of template against reference. `template` and `reference` are feature columns (same order); the template
 * may carry weights.
 */
export function templateFidelity(
  template: { columns: Float32Array[]; weight?: Float32Array },
  reference: { columns: Float32Array[] },
  o: FidelityOptions = {},
): FidelityResult {
  const nR = reference.columns[0]?.length ?? 0;
  let nT0 = template.columns[0]?.length ?? 0;
  if (nR < MIN_FIDELITY_EVENTS || nT0 < MIN_FIDELITY_EVENTS)
    return { auc: NaN, nullSd: NaN, templateEvents: nT0, referenceEvents: nR };
  // A seeded subsample of the template (every ⌈nT / cap⌉-th event after a shuffle would cost a copy anyway).
  const cap = Math.round((o.maxTemplatePerReference ?? 2) * nR);
  let pick: Uint32Array | undefined;
  if (nT0 > cap) {
    const idx = Uint32Array.from({ length: nT0 }, (_, i) => i);
    let s = (o.seed ?? 0) ^ 0x9e3779b9;
    for (let i = nT0 - 1; i > 0; i--) {
      s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
      const j = (s >>> 0) % (i + 1);
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    pick = idx.subarray(0, cap).sort();
    nT0 = cap;
  }
  const nT = nT0;
  const n = nT + nR;
  const D = reference.columns.length;
  const columns = Array.from({ length: D }, (_, j) => {
    const c = new Float32Array(n);
    const src = template.columns[j]!;
    if (pick) for (let k = 0; k < nT; k++) c[k] = src[pick[k]!]!;
    else c.set(src.subarray(0, nT));
    c.set(reference.columns[j]!, nT);
    return c;
  });
  const y = new Uint8Array(n);
  y.fill(1, nT);
  const tw = new Float64Array(nT);
  let sumT = 0;
  for (let k = 0; k < nT; k++) {
    tw[k] = template.weight ? template.weight[pick ? pick[k]! : k]! : 1;
    sumT += tw[k]!;
  }
  // Equal total weight per class for training; the AUC uses the template's own relative weights.
  const weight = new Float32Array(n);
  for (let k = 0; k < nT; k++) weight[k] = (tw[k]! * nR) / sumT;
  weight.fill(1, nT);
  const k = o.folds ?? 5;
  const fold = assignFolds(y, k, o.seed ?? 0);
  const score = new Float64Array(n);
  const params = { ...defaultClassifierConfig.hgb, ...o.hgb };
  for (const sp of cvSplits('atlas2024', k)) {
    const rows = rowsOfFolds(fold, sp.train);
    const validationRows = rowsOfFolds(fold, [sp.validation]);
    const model = fitHgb(
      { columns, y, weight, rows },
      { ...params, seed: (o.seed ?? 0) + sp.test },
      { validationRows },
    );
    const test = rowsOfFolds(fold, [sp.test]);
    const s = predictRaw(model, columns, test);
    for (let q = 0; q < test.length; q++) score[test[q]!] = s[q]!;
  }
  const w = Float64Array.from(weight);
  const a = auc(rocCurve(score, y, w));
  return {
    auc: a,
    nullSd: Math.sqrt((nT + nR + 1) / (12 * nT * nR)),
    templateEvents: nT,
    referenceEvents: nR,
  };
}
