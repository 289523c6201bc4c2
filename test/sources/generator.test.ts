import { describe, it, expect } from '@jest/globals';
import type { EventBatch } from '../../src/events/batch.js';
import {
  EventGenerator,
  GENERATOR_COLUMNS,
  GeneratorSource,
  dijetMass,
  parseResonanceSpec,
  type GeneratorOptions,
} from '../../src/sources/generator.js';
import { Xoshiro128, normalQuantile } from '../../src/sources/generator-random.js';
import { spearman } from '../../src/sources/generator-reference.js';

async function collect(opts: GeneratorOptions): Promise<EventBatch[]> {
  const out: EventBatch[] = [];
  for await (const b of new GeneratorSource(opts).batches()) out.push(b);
  return out;
}

/** Concatenate one column (or the label) over batches. */
function column(batches: EventBatch[], name: string): Float64Array {
  const n = batches.reduce((a, b) => a + b.length, 0);
  const out = new Float64Array(n);
  let at = 0;
  for (const b of batches) {
    const c = name === 'label' ? b.label! : b.columns[name]!;
    for (let i = 0; i < b.length; i++) out[at + i] = c[i]!;
    at += b.length;
  }
  return out;
}

const signal = { mA: 3500, mB: 500, mC: 100, n: 2000 };

describe('parseResonanceSpec', () => {
  it('parses masses, count and optional widths', () => {
    expect(parseResonanceSpec('mA=3500,mB=500,mC=100,n=1000')).toEqual({ mA: 3500, mB: 500, mC: 100, n: 1000 });
    expect(parseResonanceSpec(' mA=3000, mB=80 ,mC=400,n=5,wA=90,wB=8,wC=30')).toEqual({
      mA: 3000,
      mB: 80,
      mC: 400,
      n: 5,
      wA: 90,
      wB: 8,
      wC: 30,
    });
  });

  it('names the bad key in its errors', () => {
    expect(() => parseResonanceSpec('mA=3500,mB=500,mX=100,n=10')).toThrow(/unknown key 'mX'/);
    expect(() => parseResonanceSpec('mA=3500,mB=500,n=10')).toThrow(/key 'mC' is required/);
    expect(() => parseResonanceSpec('mA=3500,mB=abc,mC=100,n=10')).toThrow(/key 'mB' has non-numeric value 'abc'/);
    expect(() => parseResonanceSpec('mA=500,mB=400,mC=200,n=10')).toThrow(/key 'mA' must exceed mB \+ mC/);
    expect(() => parseResonanceSpec('mA=3500,mB=500,mC=100,n=2.5')).toThrow(/key 'n' must be a non-negative integer/);
    expect(() => parseResonanceSpec('mA=3500,mB=500,mC=100,n=10,wB=-1')).toThrow(/key 'wB'/);
    expect(() => parseResonanceSpec('mA3500')).toThrow(/not key=value/);
  });
});

describe('Xoshiro128', () => {
  it('gives the same sequence for the same seed and stream, different ones otherwise', () => {
    const a = new Xoshiro128(5, 1),
      b = new Xoshiro128(5, 1),
      c = new Xoshiro128(5, 2),
      d = new Xoshiro128(6, 1);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(sa);
    expect(Array.from({ length: 8 }, () => d.nextU32())).not.toEqual(sa);
  });

  it('draws uniforms in (0,1) with mean 1/2 and normals with mean 0, variance 1', () => {
    const r = new Xoshiro128(1);
    let su = 0,
      sn = 0,
      sn2 = 0,
      lo = 1,
      hi = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      su += u;
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeLessThan(1);
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 2);
    expect(sn2 / n).toBeCloseTo(1, 1);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
  });
});

describe('GeneratorSource', () => {
  it('emits the documented float32 columns, a Uint8 label, positions and row offsets', async () => {
    const batches = await collect({ events: 10000, seed: 3, batchSize: 4096, signals: [{ ...signal, n: 50 }] });
    expect(batches.map((b) => b.length)).toEqual([4096, 4096, 1808]);
    let row = 0;
    for (const b of batches) {
      expect(Object.keys(b.columns).sort()).toEqual([...GENERATOR_COLUMNS].sort());
      for (const c of Object.values(b.columns)) {
        expect(c).toBeInstanceOf(Float32Array);
        expect(c.length).toBe(b.length);
      }
      expect(b.label).toBeInstanceOf(Uint8Array);
      expect(b.positions).toEqual([{ kind: 'generator', seed: 3, rowStart: row, rowEnd: row + b.length }]);
      expect(b.rowOffset).toBe(row);
      row += b.length;
    }
  });

  it('is deterministic for a seed, whatever the batch size, and differs between seeds', async () => {
    const opts = {
      events: 20000,
      seed: 11,
      signals: [
        { ...signal, n: 300 },
        { mA: 2500, mB: 80, mC: 80, n: 200 },
      ],
    };
    const a = await collect({ ...opts, batchSize: 65536 });
    const b = await collect({ ...opts, batchSize: 777 });
    const c = await collect({ ...opts, seed: 12 });
    for (const name of [...GENERATOR_COLUMNS, 'label']) {
      expect(column(b, name)).toEqual(column(a, name));
    }
    expect(column(c, 'mjj')).not.toEqual(column(a, 'mjj'));
  });

  it('writes mjj equal to the invariant mass of the two float32 jet four-vectors', async () => {
    const [b] = await collect({ events: 20000, seed: 5, signals: [{ ...signal, n: 2000 }] });
    const c = b!.columns;
    let worst = 0;
    for (let i = 0; i < b!.length; i++) {
      const m = dijetMass(
        c.jet1_pt![i]!,
        c.jet1_eta![i]!,
        c.jet1_phi![i]!,
        c.jet1_m![i]!,
        c.jet2_pt![i]!,
        c.jet2_eta![i]!,
        c.jet2_phi![i]!,
        c.jet2_m![i]!,
      );
      // Independent formula: (E1 + E2)^2 - |p1 + p2|^2.
      const v = (j: 1 | 2) => {
        const pt = c[`jet${j}_pt`]![i]!,
          eta = c[`jet${j}_eta`]![i]!,
          phi = c[`jet${j}_phi`]![i]!,
          mass = c[`jet${j}_m`]![i]!;
        const px = pt * Math.cos(phi),
          py = pt * Math.sin(phi),
          pz = pt * Math.sinh(eta);
        return [Math.sqrt(px * px + py * py + pz * pz + mass * mass), px, py, pz] as const;
      };
      const [e1, x1, y1, z1] = v(1),
        [e2, x2, y2, z2] = v(2);
      const m2 = Math.sqrt((e1 + e2) ** 2 - (x1 + x2) ** 2 - (y1 + y2) ** 2 - (z1 + z2) ** 2);
      worst = Math.max(worst, Math.abs(c.mjj![i]! - m2) / m2, Math.abs(c.mjj![i]! - Math.fround(m)) / m);
    }
    expect(worst).toBeLessThan(2e-6);
  });

  it('orders jets by pT and keeps tau3 < tau2 < tau1 < 1 and finite, physical kinematics', async () => {
    const [b] = await collect({ events: 30000, seed: 9, signals: [{ ...signal, n: 3000 }] });
    const c = b!.columns;
    for (let i = 0; i < b!.length; i++) {
      expect(c.jet1_pt![i]!).toBeGreaterThanOrEqual(c.jet2_pt![i]!);
      for (const j of [1, 2]) {
        const t1 = c[`jet${j}_tau1`]![i]!,
          t2 = c[`jet${j}_tau2`]![i]!,
          t3 = c[`jet${j}_tau3`]![i]!;
        if (!(t3 < t2 && t2 < t1 && t1 < 1 && t3 > 0))
          throw new Error(`row ${i} jet ${j}: tau1 ${t1} tau2 ${t2} tau3 ${t3}`);
        const m = c[`jet${j}_m`]![i]!,
          pt = c[`jet${j}_pt`]![i]!;
        if (!(m > 0 && pt > 0 && Math.abs(c[`jet${j}_phi`]![i]!) <= Math.PI && Math.abs(c[`jet${j}_eta`]![i]!) < 6)) {
          throw new Error(`row ${i} jet ${j}: m ${m} pt ${pt} eta ${c[`jet${j}_eta`]![i]} phi ${c[`jet${j}_phi`]![i]}`);
        }
      }
    }
  });

  it('injects exactly the requested signal events, spread through the stream', async () => {
    const batches = await collect({
      events: 100000,
      seed: 21,
      batchSize: 10000,
      signals: [
        { ...signal, n: 1000 },
        { mA: 2000, mB: 300, mC: 300, n: 500 },
      ],
    });
    const label = column(batches, 'label');
    const mjj = column(batches, 'mjj');
    expect(label.reduce((a, v) => a + v, 0)).toBe(1500);
    // Uniform placement: each tenth of the stream holds ~150 signal events (binomial sd ~12).
    for (let k = 0; k < 10; k++) {
      const inTenth = label.subarray(k * 10000, (k + 1) * 10000).reduce((a, v) => a + v, 0);
      expect(inTenth).toBeGreaterThan(100);
      expect(inTenth).toBeLessThan(200);
    }
    // Both resonances are present: ~1000 x P(mjj > 2.7 TeV | 3.5 TeV) above 2.7 TeV (the 2 TeV one never gets
    // there), and most of the 500 from the 2 TeV resonance within 300 GeV of 2 TeV.
    let above2700 = 0,
      near2000 = 0;
    label.forEach((l, i) => {
      if (l) {
        if (mjj[i]! > 2700) above2700++;
        else if (Math.abs(mjj[i]! - 2000) < 300) near2000++;
      }
    });
    expect(above2700).toBeGreaterThan(800);
    expect(above2700).toBeLessThanOrEqual(1000);
    expect(near2000).toBeGreaterThan(300);
  });

  it('puts the signal at the requested masses: mjj peak at mA, jet masses at mB and mC', async () => {
    const spec = { mA: 3000, mB: 80, mC: 400, n: 20000 };
    const [b] = await collect({ events: 20000, seed: 4, signals: [spec] });
    const c = b!.columns;
    const mjj = Array.from(c.mjj!).sort((x, y) => x - y);
    expect(Math.abs(mjj[10000]! - 3000) / 3000).toBeLessThan(0.02);
    const heavy: number[] = [],
      light: number[] = [];
    for (let i = 0; i < b!.length; i++) {
      heavy.push(Math.max(c.jet1_m![i]!, c.jet2_m![i]!));
      light.push(Math.min(c.jet1_m![i]!, c.jet2_m![i]!));
    }
    heavy.sort((x, y) => x - y);
    light.sort((x, y) => x - y);
    expect(Math.abs(heavy[10000]! - 400) / 400).toBeLessThan(0.06);
    expect(Math.abs(light[10000]! - 80) / 80).toBeLessThan(0.15);
    // The widths are honoured: a 1 % wA gives a narrower core than the default.
    const [narrow] = await collect({ events: 20000, seed: 4, signals: [{ ...spec, wA: 30 }] });
    const iqr = (a: ArrayLike<number>) => {
      const s = Array.from(a).sort((x, y) => x - y);
      return s[15000]! - s[5000]!;
    };
    expect(iqr(narrow!.columns.mjj!)).toBeLessThan(0.6 * iqr(c.mjj!));
  });

  it('makes background jet masses grow with mjj, as QCD jet masses do', async () => {
    const batches = await collect({ events: 200000, seed: 8 });
    const mjj = column(batches, 'mjj'),
      m1 = column(batches, 'jet1_m'),
      m2 = column(batches, 'jet2_m');
    const heavy = m1.map((m, i) => Math.max(m, m2[i]!));
    expect(spearman(mjj, heavy)).toBeGreaterThan(0.15);
    const meanIn = (lo: number, hi: number) => {
      let s = 0,
        n = 0;
      mjj.forEach((m, i) => {
        if (m >= lo && m < hi) {
          s += heavy[i]!;
          n++;
        }
      });
      return s / n;
    };
    const a = meanIn(1100, 1300),
      b = meanIn(1800, 2200),
      d = meanIn(2800, 4000);
    expect(b).toBeGreaterThan(1.3 * a);
    expect(d).toBeGreaterThan(1.2 * b);
  });

  it('samples mjj inside the requested range and rejects bad options', async () => {
    const [b] = await collect({ events: 5000, seed: 1, mjjMin: 1000, mjjMax: 2000 });
    for (const m of b!.columns.mjj!) {
      expect(m).toBeGreaterThanOrEqual(999.99);
      expect(m).toBeLessThanOrEqual(2000.01);
    }
    expect(() => new GeneratorSource({ events: 10, seed: 1, signals: [{ ...signal, n: 11 }] })).toThrow(
      /11 signal events requested but only 10/,
    );
    expect(() => new GeneratorSource({ events: -1, seed: 1 })).toThrow(/events must be a non-negative integer/);
    expect(() => new GeneratorSource({ events: 10, seed: 1, mjjMin: 3000, mjjMax: 2000 })).toThrow(/mjj range/);
    expect(() => new EventGenerator({ events: 10, seed: 1.5 })).toThrow(/seed must be an integer/);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    let n = 0;
    for await (const b of new GeneratorSource({ events: 100000, seed: 2, batchSize: 1000 }).batches(ac.signal)) {
      n += b.length;
      if (n >= 3000) ac.abort();
    }
    expect(n).toBe(3000);
  });
});
