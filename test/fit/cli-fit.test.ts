import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSpectrumTable } from '../../src/formats/spectrum-csv.js';
import { atlasSpectrumCsv, repoRoot } from '../helpers/paths.js';

const bin = path.join(repoRoot, 'bin/sideband.js');

describe('sideband fit (real process on the real ATLAS spectrum)', () => {
  it("--function dijet4 agrees with ATLAS's fit within fit_err in every bin", () => {
    const out = JSON.parse(
      execFileSync(process.execPath, [bin, 'fit', '--spectrum', atlasSpectrumCsv, '--function', 'dijet4', '--json'], {
        encoding: 'utf8',
      }),
    );
    expect(out.params.length).toBe(4);
    expect(out.covariance.length).toBe(4);
    expect(out.pearson_ndf).toBe(87);
    expect(out.pearson_chi2).toBeGreaterThan(127);
    expect(out.pearson_chi2).toBeLessThan(129);
    expect(out.gof).toBe('merged');
    expect(out.ndf).toBeLessThan(87);
    expect(out.pvalue).toBeGreaterThan(0);
    expect(out.bins.length).toBe(91);
    const rows = readFileSync(atlasSpectrumCsv, 'utf8')
      .split('\n')
      .filter((l: string) => /^\d/.test(l))
      .map((l: string) => l.split(',').map(Number));
    out.bins.forEach(
      (
        b: { lo: number; hi: number; observed: number; fit: number; fit_err: number; significance: number },
        i: number,
      ) => {
        expect(b.lo).toBe(rows[i]![0]);
        expect(Math.abs(b.fit - rows[i]![3]!)).toBeLessThanOrEqual(rows[i]![4]!);
        expect(Number.isFinite(b.significance)).toBe(true);
      },
    );
  });

  it('--function auto --sr masks the SR and runs the ATLAS 2024 strategy', () => {
    const out = JSON.parse(
      execFileSync(
        process.execPath,
        [bin, 'fit', '--spectrum', atlasSpectrumCsv, '--function', 'auto', '--sr', '2000,2500', '--json'],
        { encoding: 'utf8' },
      ),
    );
    const masked = out.bins.filter((b: { fitted: boolean }) => !b.fitted);
    expect(
      masked.every(
        (b: { lo: number; hi: number }) =>
          (b.hi > 2000 && b.lo < 2500) || b.hi <= out.sbRange[0] || b.lo >= out.sbRange[1],
      ),
    ).toBe(true);
    expect(['dijet3', 'dijet4', 'ua2']).toContain(out.function);
  });

  it('parses headers in any column order, ignoring extra columns and comments', () => {
    const csv = parseSpectrumTable('# c\nobserved,extra,mjj_high_GeV,mjj_low_GeV\n7,x,1100,1000\n', 'inline.csv');
    expect(Array.from(csv.lo)).toEqual([1000]);
    expect(Array.from(csv.hi)).toEqual([1100]);
    expect(Array.from(csv.observed)).toEqual([7]);
    expect(() => parseSpectrumTable('lo,hi,observed\n1,2,3', 'x.csv')).toThrow(
      /x.csv, line 1, field mjj_low_GeV: spectrum csv: missing column\(s\) mjj_low_GeV, mjj_high_GeV/,
    );
  });

  it('names the file, line and field of a bad CSV value', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sideband-fit-'));
    const f = path.join(dir, 'bad.csv');
    writeFileSync(f, '# comment\nmjj_low_GeV,mjj_high_GeV,observed\n1000,1100,5\n1100,1200,abc\n');
    const r = spawnSync(process.execPath, [bin, 'fit', '--spectrum', f, '--function', 'dijet3', '--json'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`sideband fit: ${f}, line 4, field observed: spectrum csv: 'abc' is not a number`);
  });
});
