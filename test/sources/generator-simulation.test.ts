/**
 * The generator's simulation mode and mass shift (src/sources/generator-simulation.ts): simulation differs from
 * data exactly by the documented maps of the QCD jets' m/pT and τ21, draw for draw, keeps mjj, leaves the signal
 * alone and is deterministic; the mass shift adds k·mjj to the jet masses at unchanged mjj.
 */
import { describe, expect, it } from '@jest/globals';
import { EventGenerator, GeneratorSource } from '../../src/sources/generator.js';
import { CALIBRATION } from '../../src/sources/generator-calibration.js';
import { quantileLookup } from '../../src/sources/generator-random.js';
import { SIMULATION_MISMODELLING, mismodelledRho, mismodelledTau21 } from '../../src/sources/generator-simulation.js';
import type { EventBatch } from '../../src/events/batch.js';

const N = 20000;
const base = { events: N, seed: 11, mjjMin: 2500, mjjMax: 4500 };

function batch(opts: Partial<ConstructorParameters<typeof EventGenerator>[0]> = {}): EventBatch {
  return new EventGenerator({ ...base, ...opts }).next(N);
}
const col = (b: EventBatch, c: string) => b.columns[c] as Float32Array;
const rho = (b: EventBatch, j: number, i: number) => col(b, `jet${j}_m`)[i]! / col(b, `jet${j}_pt`)[i]!;
const tau21 = (b: EventBatch, j: number, i: number) => col(b, `jet${j}_tau2`)[i]! / col(b, `jet${j}_tau1`)[i]!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

describe('generator simulation mode', () => {
  const data = batch();
  const sim = batch({ mode: 'simulation' });

  it('keeps mjj and maps each QCD jet m/pT and tau21 by the documented mismodelling', () => {
    const s = SIMULATION_MISMODELLING;
    let checked = 0;
    for (let i = 0; i < N; i++) {
      expect(Math.abs(col(sim, 'mjj')[i]! - col(data, 'mjj')[i]!)).toBeLessThan(1e-3 * col(data, 'mjj')[i]!);
      for (const j of [1, 2]) {
        const want = mismodelledRho(rho(data, j, i), RHO_MEDIAN);
        if (want >= s.maxRho) continue;
        expect(rho(sim, j, i) / want).toBeCloseTo(1, 4);
        const td = tau21(data, j, i);
        if (td > 0.005 && td < 0.995 && mismodelledTau21(td) < 0.995)
          expect(tau21(sim, j, i)).toBeCloseTo(mismodelledTau21(td), 4);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1.9 * N);
  });

  it('makes simulated QCD jets lighter and less two-prong than data', () => {
    const mMin = (b: EventBatch) =>
      Array.from({ length: N }, (_, i) => Math.min(col(b, 'jet1_m')[i]!, col(b, 'jet2_m')[i]!));
    const t21 = (b: EventBatch) => Array.from({ length: N }, (_, i) => tau21(b, 1, i));
    expect(median(mMin(sim)) / median(mMin(data))).toBeLessThan(0.9);
    expect(median(t21(sim)) - median(t21(data))).toBeGreaterThan(0.03);
  });

  it('leaves the signal as in data and is deterministic for a seed', async () => {
    const signals = [{ mA: 3500, mB: 500, mC: 100, n: 500 }];
    const d = batch({ signals });
    const s = batch({ signals, mode: 'simulation' });
    let nSig = 0;
    for (let i = 0; i < N; i++) {
      if (!d.label![i]) continue;
      nSig++;
      for (const c of ['jet1_m', 'jet2_m', 'jet1_tau2', 'mjj']) expect(col(s, c)[i]).toBe(col(d, c)[i]);
    }
    expect(nSig).toBe(500);
    const again = async (batchSize: number) => {
      const out: number[] = [];
      for await (const b of new GeneratorSource({ ...base, mode: 'simulation', batchSize }).batches())
        out.push(...col(b, 'jet1_m'));
      return out;
    };
    const a = await again(4096);
    expect(a).toEqual(Array.from(col(sim, 'jet1_m')));
    expect(await again(20000)).toEqual(a);
  });

  it('rejects an unknown mode and an out-of-range mass shift', () => {
    expect(() => batch({ mode: 'mc' as never })).toThrow(/mode must be 'data' or 'simulation'/);
    expect(() => batch({ massShift: 0.5 })).toThrow(/massShift must be a number in \[0, 0.3\]/);
  });
});

describe('generator mass shift', () => {
  it('adds k mjj to every jet mass at unchanged mjj, QCD and signal, tau21 untouched', () => {
    const signals = [{ mA: 3500, mB: 500, mC: 100, n: 2000 }];
    const d = batch({ signals });
    const k = 0.1;
    const s = batch({ signals, massShift: k });
    const sigMass: number[] = [];
    const sigMjj: number[][] = [[], []];
    for (let i = 0; i < N; i++) {
      const mjj = col(d, 'mjj')[i]!;
      // Signal events are not paired draw for draw (the decay's acceptance loop depends on the masses).
      if (d.label![i]) {
        sigMass.push(Math.min(col(s, 'jet1_m')[i]!, col(s, 'jet2_m')[i]!));
        sigMjj[0]!.push(mjj);
        sigMjj[1]!.push(col(s, 'mjj')[i]!);
        continue;
      }
      expect(Math.abs(col(s, 'mjj')[i]! - mjj)).toBeLessThan(1e-3 * mjj);
      // QCD: m' = (m/pT)_data · pT' + k mjj at the event's own shifted pT'.
      const pt1 = col(s, 'jet1_pt')[i]!;
      const want = rho(d, 1, i) * pt1 + k * mjj;
      expect(Math.abs(col(s, 'jet1_m')[i]! - want)).toBeLessThan(1e-4 * want);
      expect(tau21(s, 1, i)).toBeCloseTo(tau21(d, 1, i), 4);
    }
    // The lighter daughter (X = 100 GeV) sits near 100 + 0.1 · 3500 GeV.
    expect(Math.abs(median(sigMass) - 450)).toBeLessThan(25);
    expect(Math.abs(median(sigMjj[1]!) / median(sigMjj[0]!) - 1)).toBeLessThan(0.01);
  });
});

/** The mismodelling's pivot: the calibrated median m/pT of QCD jets. */
const RHO_MEDIAN = quantileLookup(Float64Array.from(CALIBRATION.rhoQuantiles), 0.5);
