import { describe, it, expect } from '@jest/globals';
import { abcdPrediction, runConrad, type ConradSample } from '../../src/background/conrad.js';
import { MonojetGenerator } from '../../src/sources/generator-monojet.js';

/** Control (gamma + jets) and data (Z(nunu) + jets + signal) samples of the monojet channel as CONRAD inputs. */
function samples(events: number, seed: number, nSignal: number): { control: ConradSample; data: ConradSample } {
  const g = new MonojetGenerator({
    events,
    seed,
    signals: nSignal ? [{ mA: 2500, mB: 300, mC: 100, n: nSignal }] : [],
  });
  const b = g.next(events);
  const c = b.columns;
  const take = (control: boolean): ConradSample => {
    const rows: number[] = [];
    for (let i = 0; i < b.length; i++) if (c.photon_pt![i]! > 0 === control) rows.push(i);
    const x = new Float32Array(rows.length * 3);
    const m = new Float32Array(rows.length);
    const label = new Uint8Array(rows.length);
    rows.forEach((i, k) => {
      x[3 * k] = c.jet1_m![i]!;
      x[3 * k + 1] = c.jet1_tau2![i]! / c.jet1_tau1![i]!;
      x[3 * k + 2] = c.jet1_tau3![i]! / c.jet1_tau2![i]!;
      m[k] = c.met![i]!;
      label[k] = b.label![i]!;
    });
    return { x, m, label };
  };
  return { control: take(true), data: take(false) };
}

const CFG = {
  tailCut: 1000,
  workingPoints: [0.1, 0.01],
  seed: 4,
  logFeatures: [true, false, false],
  flow: { epochs: 4 },
  classifier: { ensemble: 1, hgb: { maxIter: 40 } },
};

describe('CONRAD ABCD (seed 004 Eq. 4)', () => {
  it('predicts N_B N_C / N_D with the Poisson-propagated uncertainty', () => {
    const p = abcdPrediction({ A: 0, B: 40, C: 900, D: 3600 });
    expect(p.predicted).toBe(10);
    expect(p.predictedErr).toBeCloseTo(10 * Math.sqrt(1 / 40 + 1 / 900 + 1 / 3600), 12);
    expect(Number.isNaN(abcdPrediction({ A: 1, B: 1, C: 1, D: 0 }).predicted)).toBe(true);
  });

  it('closes on a signal-free sample and flags a region with too few events', () => {
    const { control, data } = samples(120_000, 11, 0);
    const r = runConrad(control, data, { ...CFG, workingPoints: [0.1, 0.01, 1e-5] });
    const [loose, , tiny] = r.workingPoints;
    // The truth check on 10 % of the low-MET data: ~800 background events in A, Poisson ±3.5 %.
    expect(loose!.truth!.signalA).toBe(0);
    expect(Math.abs(loose!.truth!.ratio - 1)).toBeLessThan(0.15);
    expect(loose!.valid).toBe(true);
    expect(Number.isFinite(loose!.z)).toBe(true);
    // 1e-5 of ~50k low-MET events keeps one event in B: no prediction to trust, so no Z.
    expect(tiny!.valid).toBe(false);
    expect(tiny!.invalid!.map((i) => i.reason)).toContain('too_few_events');
    expect(tiny!.z).toBeUndefined();
    expect(r.counts.controlTrain + Math.round(0.2 * control.m.length)).toBe(control.m.length);
  });

  it('is reproducible by seed and finds an injected tail excess', () => {
    const { control, data } = samples(120_000, 12, 400);
    const a = runConrad(control, data, CFG);
    const b = runConrad(control, data, CFG);
    expect(JSON.stringify(b.workingPoints)).toBe(JSON.stringify(a.workingPoints));
    const tight = a.workingPoints[1]!;
    expect(tight.truth!.signalA).toBeGreaterThan(0);
    expect(tight.observed - tight.predicted).toBeGreaterThan(2 * tight.predictedErr);
    expect(a.evaluation!.auc).toBeGreaterThan(0.6);
  });

  it('rejects inputs it cannot use, naming them', () => {
    const { control, data } = samples(4000, 1, 0);
    expect(() => runConrad(control, data, { ...CFG, workingPoints: [1.5] })).toThrow(/working points/);
    const bad = { ...data, m: data.m.map((v, i) => (i === 3 ? -1 : v)) };
    expect(() => runConrad(control, bad, CFG)).toThrow(/data row 3/);
  });
});
