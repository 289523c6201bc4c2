import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fitScanner, knownBackgroundScanner } from '../../src/analysis/ddp-scan.js';
import { zPlTargets } from '../../src/analysis/ddp-targets.js';
import { fitBinned } from '../../src/fit/binned-fit.js';
import { fitFunction } from '../../src/fit/functions.js';
import { parseSpectrumTable } from '../../src/formats/spectrum-csv.js';
import { perBinSignificance } from '../../src/stats/per-bin.js';
import { readDdpTrainingSet } from '../../src/sources/ddp-training-set.js';
import { atlasSpectrumCsv, repoRoot } from '../helpers/paths.js';

const bin = path.join(repoRoot, 'bin/sideband.js');
const sideband = (args: string[]) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const sidebandFails = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const atlas = parseSpectrumTable(readFileSync(atlasSpectrumCsv, 'utf8'), atlasSpectrumCsv);
const spectrum = { lo: atlas.lo, hi: atlas.hi, counts: atlas.observed };
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sideband-ddp-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('per-bin scanners on the ATLAS 139 fb⁻¹ spectrum', () => {
  it("the fit scanner uses the project's dijet4 fit and computes the DDP targets over it", () => {
    const scan = fitScanner().scan(spectrum);
    const fit = fitBinned(fitFunction('dijet4'), spectrum);
    expect(Array.from(scan.background)).toEqual(Array.from(fit.prediction));
    expect(scan.info.function).toBe('dijet4');
    expect(scan.info.ndf).toBe(87);
    const t = zPlTargets(atlas.observed, fit.prediction);
    expect(Array.from(scan.zMixed)).toEqual(Array.from(t.zMixed));
    expect(Array.from(scan.zCounting)).toEqual(Array.from(perBinSignificance(atlas.observed, fit.prediction)));
    // ATLAS finds no significant excess in this spectrum: no bin above 3σ locally, none negative (one-sided).
    expect(Math.max(...scan.zMixed)).toBeLessThan(3);
    expect(Math.min(...scan.zMixed)).toBeGreaterThanOrEqual(0);
  });

  it("with ATLAS's own published fit as the background, the scan agrees in where it sees no excess", () => {
    const own = knownBackgroundScanner(atlas.fit!).scan(spectrum);
    expect(own.model).toBe('background');
    expect(Math.max(...own.zMixed)).toBeLessThan(3);
  });

  it('--function auto tries the dijet functions in order and keeps the best p-value when none passes 0.05', () => {
    const scan = fitScanner({ functions: ['dijet3', 'dijet4', 'dijet5', 'ua2'] }).scan(spectrum);
    const attempts = scan.info.attempts as { function: string; pvalue: number }[];
    expect(attempts.map((a) => a.function)).toEqual(['dijet3', 'dijet4', 'dijet5', 'ua2']);
    const best = attempts.reduce((a, b) => (b.pvalue > a.pvalue ? b : a));
    expect(scan.info.function).toBe(best.function);
  });
});

describe('sideband ddp (real processes)', () => {
  it('scan --json --plot writes per-bin z for every width and a PNG', () => {
    const png = path.join(dir, 'scan.png'),
      out = path.join(dir, 'scan.json');
    const res = JSON.parse(
      sideband(['ddp', 'scan', '--spectrum', atlasSpectrumCsv, '--json', '--plot', png, '--out', out]),
    );
    expect(res.model).toBe('fit');
    expect(res.bins.length).toBe(91);
    expect(Object.keys(res.bins[0].z)).toEqual(['z_w1', 'z_w2', 'z_w3', 'z_w4']);
    expect(res.bins[0].lo).toBe(1100);
    expect(res.max.z_mw).toBe(Math.max(...res.bins.map((b: { z_mw: number }) => b.z_mw)));
    expect(JSON.parse(readFileSync(out, 'utf8')).max).toEqual(res.max);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });

  it('scan --model FILE names a missing or wrong model file; a bad CSV names file, column and row', () => {
    const r = sidebandFails(['ddp', 'scan', '--spectrum', atlasSpectrumCsv, '--model', 'net.bin']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('net.bin: ddp model: cannot read');
    const pkg = path.join(repoRoot, 'package.json');
    const w = sidebandFails(['ddp', 'scan', '--spectrum', atlasSpectrumCsv, '--model', pkg]);
    expect(w.status).toBe(1);
    expect(w.stderr).toContain('not a Znet3 model from ddp train');
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, '# c\nmjj_low_GeV,mjj_high_GeV,observed\n1000,1100,5\n1100,1200,abc\n');
    const r2 = sidebandFails(['ddp', 'scan', '--spectrum', bad]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain(`${bad}, line 4, field observed: spectrum csv: 'abc' is not a number`);
    const r3 = sidebandFails(['ddp', 'scan', '--spectrum', bad.replace('bad', 'none')]);
    expect(r3.status).toBe(1);
    expect(r3.stderr).toContain('cannot read');
  });

  it('generate writes a set that plot can draw; a shard (--first) holds the same histograms', () => {
    // (Byte-identical files for a seed: test/sinks/ddp-training-set.test.ts.)
    const a = path.join(dir, 'a.parquet');
    const args = ['ddp', 'generate', '--histograms', '300', '--seed', '11', '--row-group', '128', '--quiet', '--json'];
    const sa = JSON.parse(sideband([...args, '--out', a]));
    expect(sa.histograms).toBe(300);
    expect(sa.histograms_per_s).toBeGreaterThan(0);
    const png = path.join(dir, 'h.png');
    sideband(['ddp', 'plot', '--set', a, '--index', '17', '--out', png]);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    const shard = path.join(dir, 'shard.parquet');
    sideband(['ddp', 'generate', '--histograms', '50', '--first', '250', '--seed', '11', '--quiet', '--out', shard]);
    return Promise.all([readDdpTrainingSet(a), readDdpTrainingSet(shard)]).then(([whole, part]) => {
      const o = whole.batch.offsets[250]!;
      expect(Array.from(part.batch.index)).toEqual(Array.from({ length: 50 }, (_, i) => 250 + i));
      expect(Array.from(part.batch.counts)).toEqual(Array.from(whole.batch.counts.subarray(o)));
    });
  });

  it('train needs --out and one source of histograms; unknown subcommands list the known ones', () => {
    expect(sidebandFails(['ddp', 'train']).status).toBe(2);
    const r = sidebandFails(['ddp', 'train', '--out', path.join(dir, 'm.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('give exactly one of --set FILE.parquet and --histograms N');
    const u = sidebandFails(['ddp', 'frobnicate']);
    expect(u.status).toBe(2);
    expect(u.stderr).toContain('generate, scan, plot, train');
  });
});

describe('spectrum CSV', () => {
  it('accepts the columns in any order, ignores others, reads the optional fit column', () => {
    const csv = '# c\nobserved,extra,mjj_high_GeV,mjj_low_GeV,fit\n7,x,1100,1000,6.5\n9,y,1200,1100,8\n';
    const t = parseSpectrumTable(csv, 'inline.csv');
    expect(Array.from(t.lo)).toEqual([1000, 1100]);
    expect(Array.from(t.observed)).toEqual([7, 9]);
    expect(Array.from(t.fit!)).toEqual([6.5, 8]);
    expect(t.fitErr).toBeUndefined();
  });

  it('names what is wrong', () => {
    const head = 'mjj_low_GeV,mjj_high_GeV,observed\n';
    expect(() => parseSpectrumTable('lo,hi,observed\n1,2,3', 'x.csv')).toThrow(
      /x.csv, line 1, field mjj_low_GeV: spectrum csv: missing column\(s\) mjj_low_GeV, mjj_high_GeV/,
    );
    expect(() => parseSpectrumTable(`${head}1,2,3\n1.5,3,4\n`, 'o.csv')).toThrow(
      /o.csv, line 3, field mjj_low_GeV: .*overlap/,
    );
    expect(() => parseSpectrumTable(`${head}1,2,-3\n`, 'n.csv')).toThrow(/line 2, field observed: .*negative/);
    expect(() => parseSpectrumTable('# only\n', 'e.csv')).toThrow(/no header/);
  });
});
