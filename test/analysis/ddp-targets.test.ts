import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  asimovZ,
  gaussianTemplate,
  mixedWidth,
  profileBin,
  signalEventsForZ,
  zPlScanInto,
  zPlTargets,
} from '../../src/analysis/ddp-targets.js';
import { zPoissonAux } from '../../src/stats/discovery.js';
import { mulberry32, seededPoisson } from '../../src/stats/random.js';
import { repoRoot } from '../helpers/paths.js';

interface FixtureWidth {
  z: number[];
  z_signed: number[];
  mu_hat: number[];
}
interface Fixture {
  versions: Record<string, string>;
  widths: number[];
  histograms: { name: string; counts: number[]; background: number[]; widths: Record<string, FixtureWidth> }[];
  asimov: { bin: number; width: number; z: number; events: number }[];
}
// Made by test/analysis/fixtures/ddp_zpl_reference.py (SciPy brentq on the score, iminuit cross-checks).
const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/analysis/fixtures/ddp-zpl.json'), 'utf8')) as Fixture;

describe('z_PL (seed 002 eqs. 25-28) against the SciPy/iminuit reference', () => {
  for (const h of fixture.histograms) {
    it(`${h.name}: one-sided z, signed z and μ̂ for widths 1-4`, () => {
      for (const w of fixture.widths) {
        const ref = h.widths[String(w)]!;
        const nb = h.counts.length;
        // Untruncated template (±12σ, as the reference): the same numbers to rounding. The default template cut
        // at ±⌈5w⌉ bins moves z by less than 3e-5 (the fluctuations in the cut-off tail bins).
        for (const [tpl, tol] of [
          [gaussianTemplate(w, 12 * w), 1e-8],
          [gaussianTemplate(w), 5e-5],
        ] as const) {
          const z = new Float64Array(nb),
            zs = new Float64Array(nb);
          zPlScanInto(h.counts, h.background, tpl, z);
          zPlScanInto(h.counts, h.background, tpl, zs, true);
          for (let i = 0; i < nb; i++) {
            expect(Math.abs(z[i]! - ref.z[i]!)).toBeLessThan(tol);
            expect(Math.abs(zs[i]! - ref.z_signed[i]!)).toBeLessThan(tol);
            const mu = profileBin(h.counts, h.background, tpl, i, true).muHat;
            expect(Math.abs(mu - ref.mu_hat[i]!)).toBeLessThan(tol * Math.max(1, Math.abs(ref.mu_hat[i]!)));
          }
        }
      }
    });
  }

  it('the injected-signal size of an Asimov 5σ signal matches the reference root', () => {
    const b = fixture.histograms[1]!.background;
    for (const a of fixture.asimov) {
      const tpl = gaussianTemplate(a.width);
      const events = signalEventsForZ(b, tpl, a.bin, a.z);
      expect(Math.abs(events - a.events) / a.events).toBeLessThan(1e-5);
      expect(asimovZ(b, tpl, a.bin, events)).toBeCloseTo(5, 10);
    }
  });
});

describe('z_PL closed forms', () => {
  it('a one-bin template is the counting experiment Z = √(2 (n ln(n/b) − n + b))', () => {
    // width → 0: all of the signal in the centre bin.
    const tpl = gaussianTemplate(0.01, 3);
    expect(tpl.weights[3]).toBeCloseTo(1, 12);
    const b = [50, 80, 120, 80, 50];
    for (const n3 of [130, 150, 200, 1000]) {
      const counts = [50, 80, n3, 80, 50];
      const r = profileBin(counts, b, tpl, 2);
      expect(r.muHat).toBeCloseTo(n3 - 120, 6);
      expect(r.z).toBeCloseTo(zPoissonAux(n3, 120, 0).z, 8);
    }
    // A deficit: one-sided 0, signed −√q0.
    const d = [50, 80, 90, 80, 50];
    expect(profileBin(d, b, tpl, 2).z).toBe(0);
    expect(profileBin(d, b, tpl, 2, true).z).toBeCloseTo(zPoissonAux(90, 120, 0).z, 8);
  });

  it('on the Asimov histogram n = b + A s, μ̂ = A and z_PL = Z_A (Cowan et al. 2011)', () => {
    const nb = 60;
    const b = Float64Array.from({ length: nb }, (_, j) => 2000 * Math.exp(-0.05 * j));
    for (const w of [1, 2, 3, 4]) {
      const tpl = gaussianTemplate(w);
      const i = 30,
        A = 300;
      const n = Float64Array.from(b);
      for (let k = -tpl.half; k <= tpl.half; k++) n[i + k] = n[i + k]! + A * tpl.weights[k + tpl.half]!;
      const r = profileBin(n, b, tpl, i);
      expect(r.muHat).toBeCloseTo(A, 6);
      expect(r.z).toBeCloseTo(asimovZ(b, tpl, i, A), 8);
    }
  });

  it('on a large flat background z_PL tends to the Gaussian limit A·√(Σ s²/b)', () => {
    const nb = 40,
      bFlat = 1e6;
    const b = new Float64Array(nb).fill(bFlat);
    const tpl = gaussianTemplate(2);
    const A = 5000,
      i = 20;
    const n = Float64Array.from(b);
    let s2 = 0;
    for (let k = -tpl.half; k <= tpl.half; k++) {
      const s = tpl.weights[k + tpl.half]!;
      n[i + k] = n[i + k]! + A * s;
      s2 += s * s;
    }
    const gauss = A * Math.sqrt(s2 / bFlat);
    expect(Math.abs(profileBin(n, b, tpl, i).z - gauss) / gauss).toBeLessThan(2e-3);
  });

  it('the template holds the Gaussian mass of each bin and sums to 1 within 6e-7', () => {
    for (const w of [1, 2, 3, 4]) {
      const t = gaussianTemplate(w);
      const sum = t.weights.reduce((a, x) => a + x, 0);
      expect(1 - sum).toBeGreaterThanOrEqual(0);
      expect(1 - sum).toBeLessThan(6e-7);
    }
    // Centre bin of σ = 1: Φ(0.5) − Φ(−0.5).
    expect(gaussianTemplate(1).weights[5]).toBeCloseTo(0.3829249225480262, 14);
  });

  it('the mixed-width target is the bin-wise maximum', () => {
    const m = mixedWidth([Float64Array.from([0, 2, 1]), Float64Array.from([1, 0, 3])], 3);
    expect(Array.from(m)).toEqual([1, 2, 3]);
    const h = fixture.histograms[0]!;
    const t = zPlTargets(h.counts, h.background);
    for (let i = 0; i < h.counts.length; i++) expect(t.zMixed[i]).toBe(Math.max(...t.zByWidth.map((z) => z[i]!)));
  });

  it('rejects a background that is not positive, naming the bin', () => {
    expect(() => zPlTargets([1, 2, 3], [1, 0, 1])).toThrow(/bin 1: background/);
    expect(() => zPlTargets([1, 2], [1, 2, 3])).toThrow(/differ in length/);
  });
});

describe('z_PL under the null hypothesis (toys)', () => {
  // 4000 background-only histograms, flat b = 200 over 40 bins; z at one bin per toy for each width.
  const toys = 4000,
    nb = 40,
    bFlat = 200;
  const b = new Float64Array(nb).fill(bFlat);
  const pois = seededPoisson(12345);
  const pick = mulberry32(99);
  const signed: number[][] = [[], [], [], []],
    oneSided: number[][] = [[], [], [], []];
  const tpls = [1, 2, 3, 4].map((w) => gaussianTemplate(w));
  const n = new Float64Array(nb);
  for (let t = 0; t < toys; t++) {
    for (let j = 0; j < nb; j++) n[j] = pois(bFlat);
    const i = 10 + Math.floor(pick() * 20);
    tpls.forEach((tpl, k) => {
      signed[k]!.push(profileBin(n, b, tpl, i, true).z);
      oneSided[k]!.push(profileBin(n, b, tpl, i).z);
    });
  }

  it('the signed z has mean ≈ 0 and width ≈ 1 (Wilks)', () => {
    for (const z of signed) {
      const mean = z.reduce((a, x) => a + x, 0) / z.length;
      const sd = Math.sqrt(z.reduce((a, x) => a + (x - mean) ** 2, 0) / z.length);
      // Statistical precision of 4000 toys: 0.016 on the mean, 0.011 on the width.
      expect(Math.abs(mean)).toBeLessThan(0.06);
      expect(Math.abs(sd - 1)).toBeLessThan(0.05);
    }
  });

  it('the one-sided z_PL is ½ δ(0) + ½ half-normal: P(0) ≈ 0.5, P(z > 1) ≈ 0.159, P(z > 2) ≈ 0.023', () => {
    for (const z of oneSided) {
      const frac = (f: (x: number) => boolean) => z.filter(f).length / z.length;
      expect(Math.abs(frac((x) => x === 0) - 0.5)).toBeLessThan(0.03);
      expect(Math.abs(frac((x) => x > 1) - 0.1587)).toBeLessThan(0.02);
      expect(Math.abs(frac((x) => x > 2) - 0.0228)).toBeLessThan(0.008);
    }
  });
});
