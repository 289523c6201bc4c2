/**
 * Look-elsewhere effect: the global significance of the largest local Z of a run, over every valid window and
 * working point that was tested. Two estimates:
 *   - pseudo-experiments on the fitted backgrounds: each test's histogram is redrawn from its own background-only
 *     fit (sideband bins Poisson, the SR bins with the variance the test assumed for the SR count), analysed again
 *     with the same strategy, fit range and calibration, and the largest Z of each pseudo-experiment is recorded;
 *     p_global is the fraction at or above the observed maximum. Tests are drawn independently, which ignores the
 *     positive correlations of overlapping windows and nested working points: it overstates the trials factor,
 *     so the global p-value is conservative. A calibrated test's local Z has unit width under the null of its
 *     calibration (signal-free samples with the classifiers retrained); a redrawn histogram is a narrower null (the
 *     fit's fluctuations only), so dividing its Z by the calibration's width made the pseudo-experiments too wide:
 *     quickstart's local 4.09 read as a global 1.48 against Šidák's 3.40. A calibrated test's pseudo-experiment Z
 *     values are therefore standardised on their own mean and width, the same mapping to unit width, and keep the
 *     shape of their tails (few SR events at tight working points).
 *   - asymptotic: the Šidák trials factor for N independent tests, p_global = 1 − (1 − p_local)^N, with N the
 *     number of tests (the same conservative assumption, in closed form).
 */
import type { SignificanceResult, WindowResult } from '../events/result.js';
import { seededPoisson } from '../stats/random.js';
import { pFromZ, zFromP } from '../stats/special.js';
import type { HistogramStats } from './analyse-window.js';
import { calibrate, zMoments } from './calibration.js';

export interface GlobalSignificance {
  /** Valid (window, working point) tests in the run. */
  tests: number;
  maxLocalZ: number;
  window: string;
  workingPoint: number | null;
  pseudoExperiments: number;
  /** Pseudo-experiments whose largest Z reached the observed one. */
  exceeded: number;
  pGlobal: number;
  zGlobal: number;
  /** True when no pseudo-experiment reached the observed Z: p_global is then below 1/(N+1), quoted as that. */
  pGlobalIsUpperBound: boolean;
  asymptotic: { trials: number; pGlobal: number; zGlobal: number };
  seconds: number;
}

export interface GlobalOptions {
  pseudoExperiments: number;
  seed: number;
  stats: HistogramStats;
  fit: { strategy: 'atlas2024' | 'atlas2020' | 'single'; functions?: string[]; sqrtS: number };
  /** The fit SR of a window when it differs from the SR (seed 001). */
  fitSr?: (r: WindowResult) => [number, number] | undefined;
}

/** The global significance of the run's largest valid local Z; undefined when no test is valid. */
export function globalSignificance(results: WindowResult[], o: GlobalOptions): GlobalSignificance | undefined {
  const t0 = performance.now();
  const tests = results.filter(
    (r) => r.trigger === 'end' && r.valid && r.significance?.z !== undefined && r.fit && r.histogram,
  );
  if (tests.length === 0) return undefined;
  let best = tests[0]!;
  for (const r of tests) if (r.significance!.z! > best.significance!.z!) best = r;
  const zMax = best.significance!.z!;
  const poisson = seededPoisson(o.seed);
  const n = o.pseudoExperiments;
  // Pseudo-experiment Z per test (NaN where the redrawn histogram gave no valid Z), calibrated test by test.
  const zs = tests.map((r) => {
    const raw = Float64Array.from({ length: n }, () => pseudoZ(r, o, poisson) ?? Number.NaN);
    return calibrateToys(raw, r.significance!.calibration);
  });
  let exceeded = 0;
  for (let k = 0; k < n; k++) {
    let max = -Infinity;
    for (const z of zs) if (z[k]! > max) max = z[k]!;
    if (max >= zMax) exceeded++;
  }
  const upper = exceeded === 0;
  const pGlobal = n > 0 ? (upper ? 1 / (n + 1) : exceeded / n) : Number.NaN;
  const pLocal = pFromZ(zMax);
  // 1 − (1 − p)^N without cancellation for tiny p.
  const pSidak = -Math.expm1(tests.length * Math.log1p(-pLocal));
  return {
    tests: tests.length,
    maxLocalZ: zMax,
    window: best.window.id,
    workingPoint: best.workingPoint,
    pseudoExperiments: n,
    exceeded,
    pGlobal,
    zGlobal: Number.isFinite(pGlobal) ? zFromP(pGlobal) : Number.NaN,
    pGlobalIsUpperBound: upper,
    asymptotic: { trials: tests.length, pGlobal: pSidak, zGlobal: zFromP(pSidak) },
    seconds: (performance.now() - t0) / 1000,
  };
}

/** One pseudo-experiment of one test: its histogram redrawn from its background fit and analysed again. */
function pseudoZ(r: WindowResult, o: GlobalOptions, poisson: (l: number) => number): number | undefined {
  const h = r.histogram!;
  const fit = r.fit!;
  const sig = r.significance!;
  const nb = h.counts.length;
  const sr = r.window.sr;
  // The SR count's variance per count, as the test assumed it (1 for Poisson, below 1 for a fixed-ε selection).
  const v = sig.observed > 0 && sig.observedVariance !== undefined ? sig.observedVariance / sig.observed : 1;
  const c = v > 0 ? 1 / v : 1;
  const counts = new Float64Array(nb);
  let srCount = 0;
  for (let i = 0; i < nb; i++) {
    const mu = Math.max(0, fit.prediction[i] ?? 0);
    const inSr = h.edges[i]! < sr[1] && h.edges[i + 1]! > sr[0];
    counts[i] = inSr ? poisson(c * mu) / c : poisson(mu);
    if (inSr) srCount += counts[i]!;
  }
  const a = o.stats({
    edges: Float64Array.from(h.edges),
    counts,
    ...(sig.observedVariance !== undefined ? { srCountVariance: srCount * v } : {}),
    sr,
    fitSr: o.fitSr?.(r),
    strategy: o.fit.strategy,
    functions: o.fit.functions,
    sqrtS: o.fit.sqrtS,
    ...(fit.fitFrom !== undefined ? { fitFrom: fit.fitFrom } : {}),
  });
  const z = a.significance.z;
  return z === undefined || a.invalid.length ? undefined : z;
}

/** Fewest valid pseudo-experiments of a test for their own moments to calibrate them. */
const MIN_TOYS_FOR_MOMENTS = 10;

/** A calibrated test's pseudo-experiment Z values mapped as its local Z was, on their own mean and width. */
function calibrateToys(raw: Float64Array, cal: SignificanceResult['calibration']): Float64Array {
  if (!cal) return raw;
  const ok = Array.from(raw).filter(Number.isFinite);
  const m = ok.length >= MIN_TOYS_FOR_MOMENTS ? zMoments(ok) : cal;
  const entry = { ...cal, mean: m.mean, std: m.std, median: 0, spread: 0, closure: true };
  return raw.map((z) => (Number.isFinite(z) ? calibrate(z, entry, cal.mode) : z));
}
