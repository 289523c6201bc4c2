/** Seed 003's extra per-jet substructure and three-prong daughters (src/sources/generator-substructure.ts). */
import { describe, expect, it } from '@jest/globals';
import {
  EventGenerator,
  GENERATOR_COLUMNS,
  SUBSTRUCTURE_COLUMNS,
  parseResonanceSpec,
} from '../../src/sources/generator.js';

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

describe('generator substructure (cms2024)', () => {
  it('adds the columns without changing a single bit of the calibrated ones', () => {
    const signals = [{ mA: 3000, mB: 400, mC: 80, n: 300 }];
    const plain = new EventGenerator({ events: 20000, seed: 9, signals }).next(20000);
    const extra = new EventGenerator({ events: 20000, seed: 9, signals, substructure: 'cms2024' }).next(20000);
    for (const c of GENERATOR_COLUMNS) expect(extra.columns[c]).toEqual(plain.columns[c]);
    expect(extra.label).toEqual(plain.label);
    for (const c of SUBSTRUCTURE_COLUMNS) expect(extra.columns[c]).toHaveLength(20000);
    expect(plain.columns.jet1_msd).toBeUndefined();
  });

  it('groomed mass below the jet mass, integer multiplicities, tau4 < tau3, lsf3 in [0, 1]', () => {
    const b = new EventGenerator({ events: 5000, seed: 2, substructure: 'cms2024' }).next(5000);
    for (let i = 0; i < b.length; i++) {
      expect(b.columns.jet1_msd![i]!).toBeLessThanOrEqual(b.columns.jet1_m![i]! * 1.0001);
      expect(Number.isInteger(b.columns.jet2_npf![i]!)).toBe(true);
      expect(b.columns.jet1_tau4![i]!).toBeLessThan(b.columns.jet1_tau3![i]!);
      expect(b.columns.jet2_lsf3![i]!).toBeGreaterThanOrEqual(0);
      expect(b.columns.jet2_lsf3![i]!).toBeLessThanOrEqual(1);
    }
  });

  it('three-prong daughters have lower tau32 and higher lsf3 than two-prong ones; QCD jets more constituents', () => {
    const spec = (p: string) => parseResonanceSpec(`mA=3000,mB=170,mC=170,n=4000${p}`);
    const two = new EventGenerator({ events: 4000, seed: 4, signals: [spec('')], substructure: 'cms2024' }).next(4000);
    const three = new EventGenerator({
      events: 4000,
      seed: 4,
      signals: [spec(',prongsB=3,prongsC=3')],
      substructure: 'cms2024',
    }).next(4000);
    const qcd = new EventGenerator({ events: 4000, seed: 4, mjjMin: 2800, mjjMax: 3200, substructure: 'cms2024' }).next(
      4000,
    );
    const t32 = (b: typeof two) => mean(Array.from(b.columns.jet1_tau3!, (t, i) => t / b.columns.jet1_tau2![i]!));
    expect(t32(three)).toBeLessThan(t32(two) - 0.15);
    expect(mean(Array.from(three.columns.jet1_lsf3!))).toBeGreaterThan(mean(Array.from(two.columns.jet1_lsf3!)) + 0.15);
    expect(mean(Array.from(qcd.columns.jet1_npf!))).toBeGreaterThan(mean(Array.from(two.columns.jet1_npf!)) + 8);
    expect(() => parseResonanceSpec('mA=3000,mB=170,mC=170,n=1,prongsB=4')).toThrow(/prongsB.*2 or 3/);
  });
});
