/**
 * Goodness of fit for sparse binned spectra. Pearson's χ² has its χ²(ndf) distribution only when every bin
 * expects a few events (Cochran: ≥ 5); a dijet sideband after a tight selection has dozens of bins expecting
 * less than one event, where both Pearson's statistic and the Poisson deviance are far from χ²(ndf) and their
 * p-values sit near 1 whatever the fit (42–59 of 64 fitted bins expected < 1 event in the ATLAS 2020 topology, and
 * every p-value was 0.82–1.000). Merging neighbouring fitted bins until each group expects ≥ 5 events restores
 * the distribution, so the "refit until p > 0.05" strategy can trigger. Groups never span a masked region (the SR):
 * bins are merged only within a contiguous run of fitted bins; a run's remainder joins its last group.
 *
 * Where even the merged groups are too few to test (a tight selection at high mass: 2–3 groups for 3–5
 * parameters), the Poisson deviance is referred to its own distribution: pseudo-experiments drawn from the fitted
 * prediction and refitted, as seed 000 §V.D.1 does for its spurious-signal checks. This is the parametric
 * bootstrap; it needs no asymptotic count per bin.
 */
import { seededPoisson } from '../stats/random.js';
import { chi2Sf } from '../stats/special.js';

export interface MergedPearson {
  chi2: number;
  /** Groups of bins the statistic was computed over. */
  groups: number;
  /** groups − fitted parameters. */
  ndf: number;
  /** χ² p-value for ndf (NaN when ndf ≤ 0: too few groups to test). */
  pvalue: number;
}

/** Pearson χ² = Σ_g (N_g − M_g)² / M_g over the merged groups. */
export function mergedPearson(
  counts: ArrayLike<number>,
  expected: ArrayLike<number>,
  use: Uint8Array | undefined,
  nParams: number,
  options: { minExpected?: number } = {},
): MergedPearson {
  const minExpected = options.minExpected ?? 5;
  const groups: Array<[number, number]> = []; // [observed, expected]
  let runStart = 0; // index in `groups` where the current contiguous run began
  let n = 0,
    m = 0,
    open = false,
    prev = -2;
  const close = () => {
    if (!open) return;
    if (m >= minExpected || groups.length === runStart) groups.push([n, m]);
    else {
      const last = groups[groups.length - 1]!;
      last[0] += n;
      last[1] += m;
    }
    n = 0;
    m = 0;
    open = false;
  };
  for (let i = 0; i < counts.length; i++) {
    if (use && !use[i]) continue;
    if (i !== prev + 1) {
      close();
      runStart = groups.length;
    }
    prev = i;
    n += Math.max(0, counts[i]!);
    m += expected[i]!;
    open = true;
    if (m >= minExpected) {
      groups.push([n, m]);
      n = 0;
      m = 0;
      open = false;
    }
  }
  close();
  let chi2 = 0;
  for (const [o, e] of groups) if (e > 0) chi2 += (o - e) ** 2 / e;
  const ndf = groups.length - nParams;
  return { chi2, groups: groups.length, ndf, pvalue: ndf > 0 ? chi2Sf(chi2, ndf) : Number.NaN };
}

/**
 * p-value of an observed deviance against pseudo-experiments: each toy draws Poisson counts from `prediction` in
 * the fitted bins and `refit` returns the refitted toy's deviance (NaN when that fit fails). p = (1 + #{D_toy ≥
 * D_obs}) / (1 + toys that fitted): never 0, so one sparse spectrum cannot claim more than its toys resolve. NaN
 * when fewer than half the toys fit. The seed is a hash of the prediction, so a fit gives the same p every time.
 */
export function toyDevianceTest(
  observed: number,
  prediction: Float64Array,
  use: Uint8Array | undefined,
  toys: number,
  refit: (counts: Float64Array) => number,
): number {
  if (!Number.isFinite(observed) || toys < 1) return Number.NaN;
  const draw = seededPoisson(hashFitted(prediction, use));
  const counts = new Float64Array(prediction.length);
  let fitted = 0,
    above = 0;
  for (let t = 0; t < toys; t++) {
    for (let i = 0; i < counts.length; i++) counts[i] = !use || use[i] ? draw(prediction[i]!) : 0;
    const d = refit(counts);
    if (!Number.isFinite(d)) continue;
    fitted++;
    if (d >= observed) above++;
  }
  return 2 * fitted < toys ? Number.NaN : (1 + above) / (1 + fitted);
}

/** FNV-1a over the fitted predictions' float64 bits: a seed that is a function of the fit alone. */
function hashFitted(prediction: Float64Array, use: Uint8Array | undefined): number {
  const bytes = new Uint8Array(prediction.buffer, prediction.byteOffset, prediction.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < prediction.length; i++) {
    if (use && !use[i]) continue;
    for (let b = i * 8; b < i * 8 + 8; b++) h = Math.imul(h ^ bytes[b]!, 0x01000193);
  }
  return h >>> 0;
}
