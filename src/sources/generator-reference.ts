/**
 * Reference data the generator is calibrated against, and the comparison figures: the LHCO R&D signal-region
 * features (CATHODE preparation, TeV, Parquet/zstd) and the ATLAS 139 fb^-1 dijet spectrum (CSV). Used by the
 * calibration benchmark and the calibration tests, never by the generator at run time.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { EventBatch } from '../events/batch.js';
import type { SpectrumBin } from './generator-spectrum.js';
import { SidebandError } from '../events/errors.js';

/** The four LHCO R&D substructure features plus mjj, all masses in GeV. */
export interface DijetFeatures {
  mjj: Float64Array;
  mjMin: Float64Array;
  deltaMj: Float64Array;
  tau21Lighter: Float64Array;
  tau21Heavier: Float64Array;
}

/** Events of the given LHCO R&D files with this truth label (0 background, 1 signal), converted TeV -> GeV. */
export async function loadLhcoFeatures(dir: string, files: string[], label: 0 | 1): Promise<DijetFeatures> {
  const cols: number[][] = [[], [], [], [], []];
  for (const f of files) {
    const file = path.join(dir, f);
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (e) {
      throw new SidebandError(`${file}: cannot read LHCO reference file: ${(e as Error).message}`, { cause: e });
    }
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    const rows = (await parquetReadObjects({ file: ab, compressors })) as Record<string, number>[];
    for (const r of rows) {
      if (Number(r.label) !== label) continue;
      cols[0]!.push(r.mjj! * 1000);
      cols[1]!.push(r.mj_min! * 1000);
      cols[2]!.push(r.delta_mj! * 1000);
      cols[3]!.push(r.tau21_lighter!);
      cols[4]!.push(r.tau21_heavier!);
    }
  }
  const [mjj, mjMin, deltaMj, tau21Lighter, tau21Heavier] = cols.map((c) => Float64Array.from(c)) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  return { mjj, mjMin, deltaMj, tau21Lighter, tau21Heavier };
}

/** ATLAS spectrum rows: observed counts and ATLAS's own fit per bin. */
export interface AtlasBin {
  low: number;
  high: number;
  observed: number;
  fit: number;
  fitError: number;
}

export async function loadAtlasSpectrum(csv: string): Promise<AtlasBin[]> {
  const text = await readFile(csv, 'utf8');
  const out: AtlasBin[] = [];
  for (const [n, line] of text.split('\n').entries()) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith('mjj_low')) continue;
    const v = t.split(',').map(Number);
    if (v.length < 5 || v.some((x) => !Number.isFinite(x)))
      throw new SidebandError(`${csv}: line ${n + 1}: expected 5 numbers, got '${t}'`);
    out.push({ low: v[0]!, high: v[1]!, observed: v[2]!, fit: v[3]!, fitError: v[4]! });
  }
  return out;
}

export function atlasFitBins(bins: AtlasBin[]): SpectrumBin[] {
  return bins.map((b) => ({ low: b.low, high: b.high, count: b.fit, error: b.fitError }));
}

/** Event selection of the LHCO R&D sample: single-jet trigger pT > 1.2 TeV, both jets |eta| < 2.5. */
export interface FeatureCuts {
  mjjLow: number;
  mjjHigh: number;
  leadPtMin: number;
  maxAbsEta: number;
}
export const LHCO_SR_CUTS: FeatureCuts = { mjjLow: 3300, mjjHigh: 3700, leadPtMin: 1200, maxAbsEta: 2.5 };

/** The LHCO features of generated events that pass `cuts` (optionally only one truth label). */
export function generatedFeatures(
  batches: EventBatch[],
  cuts: FeatureCuts,
  label?: 0 | 1,
): DijetFeatures & { jetPt: Float64Array; jetMass: Float64Array } {
  const acc: number[][] = [[], [], [], [], [], [], []];
  for (const b of batches) {
    const c = b.columns;
    const mjj = c.mjj!,
      pt1 = c.jet1_pt!,
      pt2 = c.jet2_pt!,
      e1 = c.jet1_eta!,
      e2 = c.jet2_eta!;
    const m1 = c.jet1_m!,
      m2 = c.jet2_m!,
      t11 = c.jet1_tau1!,
      t12 = c.jet1_tau2!,
      t21 = c.jet2_tau1!,
      t22 = c.jet2_tau2!;
    for (let i = 0; i < b.length; i++) {
      if (label !== undefined && b.label && b.label[i] !== label) continue;
      const m = mjj[i]!;
      if (m < cuts.mjjLow || m >= cuts.mjjHigh || pt1[i]! < cuts.leadPtMin) continue;
      if (Math.abs(e1[i]!) > cuts.maxAbsEta || Math.abs(e2[i]!) > cuts.maxAbsEta) continue;
      const firstLighter = m1[i]! <= m2[i]!;
      const ml = firstLighter ? m1[i]! : m2[i]!,
        mh = firstLighter ? m2[i]! : m1[i]!;
      const tl = firstLighter ? t12[i]! / t11[i]! : t22[i]! / t21[i]!;
      const th = firstLighter ? t22[i]! / t21[i]! : t12[i]! / t11[i]!;
      acc[0]!.push(m);
      acc[1]!.push(ml);
      acc[2]!.push(mh - ml);
      acc[3]!.push(tl);
      acc[4]!.push(th);
      acc[5]!.push(pt1[i]!, pt2[i]!);
      acc[6]!.push(m1[i]!, m2[i]!);
    }
  }
  const [mjj, mjMin, deltaMj, tau21Lighter, tau21Heavier, jetPt, jetMass] = acc.map((a) =>
    Float64Array.from(a),
  ) as Float64Array[];
  return {
    mjj: mjj!,
    mjMin: mjMin!,
    deltaMj: deltaMj!,
    tau21Lighter: tau21Lighter!,
    tau21Heavier: tau21Heavier!,
    jetPt: jetPt!,
    jetMass: jetMass!,
  };
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length ? s / a.length : NaN;
}

export function sorted(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a as ArrayLike<number>).sort();
}

/** Quantile of a sorted array (linear interpolation). */
export function quantileSorted(s: Float64Array, u: number): number {
  if (s.length === 0) return NaN;
  const x = u * (s.length - 1);
  const i = Math.floor(x);
  const f = x - i;
  return i + 1 < s.length ? s[i]! + f * (s[i + 1]! - s[i]!) : s[i]!;
}

/** Two-sample Kolmogorov-Smirnov distance sup |F_a - F_b|. */
export function ksDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const sa = sorted(a),
    sb = sorted(b);
  let i = 0,
    j = 0,
    d = 0;
  while (i < sa.length && j < sb.length) {
    const x = Math.min(sa[i]!, sb[j]!);
    while (i < sa.length && sa[i]! <= x) i++;
    while (j < sb.length && sb[j]! <= x) j++;
    d = Math.max(d, Math.abs(i / sa.length - j / sb.length));
  }
  return d;
}

/** Pearson correlation. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = mean(a),
    mb = mean(b);
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! - ma,
      y = b[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Spearman rank correlation (ties broken by order; fine for continuous data). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (v: ArrayLike<number>): Float64Array => {
    const idx = Array.from({ length: v.length }, (_, i) => i).sort((x, y) => v[x]! - v[y]!);
    const r = new Float64Array(v.length);
    idx.forEach((k, pos) => {
      r[k] = pos;
    });
    return r;
  };
  return correlation(rank(a), rank(b));
}
