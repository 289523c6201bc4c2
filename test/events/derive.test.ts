import { describe, expect, it } from '@jest/globals';
import type { EventBatch } from '../../src/events/batch.js';
import { applyCuts } from '../../src/events/cuts.js';
import { cutRapidityGap, deriveFeatures, dijetMass, orderJetsByPt, rapidityGap } from '../../src/events/derive.js';

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

  it('the |Δy| cut on tanh bounds selects exactly what rapidityGap and the cut select, near the bound too', () => {
    // Random jets, massive and massless, central and forward; half of them massless pairs with |Δη| within a few
    // float32 steps of the bound, where the tanh test must hand over to the exact value.
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const n = 40000;
    const cols: Record<string, Float32Array> = {};
    for (const j of ['jet1', 'jet2'])
      for (const f of ['pt', 'eta', 'phi', 'm']) cols[`${j}_${f}`] = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const edge = i % 2 === 1;
      cols.jet1_pt![i] = 200 + 3000 * rand();
      cols.jet2_pt![i] = 200 + 2000 * rand();
      cols.jet1_eta![i] = 8 * rand() - 4;
      const bound = i % 4 === 1 ? 1.2 : 0.5;
      cols.jet2_eta![i] = edge ? cols.jet1_eta![i]! - bound + (Math.floor(rand() * 41) - 20) * 1.2e-7 : 8 * rand() - 4;
      cols.jet1_m![i] = edge || i % 8 === 0 ? 0 : 500 * rand();
      cols.jet2_m![i] = edge || i % 8 === 0 ? 0 : 500 * rand();
    }
    const cuts = [{ max: 1.2 }, { min: 0.5, max: 1.2 }, { min: 1.2 }, { min: 0.5 }];
    for (const { min, max } of cuts) {
      const sel = new Uint32Array(n).map((_, i) => i);
      const ref: EventBatch = { length: n, columns: { ...cols }, positions: [], selection: sel };
      ref.columns.delta_y = rapidityGap(ref, sel);
      applyCuts(ref, [{ name: 'gap', features: ['delta_y'], abs: true, min, max }]);
      const fast: EventBatch = { length: n, columns: { ...cols }, positions: [], selection: sel };
      const passed = cutRapidityGap(fast, min, max);
      expect(passed).toBe(ref.selection!.length);
      expect(fast.selection).toEqual(ref.selection);
      const at = (b: EventBatch) => Array.from(b.selection!, (i) => b.columns.delta_y![i]);
      expect(at(fast)).toEqual(at(ref));
      // The bound was met: near-edge events on both sides of it.
      const edgeBound = min === 0.5 ? 0.5 : 1.2;
      const near = Array.from(ref.columns.delta_y!).filter((v) => Math.abs(v - edgeBound) < 3e-6);
      expect(near.some((v) => v < edgeBound) && near.some((v) => v >= edgeBound)).toBe(true);
    }
  });
});
