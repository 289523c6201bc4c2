import { describe, it, expect, beforeAll } from '@jest/globals';
import { EventGenerator } from '../../src/sources/generator.js';
import { CALIBRATION } from '../../src/sources/generator-calibration.js';
import { dijetBinIntegral, fitDijetSpectrum } from '../../src/sources/generator-spectrum.js';
import {
  LHCO_SR_CUTS,
  atlasFitBins,
  generatedFeatures,
  ksDistance,
  loadAtlasSpectrum,
  loadLhcoFeatures,
  mean,
  type AtlasBin,
  type DijetFeatures,
} from '../../src/sources/generator-reference.js';
import type { EventBatch } from '../../src/events/batch.js';
import { atlasSpectrumCsv, lhcoDir } from '../helpers/paths.js';

function generate(opts: ConstructorParameters<typeof EventGenerator>[0]): EventBatch[] {
  const g = new EventGenerator(opts);
  const out: EventBatch[] = [];
  while (g.remaining > 0) out.push(g.next(65536));
  return out;
}

let atlas: AtlasBin[];
let bgRef: DijetFeatures;
let sigRef: DijetFeatures;
beforeAll(async () => {
  atlas = await loadAtlasSpectrum(atlasSpectrumCsv);
  bgRef = await loadLhcoFeatures(lhcoDir, ['sr_train.parquet', 'sr_val.parquet'], 0);
  sigRef = await loadLhcoFeatures(lhcoDir, ['sr_test.parquet', 'sr_extrasig_train.parquet'], 1);
});

const heavier = (f: DijetFeatures) => Array.from(f.mjMin, (m, i) => m + f.deltaMj[i]!);

describe('generator calibration against real data', () => {
  it('reads the reference data sets', () => {
    expect(atlas).toHaveLength(91);
    expect(bgRef.mjj.length).toBe(120000 - 395 - 369);
    expect(sigRef.mjj.length).toBe(20000 + 27263);
  });

  it("uses a dijet function that reproduces ATLAS's own fit of the 139 fb^-1 spectrum within its errors", () => {
    const norm =
      atlas.reduce((a, b) => a + b.fit, 0) /
      atlas.reduce((a, b) => a + dijetBinIntegral(CALIBRATION.dijet, b.low, b.high, 13000), 0);
    let chi2 = 0;
    for (const b of atlas)
      chi2 += ((norm * dijetBinIntegral(CALIBRATION.dijet, b.low, b.high, 13000) - b.fit) / b.fitError) ** 2;
    expect(chi2 / (atlas.length - 4)).toBeLessThan(1);
    // ...and is what the fit gives today (the constants are not stale).
    const refit = fitDijetSpectrum(atlasFitBins(atlas), 13000, 4);
    refit.coef.slice(1).forEach((c, k) => {
      expect(Math.abs(c - CALIBRATION.dijet[k + 1]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(c)));
    });
  });

  it('generates an mjj spectrum with the shape of the ATLAS observed spectrum', () => {
    const batches = generate({ events: 300000, seed: 101 });
    const counts = new Float64Array(atlas.length);
    for (const b of batches) {
      for (const m of b.columns.mjj!) {
        if (m < atlas[0]!.low || m >= atlas[atlas.length - 1]!.high) continue;
        let lo = 0,
          hi = atlas.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (atlas[mid]!.low <= m) lo = mid;
          else hi = mid - 1;
        }
        counts[lo]!++;
      }
    }
    const nGen = counts.reduce((a, v) => a + v, 0),
      nObs = atlas.reduce((a, r) => a + r.observed, 0);
    let chi2 = 0,
      bins = 0;
    atlas.forEach((r, k) => {
      if (counts[k]! < 10) return;
      chi2 += (counts[k]! / nGen - r.observed / nObs) ** 2 / (counts[k]! / nGen ** 2 + r.observed / nObs ** 2);
      bins++;
    });
    expect(bins).toBeGreaterThan(35);
    expect(chi2 / bins).toBeLessThan(1.6);
  });

  it('matches the LHCO R&D background in 3.3-3.7 TeV: lighter-jet mass, mass difference, tau21 of both jets', () => {
    const g = generatedFeatures(generate({ events: 120000, seed: 102, mjjMin: 3300, mjjMax: 3700 }), LHCO_SR_CUTS);
    expect(g.mjj.length).toBeGreaterThan(50000);
    expect(Math.abs(mean(g.mjMin) / mean(bgRef.mjMin) - 1)).toBeLessThan(0.04);
    expect(Math.abs(mean(g.deltaMj) / mean(bgRef.deltaMj) - 1)).toBeLessThan(0.06);
    expect(Math.abs(mean(g.tau21Lighter) - mean(bgRef.tau21Lighter))).toBeLessThan(0.01);
    expect(Math.abs(mean(g.tau21Heavier) - mean(bgRef.tau21Heavier))).toBeLessThan(0.01);
    for (const [a, b] of [
      [g.mjMin, bgRef.mjMin],
      [g.deltaMj, bgRef.deltaMj],
      [g.tau21Lighter, bgRef.tau21Lighter],
      [g.tau21Heavier, bgRef.tau21Heavier],
    ] as const) {
      expect(ksDistance(a, b)).toBeLessThan(0.03);
    }
  });

  it('reproduces the tau21 - jet mass anticorrelation of LHCO R&D QCD jets', () => {
    const g = generatedFeatures(generate({ events: 60000, seed: 103, mjjMin: 3300, mjjMax: 3700 }), LHCO_SR_CUTS);
    const corr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      const ma = mean(a),
        mb = mean(b);
      let sab = 0,
        saa = 0,
        sbb = 0;
      for (let i = 0; i < a.length; i++) {
        sab += (a[i]! - ma) * (b[i]! - mb);
        saa += (a[i]! - ma) ** 2;
        sbb += (b[i]! - mb) ** 2;
      }
      return sab / Math.sqrt(saa * sbb);
    };
    const real = corr(bgRef.tau21Heavier, heavier(bgRef)),
      gen = corr(g.tau21Heavier, heavier(g));
    expect(real).toBeLessThan(-0.4);
    expect(Math.abs(gen - real)).toBeLessThan(0.05);
  });

  it("matches the LHCO R&D signal W'(3500) -> X(500) Y(100) in 3.3-3.7 TeV", () => {
    const g = generatedFeatures(
      generate({ events: 30000, seed: 104, signals: [{ mA: 3500, mB: 500, mC: 100, n: 30000 }] }),
      LHCO_SR_CUTS,
    );
    expect(Math.abs(mean(g.mjMin) / mean(sigRef.mjMin) - 1)).toBeLessThan(0.05);
    expect(Math.abs(mean(heavier(g)) / mean(heavier(sigRef)) - 1)).toBeLessThan(0.04);
    expect(Math.abs(mean(g.tau21Lighter) - mean(sigRef.tau21Lighter))).toBeLessThan(0.02);
    expect(Math.abs(mean(g.tau21Heavier) - mean(sigRef.tau21Heavier))).toBeLessThan(0.03);
    for (const [a, b] of [
      [g.mjMin, sigRef.mjMin],
      [g.deltaMj, sigRef.deltaMj],
      [g.tau21Lighter, sigRef.tau21Lighter],
      [g.tau21Heavier, sigRef.tau21Heavier],
    ] as const) {
      expect(ksDistance(a, b)).toBeLessThan(0.06);
    }
    // Signal is far more two-prong than background, as in LHCO.
    expect(mean(g.tau21Heavier)).toBeLessThan(mean(bgRef.tau21Heavier) - 0.2);
  });
});
