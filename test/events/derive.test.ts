import { describe, expect, it } from '@jest/globals';
import type { EventBatch } from '../../src/events/batch.js';
import { deriveFeatures, dijetMass, orderJetsByPt, rapidityGap } from '../../src/events/derive.js';

function jets(j1: number[], j2: number[], extra: Record<string, [number, number]> = {}): EventBatch {
  const cols: Record<string, Float32Array> = {};
  ['pt', 'eta', 'phi', 'm'].forEach((f, i) => {
    cols[`jet1_${f}`] = Float32Array.of(j1[i]!);
    cols[`jet2_${f}`] = Float32Array.of(j2[i]!);
  });
  for (const [k, [a, b]] of Object.entries(extra)) {
    cols[`jet1_${k}`] = Float32Array.of(a);
    cols[`jet2_${k}`] = Float32Array.of(b);
  }
  return { length: 1, columns: cols, positions: [] };
}

/** Reference: explicit four-vectors in float64. */
function refMass(j1: number[], j2: number[]): number {
  const p4 = ([pt, eta, phi, m]: number[]) => {
    const px = pt! * Math.cos(phi!),
      py = pt! * Math.sin(phi!),
      pz = pt! * Math.sinh(eta!);
    return [Math.sqrt(px * px + py * py + pz * pz + m! * m!), px, py, pz];
  };
  const a = p4(j1),
    b = p4(j2);
  const s = a.map((v, i) => v + b[i]!);
  return Math.sqrt(s[0]! ** 2 - s[1]! ** 2 - s[2]! ** 2 - s[3]! ** 2);
}

describe('derived features', () => {
  it('mjj from four-vectors matches explicit four-vector sums', () => {
    const j1 = [1500, 0.3, 0.1, 120],
      j2 = [1400, -0.5, 3.0, 400];
    expect(dijetMass(jets(j1, j2), 'fourvector')[0]).toBeCloseTo(refMass(j1, j2), 0);
  });

  it('the massless variant of seed 000 equals the four-vector mass with zero jet masses', () => {
    const j1 = [1500, 0.3, 0.1, 120],
      j2 = [1400, -0.5, 3.0, 400];
    const expected = refMass([...j1.slice(0, 3), 0], [...j2.slice(0, 3), 0]);
    expect(dijetMass(jets(j1, j2), 'massless')[0]).toBeCloseTo(expected, 0);
    expect(dijetMass(jets(j1, j2), 'massless')[0]).toBeLessThan(dijetMass(jets(j1, j2), 'fourvector')[0]!);
  });

  it('back-to-back massless jets at eta = 0 have mjj = 2 pT', () => {
    expect(dijetMass(jets([1000, 0, 0, 0], [1000, 0, Math.PI, 0]), 'fourvector')[0]).toBeCloseTo(2000, 1);
  });

  it('|delta y| equals |delta eta| for massless jets and is smaller for massive ones', () => {
    expect(rapidityGap(jets([800, 1.0, 0, 0], [700, -0.4, 3, 0]))[0]).toBeCloseTo(1.4, 5);
    expect(rapidityGap(jets([800, 1.0, 0, 300], [700, -0.4, 3, 300]))[0]).toBeLessThan(1.4);
  });

  it('orders jets by pT and builds lighter/heavier features', () => {
    const b = jets([600, 0.1, 0, 80], [900, 0.2, 3, 300], { tau1: [0.5, 0.6], tau2: [0.4, 0.15], tau3: [0.2, 0.1] });
    orderJetsByPt(b);
    expect(b.columns.jet1_pt![0]).toBe(900);
    deriveFeatures(b, ['mj_min', 'mj_max', 'delta_mj', 'tau21_lighter', 'tau21_heavier', 'tau32_heavier'], 'column');
    expect(b.columns.mj_min![0]).toBe(80);
    expect(b.columns.mj_max![0]).toBe(300);
    expect(b.columns.delta_mj![0]).toBe(220);
    expect(b.columns.tau21_lighter![0]).toBeCloseTo(0.4 / 0.5, 6);
    expect(b.columns.tau21_heavier![0]).toBeCloseTo(0.15 / 0.6, 6);
    expect(b.columns.tau32_heavier![0]).toBeCloseTo(0.1 / 0.15, 6);
  });
});
