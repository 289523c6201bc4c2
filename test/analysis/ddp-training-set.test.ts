import { describe, expect, it } from '@jest/globals';
import { DdpTrainingSetGenerator, histogramSeed, type DdpBatch } from '../../src/analysis/ddp-training-set.js';
import { FUNCTION_FAMILIES } from '../../src/analysis/ddp-families.js';
import { FITTED_SHAPES } from '../../src/analysis/ddp-shapes.js';
import { asimovZ, gaussianTemplate, zPlScanInto } from '../../src/analysis/ddp-targets.js';

const N = 1500;
const gen = new DdpTrainingSetGenerator({ seed: 42 });
const set = gen.batch(0, N);

function row(b: DdpBatch, r: number) {
  const o = b.offsets[r]!,
    e = b.offsets[r + 1]!;
  return {
    counts: b.counts.subarray(o, e),
    background: b.background.subarray(o, e),
    signal: b.signal.subarray(o, e),
    z: b.zByWidth.map((z) => z.subarray(o, e)),
    zMixed: b.zMixed.subarray(o, e),
  };
}

describe('DDP training set (seed 002 §4-5)', () => {
  it('is deterministic for a seed: the same values in any batching, different for another seed', () => {
    const again = new DdpTrainingSetGenerator({ seed: 42 });
    // Histograms 700-709 generated alone equal those inside the big batch.
    const part = again.batch(700, 10);
    const o = set.offsets[700]!,
      e = set.offsets[710]!;
    expect(Array.from(part.counts)).toEqual(Array.from(set.counts.subarray(o, e)));
    expect(Array.from(part.zMixed)).toEqual(Array.from(set.zMixed.subarray(o, e)));
    expect(part.family).toEqual(set.family.slice(700, 710));
    expect(Array.from(part.signalZ)).toEqual(Array.from(set.signalZ.subarray(700, 710)));
    const other = new DdpTrainingSetGenerator({ seed: 43 }).batch(700, 10);
    expect(Array.from(other.counts.subarray(0, 30))).not.toEqual(Array.from(part.counts.subarray(0, 30)));
    expect(histogramSeed(42, 0)).not.toBe(histogramSeed(43, 0));
    expect(histogramSeed(42, 1)).not.toBe(histogramSeed(42, 0));
  });

  it('draws bins, dynamic range, widths and injected σ inside the configured ranges', () => {
    const o = gen.options;
    // One check per row and property, asserted once (thousands of expect() calls would dominate the test time).
    const bad: string[] = [];
    const check = (ok: boolean, what: string, r: number) => {
      if (!ok && bad.length < 10) bad.push(`row ${r}: ${what}`);
    };
    for (let r = 0; r < N; r++) {
      check(set.bins[r]! >= 30 && set.bins[r]! <= 100, `bins ${set.bins[r]}`, r);
      check(set.offsets[r + 1]! - set.offsets[r]! === set.bins[r], 'offsets', r);
      const yh = set.yHigh[r]!,
        yl = set.yLow[r]!;
      check(yh <= 1e5 && yl >= 10 / 1.001 && yh > yl, `range ${yl}-${yh}`, r);
      // Background stays inside the drawn range (fitted shapes fall by at most y_high/y_low over their window;
      // bin integrals put the last bin up to a few per cent off the end-point density).
      check(set.backgroundMax[r]! <= set.yHigh[r]! * (1 + 1e-6), 'background above y_high', r);
      const bMin = set.backgroundMin[r]!;
      check(bMin > 0 && bMin >= yl * 0.9, `background min ${bMin} vs y_low ${yl}`, r);
      check(o.widths.includes(set.signalWidth[r]!), `width ${set.signalWidth[r]}`, r);
      check(set.signalZ[r]! >= 0 && set.signalZ[r]! <= 20, `signal z ${set.signalZ[r]}`, r);
      check(set.signalBin[r]! >= 0 && set.signalBin[r]! < set.bins[r]!, `signal bin ${set.signalBin[r]}`, r);
    }
    expect(bad).toEqual([]);
    const bins = Array.from(set.bins);
    expect(Math.min(...bins)).toBe(30);
    expect(Math.max(...bins)).toBe(100);
    // Every family and about half fitted shapes (fitFraction 0.5).
    const fams = new Set(set.family);
    for (const f of FUNCTION_FAMILIES) expect(fams.has(f)).toBe(true);
    const fitted = set.family.filter((f) => f.startsWith('fit:')).length / N;
    expect(Math.abs(fitted - 0.5)).toBeLessThan(0.05);
    expect(new Set(set.family.filter((f) => f.startsWith('fit:'))).size).toBe(FITTED_SHAPES.length);
    expect(new Set(set.variant)).toEqual(new Set(['plain', 'cut-keep-low', 'cut-keep-high', 'window']));
  });

  it('counts are Poisson around background + signal', () => {
    // Pull (n − b − s)/√(b + s) over every bin of the set: mean 0, width 1.
    let s1 = 0,
      s2 = 0,
      k = 0;
    for (let j = 0; j < set.counts.length; j++) {
      const mu = set.background[j]! + set.signal[j]!;
      const p = (set.counts[j]! - mu) / Math.sqrt(mu);
      s1 += p;
      s2 += p * p;
      k++;
    }
    const mean = s1 / k,
      sd = Math.sqrt(s2 / k - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sd - 1)).toBeLessThan(0.01);
  });

  it('the signal has its injected Asimov significance, and the targets are z_PL over the stored background', () => {
    const tpls = gen.options.widths.map((w) => gaussianTemplate(w));
    let worstAsimov = 0,
      worstShape = 0,
      worstZ = 0,
      mixedOk = true,
      maxOk = true;
    for (let r = 0; r < N; r += 7) {
      const h = row(set, r);
      const k = gen.options.widths.indexOf(set.signalWidth[r]!);
      const b64 = Float64Array.from(h.background);
      if (set.signalZ[r]! > 0.5) {
        // Signal = A · template at the signal bin, and Z_A(A) = injected σ (float32 background: ~1e-6).
        const za = asimovZ(b64, tpls[k]!, set.signalBin[r]!, set.signalEvents[r]!);
        worstAsimov = Math.max(worstAsimov, Math.abs(za - set.signalZ[r]!));
        const c = set.signalBin[r]!;
        const peak = tpls[k]!.weights[tpls[k]!.half]!;
        worstShape = Math.max(worstShape, Math.abs(h.signal[c]! / set.signalEvents[r]! - peak));
      }
      const z = new Float64Array(h.counts.length);
      tpls.forEach((tpl, w) => {
        zPlScanInto(h.counts, b64, tpl, z);
        for (let i = 0; i < z.length; i++) {
          worstZ = Math.max(worstZ, Math.abs(z[i]! - h.z[w]![i]!) / Math.max(1, z[i]!));
        }
      });
      for (let i = 0; i < z.length; i++) {
        if (h.zMixed[i] !== Math.max(...h.z.map((zw) => zw[i]!)) || !(h.zMixed[i]! >= 0)) mixedOk = false;
      }
      if (set.zMax[r] !== Math.max(...h.zMixed)) maxOk = false;
    }
    expect(worstAsimov).toBeLessThan(1e-4);
    expect(worstShape).toBeLessThan(1e-6);
    // Recomputed from the float32 background of the file: equal to float32 precision.
    expect(worstZ).toBeLessThan(1e-4);
    expect(mixedOk).toBe(true);
    expect(maxOk).toBe(true);
  });

  it('z_PL at the true signal bin and width follows the injected σ (median within 0.1σ, 16–84 % width ≈ 1)', () => {
    const d: number[] = [];
    for (let r = 0; r < N; r++) {
      if (set.signalZ[r]! < 3) continue; // away from the one-sided clip at 0
      const k = gen.options.widths.indexOf(set.signalWidth[r]!);
      d.push(set.zByWidth[k]![set.offsets[r]! + set.signalBin[r]!]! - set.signalZ[r]!);
    }
    d.sort((a, b) => a - b);
    const q = (p: number) => d[Math.floor(p * (d.length - 1))]!;
    expect(Math.abs(q(0.5))).toBeLessThan(0.1);
    expect(q(0.84) - q(0.16)).toBeGreaterThan(1.8);
    expect(q(0.84) - q(0.16)).toBeLessThan(2.2);
  });

  it('rejects bad options with what is wrong', () => {
    expect(() => new DdpTrainingSetGenerator({ seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => new DdpTrainingSetGenerator({ seed: 1, binsMin: 50, binsMax: 40 })).toThrow(/binsMin ≤ binsMax/);
    expect(() => new DdpTrainingSetGenerator({ seed: 1, widths: [0] })).toThrow(/widths must be positive/);
    expect(() => new DdpTrainingSetGenerator({ seed: 1, fitFraction: 2 })).toThrow(/fitFraction/);
    const families = ['sine' as never];
    expect(() => new DdpTrainingSetGenerator({ seed: 1, families })).toThrow(/unknown family 'sine'/);
  });
});
