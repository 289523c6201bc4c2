import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import {
  MONOJET_COLUMNS,
  MONOJET_MODEL,
  MonojetGenerator,
  MonojetSource,
} from '../../src/sources/generator-monojet.js';
import { repoRoot } from '../helpers/paths.js';

const SIGNAL = { mA: 2500, mB: 300, mC: 100, n: 500 };

function collect(batchSize: number, events = 30_000) {
  const g = new MonojetGenerator({ events, seed: 7, signals: [SIGNAL] });
  const parts = [];
  while (g.remaining > 0) parts.push(g.next(batchSize));
  return parts;
}

describe('monojet generator (seed 004 jets + MET channel)', () => {
  it('gives the same stream for every batch size', () => {
    const a = collect(30_000)[0]!;
    const parts = collect(4096);
    for (const c of MONOJET_COLUMNS) {
      const joined = new Float32Array(a.length);
      let o = 0;
      for (const p of parts) {
        joined.set(p.columns[c]!, o);
        o += p.length;
      }
      expect(Buffer.from(joined.buffer).equals(Buffer.from((a.columns[c] as Float32Array).buffer))).toBe(true);
    }
  });

  it('writes exact process counts, all inside the trigger, with the M-correlated jet mass', () => {
    const b = collect(30_000)[0]!;
    const c = b.columns;
    let control = 0,
      signal = 0,
      bkgSr = 0,
      bkg = 0,
      sigSr = 0,
      wrong = 0;
    for (let i = 0; i < b.length; i++) {
      if (!(c.met![i]! > MONOJET_MODEL.trigger.met && c.jet1_pt![i]! > MONOJET_MODEL.trigger.jetPt)) wrong++;
      if (b.label![i]) {
        signal++;
        if (c.met![i]! > 1000) sigSr++;
        if (c.photon_pt![i] !== 0) wrong++;
      } else if (c.photon_pt![i]! > 0) {
        control++;
        if (c.photon_pt![i] !== c.met![i]) wrong++;
      } else {
        bkg++;
        if (c.met![i]! > 1000) bkgSr++;
      }
    }
    expect(wrong).toBe(0);
    expect(control).toBe(15_000);
    expect(signal).toBe(500);
    // P(MET > 1000 | MET > 700) of the power law: 0.7^(k-1) = 12.9 % (seed 004: 90k of 700k).
    expect(bkgSr / bkg).toBeCloseTo(0.7 ** (MONOJET_MODEL.backgroundIndex - 1), 1);
    // The signal sits on the tail: most of it above MET = 1000 GeV (seed 004: 947 of 1200).
    expect(sigSr / signal).toBeGreaterThan(0.7);
    // Jet mass grows with MET for the background (the correlation CONRAD's flow removes).
    const meanMass = (lo: number, hi: number) => {
      let s = 0,
        n = 0;
      for (let i = 0; i < b.length; i++)
        if (!b.label![i] && c.met![i]! >= lo && c.met![i]! < hi) {
          s += c.jet1_m![i]!;
          n++;
        }
      return s / n;
    };
    expect(meanMass(1000, 4000) / meanMass(700, 800)).toBeGreaterThan(1.2);
  });

  it('rejects bad options with a message naming them', () => {
    expect(() => new MonojetGenerator({ events: 10, seed: 1, controlFraction: 1.5 })).toThrow(/controlFraction/);
    expect(() => new MonojetGenerator({ events: 10, seed: 1, signals: [{ ...SIGNAL, n: 20 }] })).toThrow(/exceed/);
    expect(() => new MonojetGenerator({ events: 10, seed: 1, signals: [{ mA: 500, mB: 300, mC: 100, n: 1 }] })).toThrow(
      /too light/,
    );
    expect(() => new MonojetSource({ events: 10, seed: 1, batchSize: 0 })).toThrow(/batchSize/);
  });
});

describe('sideband generate --channel monojet', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sideband-monojet-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the channel with its control process and truth labels to Parquet', async () => {
    const out = path.join(dir, 'monojet.parquet');
    const bin = path.join(repoRoot, 'bin/sideband.js');
    const args = ['generate', '--channel', 'monojet', '--events', '8000', '--seed', '3', '--control-fraction', '0.25'];
    const r = spawnSync(process.execPath, [bin, ...args, '--signal', 'mA=2500,mB=300,mC=100,n=80', '--out', out], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^generate: 8000 events \(5920 background, 2000 gamma\+jets control, signal .*monojet/);
    const b = await readFile(out);
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    const rows = (await parquetReadObjects({ file: ab, columns: ['met', 'photon_pt', 'label'] })) as {
      met: number;
      photon_pt: number;
      label: number;
    }[];
    expect(rows).toHaveLength(8000);
    expect(rows.filter((x) => x.label === 1)).toHaveLength(80);
    expect(rows.filter((x) => x.photon_pt > 0)).toHaveLength(2000);
  });
});
