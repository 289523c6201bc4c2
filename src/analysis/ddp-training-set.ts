/**
 * Training-set generator of the DDP neural bump hunter (seed 002 §4 "Dataset generation" and §5.2): pairs of an
 * observed mass histogram and its per-bin significance targets.
 *
 * One histogram:
 *  1. bins N uniform in [binsMin, binsMax] (30–100, §5.2.2);
 *  2. dynamic range: y1 > y2, the entries of the first and last bin, two log-uniform draws in [rangeMin,
 *     rangeMax] (10–10⁵ per bin, §5.2.2; seed 002 says "randomized from the interval" without a measure, and a
 *     log-uniform draw covers the five decades evenly);
 *  3. background shape b: with probability fitFraction a shape fitted to a real or generated spectrum
 *     (ddp-shapes.ts) over a mass window falling by y1/y2; otherwise one of the function families of eq. (32)
 *     through (1, y1), (N, y2), cut and stretched with probability cutFraction (ddp-families.ts);
 *  4. signal: width w (Gaussian σ in bins) uniform among `widths`, centre on a uniformly drawn bin, size such that
 *     its Asimov significance over b is z_inj, uniform in [zMin, zMax] (0–20σ; seed 002 §4 trains with 1–20σ);
 *  5. counts n_j = Pois(b_j) + Pois(s_j): background and signal fluctuate independently ("Adding Fluctuations",
 *     "Signal Injection");
 *  6. targets: z_PL per bin for every width over the known b (ddp-targets.ts), and their maximum (DMFmw).
 *
 * Determinism: histogram k of a set with seed S draws everything from its own mulberry32 stream seeded with a
 * hash of (S, k) — the family, the shape, the signal and the Poisson draws (@stdlib's sampler fed by that stream)
 * — so a histogram is the same whether it is generated alone, in any batch, or in any shard of a set.
 *
 * Output is columnar (DdpBatch): the per-bin arrays of all histograms of a batch are concatenated, with offsets.
 */
import poisson from '@stdlib/random-base-poisson';
import { mulberry32 } from '../stats/random.js';
import { SidebandError } from '../events/errors.js';
import {
  FUNCTION_FAMILIES,
  compileShape,
  familyCounts,
  shapeCounts,
  shapeWindow,
  type CompiledShape,
  type CutStretch,
  type FittedShape,
  type FunctionFamily,
} from './ddp-families.js';
import { FITTED_SHAPES } from './ddp-shapes.js';
import { DEFAULT_WIDTHS, gaussianTemplate, signalEventsForZ, zPlScanInto, type SignalTemplate } from './ddp-targets.js';

export interface DdpSetOptions {
  /** Seed of the set (an integer; histogram k uses a hash of (seed, k)). */
  seed: number;
  binsMin?: number;
  binsMax?: number;
  /** Entries per bin of the background: the range the first and last bin's values are drawn from. */
  rangeMin?: number;
  rangeMax?: number;
  /** Signal widths, Gaussian σ in bins (default 1, 2, 3, 4). */
  widths?: readonly number[];
  /** Injected (Asimov) significance range, σ. */
  zMin?: number;
  zMax?: number;
  /** Share of histograms whose background is a fitted shape (default 0.5, the 50/50 mixture of DMFmw). */
  fitFraction?: number;
  /** Share of function-family backgrounds that are cut and stretched (default 0.5). */
  cutFraction?: number;
  families?: readonly FunctionFamily[];
  shapes?: readonly FittedShape[];
  /** Range of the exponent n of the inverse-power family (default [0.5, 6]). */
  powerRange?: readonly [number, number];
}

export type ResolvedDdpSetOptions = Required<DdpSetOptions>;

/** Histograms of a batch, columnar. Per-bin arrays are concatenated; histogram r spans offsets[r] … offsets[r+1]. */
export interface DdpBatch {
  rows: number;
  widths: number[];
  offsets: Int32Array;
  counts: Int32Array;
  /** The smooth background b the counts were drawn from (the target's known background). */
  background: Float32Array;
  /** Expected signal per bin (A·template). */
  signal: Float32Array;
  /** z_PL per width, same layout as counts. */
  zByWidth: Float32Array[];
  /** max over widths (DMFmw target). */
  zMixed: Float32Array;
  index: Int32Array;
  bins: Int32Array;
  /** Function family name, or 'fit:<shape id>' for a fitted shape. */
  family: string[];
  /** 'plain', 'cut-keep-low', 'cut-keep-high' (families) or 'window' (fitted shapes). */
  variant: string[];
  /** Cut position as a fraction of the x range; NaN when not cut. */
  cutAt: Float64Array;
  /** Exponent of inverse-power; NaN otherwise. */
  power: Float64Array;
  /** Mass window of a fitted shape, GeV; NaN for the function families. */
  massLo: Float64Array;
  massHi: Float64Array;
  /** Requested end-point entries y1 > y2. */
  yHigh: Float64Array;
  yLow: Float64Array;
  /** Largest and smallest background bin (the histogram's dynamic range). */
  backgroundMax: Float64Array;
  backgroundMin: Float64Array;
  signalBin: Int32Array;
  signalWidth: Float64Array;
  /** Injected significance (Asimov, σ) and the expected signal events A. */
  signalZ: Float64Array;
  signalEvents: Float64Array;
  /** Largest mixed-width target of the histogram (seed 002 §5.3's Z_pl). */
  zMax: Float64Array;
}

/** murmur3's 32-bit finaliser: a bijective mix of a uint32. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit FNV-1a of a string, as 8 hex digits (an identity check, not cryptography). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Seed of histogram `index` of a set with seed `seed` (uint32). */
export function histogramSeed(seed: number, index: number): number {
  return fmix32((fmix32(seed >>> 0) + Math.imul(index >>> 0, 0x9e3779b9)) >>> 0) || 1;
}

export function resolveDdpOptions(o: DdpSetOptions): ResolvedDdpSetOptions {
  const r: ResolvedDdpSetOptions = {
    seed: o.seed,
    binsMin: o.binsMin ?? 30,
    binsMax: o.binsMax ?? 100,
    rangeMin: o.rangeMin ?? 10,
    rangeMax: o.rangeMax ?? 1e5,
    widths: o.widths ?? DEFAULT_WIDTHS,
    zMin: o.zMin ?? 0,
    zMax: o.zMax ?? 20,
    fitFraction: o.fitFraction ?? 0.5,
    cutFraction: o.cutFraction ?? 0.5,
    families: o.families ?? FUNCTION_FAMILIES,
    shapes: o.shapes ?? FITTED_SHAPES,
    powerRange: o.powerRange ?? [0.5, 6],
  };
  const bad = (what: string) => new SidebandError(`ddp training set: ${what}`);
  if (!Number.isInteger(r.seed)) throw bad(`seed must be an integer (got ${r.seed})`);
  if (!(Number.isInteger(r.binsMin) && Number.isInteger(r.binsMax) && r.binsMin >= 2 && r.binsMax >= r.binsMin)) {
    throw bad(`bins must be integers with 2 ≤ binsMin ≤ binsMax (got ${r.binsMin}, ${r.binsMax})`);
  }
  if (!(r.rangeMin > 0 && r.rangeMax > r.rangeMin && Number.isFinite(r.rangeMax))) {
    throw bad(`entries per bin need 0 < rangeMin < rangeMax (got ${r.rangeMin}, ${r.rangeMax})`);
  }
  if (!(r.widths.length > 0 && r.widths.every((w) => w > 0 && Number.isFinite(w)))) {
    throw bad(`widths must be positive numbers (got ${r.widths.join(', ')})`);
  }
  if (!(r.zMin >= 0 && r.zMax >= r.zMin && Number.isFinite(r.zMax))) {
    throw bad(`injected significance needs 0 ≤ zMin ≤ zMax (got ${r.zMin}, ${r.zMax})`);
  }
  for (const [k, v] of [
    ['fitFraction', r.fitFraction],
    ['cutFraction', r.cutFraction],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw bad(`${k} must lie in [0, 1] (got ${v})`);
  }
  if (r.fitFraction < 1 && r.families.length === 0) {
    throw bad('no function family to draw from (families is empty and fitFraction < 1)');
  }
  if (r.fitFraction > 0 && r.shapes.length === 0) {
    throw bad('no fitted shape to draw from (shapes is empty and fitFraction > 0)');
  }
  for (const f of r.families)
    if (!(FUNCTION_FAMILIES as readonly string[]).includes(f)) {
      throw bad(`unknown family '${f}' (known: ${FUNCTION_FAMILIES.join(', ')})`);
    }
  if (!(r.powerRange[0] > 0 && r.powerRange[1] >= r.powerRange[0])) {
    throw bad(`powerRange must satisfy 0 < lo ≤ hi (got ${r.powerRange.join(', ')})`);
  }
  return r;
}

/** Generator of DDP training histograms; `batch(start, count)` fills histograms start … start+count−1. */
export class DdpTrainingSetGenerator {
  readonly options: ResolvedDdpSetOptions;
  private readonly templates: SignalTemplate[];
  private readonly shapes: CompiledShape[];
  /** The current histogram's uniform stream; the Poisson sampler reads from it. */
  private uniform: () => number = mulberry32(1);
  private readonly poisson: (lambda: number) => number;
  private readonly b: Float64Array;

  constructor(options: DdpSetOptions) {
    this.options = resolveDdpOptions(options);
    this.templates = this.options.widths.map((w) => gaussianTemplate(w));
    this.shapes = this.options.shapes.map(compileShape);
    const draw = poisson.factory({ prng: () => this.uniform() });
    this.poisson = (lambda: number) => (lambda > 0 ? draw(lambda) : 0);
    this.b = new Float64Array(this.options.binsMax);
  }

  /** What the set is, for the file's metadata. */
  describe(): Record<string, unknown> {
    const o = this.options;
    return {
      generator: 'sideband ddp training set (seed 002 §4–5)',
      seed: o.seed,
      binsMin: o.binsMin,
      binsMax: o.binsMax,
      rangeMin: o.rangeMin,
      rangeMax: o.rangeMax,
      widths: o.widths,
      zMin: o.zMin,
      zMax: o.zMax,
      fitFraction: o.fitFraction,
      cutFraction: o.cutFraction,
      families: o.families,
      powerRange: o.powerRange,
      shapes: o.shapes.map((s) => s.id),
      // The same ids with other parameters would make other histograms: the digest tells the shape tables apart.
      shapesDigest: fnv1a(JSON.stringify(o.shapes.map((s) => [s.id, s.function, s.params, s.mjjRange, s.sqrtS]))),
      target:
        'z_PL = sqrt(q0), q0 = 2 sum_j [n_j ln(1 + mu s_j/b_j) - mu s_j] at the MLE mu >= 0 (0 if mu <= 0); ' +
        's_j = Gaussian(sigma = w bins) mass in bin j, centred on bin i; b known (column background); ' +
        'z_mw = max over widths',
      injection: 'signal events A with Asimov Z_A(A) = signal_z over background; counts = Pois(b) + Pois(A s)',
      binning: 'bin numbers 1..N for the families; N equal mass bins over [mass_lo, mass_hi] for fitted shapes',
    };
  }

  batch(start: number, count: number): DdpBatch {
    if (!(Number.isInteger(start) && start >= 0 && Number.isInteger(count) && count >= 0)) {
      throw new SidebandError(
        `ddp training set: batch start and count must be non-negative integers (got ${start}, ${count})`,
      );
    }
    const o = this.options;
    const cap = count * o.binsMax;
    const nw = o.widths.length;
    const counts = new Int32Array(cap),
      background = new Float32Array(cap),
      signal = new Float32Array(cap);
    const zByWidth = o.widths.map(() => new Float32Array(cap));
    const zMixed = new Float32Array(cap);
    const offsets = new Int32Array(count + 1);
    const f64 = () => new Float64Array(count);
    const out = {
      index: new Int32Array(count),
      bins: new Int32Array(count),
      family: new Array<string>(count),
      variant: new Array<string>(count),
      cutAt: f64(),
      power: f64(),
      massLo: f64(),
      massHi: f64(),
      yHigh: f64(),
      yLow: f64(),
      backgroundMax: f64(),
      backgroundMin: f64(),
      signalBin: new Int32Array(count),
      signalWidth: f64(),
      signalZ: f64(),
      signalEvents: f64(),
      zMax: f64(),
    };
    const b = this.b;
    const lnMin = Math.log(o.rangeMin),
      lnSpan = Math.log(o.rangeMax) - lnMin;
    let at = 0;
    for (let r = 0; r < count; r++) {
      const index = start + r;
      const u = mulberry32(histogramSeed(o.seed, index));
      this.uniform = u;
      const nb = o.binsMin + Math.floor(u() * (o.binsMax - o.binsMin + 1));
      const l1 = lnMin + u() * lnSpan,
        l2 = lnMin + u() * lnSpan;
      const y1 = Math.exp(Math.max(l1, l2));
      const y2 = Math.min(Math.exp(Math.min(l1, l2)), y1 / 1.001);
      const bv = b.subarray(0, nb);
      let family: string,
        variant: string,
        cutAt = NaN,
        power = NaN,
        massLo = NaN,
        massHi = NaN;
      if (this.shapes.length > 0 && u() < o.fitFraction) {
        const c = this.shapes[Math.floor(u() * this.shapes.length)]!;
        [massLo, massHi] = shapeWindow(c, y1 / y2, u());
        shapeCounts(c, massLo, massHi, y1, bv);
        family = `fit:${c.shape.id}`;
        variant = 'window';
      } else {
        const fam = o.families[Math.floor(u() * o.families.length)]!;
        if (fam === 'inverse-power') power = o.powerRange[0] + u() * (o.powerRange[1] - o.powerRange[0]);
        let cut: CutStretch | undefined;
        if (u() < o.cutFraction) {
          cutAt = 0.1 + 0.8 * u();
          cut = { at: cutAt, keep: u() < 0.5 ? 'low' : 'high' };
        }
        familyCounts(fam, y1, y2, bv, { power: Number.isNaN(power) ? undefined : power, cut });
        family = fam;
        variant = cut ? `cut-keep-${cut.keep}` : 'plain';
      }
      const k = Math.floor(u() * nw);
      const tpl = this.templates[k]!;
      const zInj = o.zMin + u() * (o.zMax - o.zMin);
      const centre = Math.floor(u() * nb);
      const events = signalEventsForZ(bv, tpl, centre, zInj);

      const cv = counts.subarray(at, at + nb);
      const sv = signal.subarray(at, at + nb);
      const lo = Math.max(0, centre - tpl.half),
        hi = Math.min(nb - 1, centre + tpl.half);
      let bMax = -Infinity,
        bMin = Infinity;
      for (let j = 0; j < nb; j++) {
        const bj = bv[j]!;
        if (bj > bMax) bMax = bj;
        if (bj < bMin) bMin = bj;
        const sj = j >= lo && j <= hi ? events * tpl.weights[j - centre + tpl.half]! : 0;
        sv[j] = sj;
        cv[j] = this.poisson(bj) + this.poisson(sj);
        background[at + j] = bj;
      }
      const zm = zMixed.subarray(at, at + nb);
      zm.fill(-Infinity);
      for (let w = 0; w < nw; w++) {
        const zv = zByWidth[w]!.subarray(at, at + nb);
        zPlScanInto(cv, bv, this.templates[w]!, zv);
        for (let j = 0; j < nb; j++) if (zv[j]! > zm[j]!) zm[j] = zv[j]!;
      }
      let zMax = 0;
      for (let j = 0; j < nb; j++) if (zm[j]! > zMax) zMax = zm[j]!;

      out.index[r] = index;
      out.bins[r] = nb;
      out.family[r] = family;
      out.variant[r] = variant;
      out.cutAt[r] = cutAt;
      out.power[r] = power;
      out.massLo[r] = massLo;
      out.massHi[r] = massHi;
      out.yHigh[r] = y1;
      out.yLow[r] = y2;
      out.backgroundMax[r] = bMax;
      out.backgroundMin[r] = bMin;
      out.signalBin[r] = centre;
      out.signalWidth[r] = tpl.width;
      out.signalZ[r] = zInj;
      out.signalEvents[r] = events;
      out.zMax[r] = zMax;
      at += nb;
      offsets[r + 1] = at;
    }
    return {
      rows: count,
      widths: [...o.widths],
      offsets,
      counts: counts.slice(0, at),
      background: background.slice(0, at),
      signal: signal.slice(0, at),
      zByWidth: zByWidth.map((z) => z.slice(0, at)),
      zMixed: zMixed.slice(0, at),
      ...out,
    };
  }
}
