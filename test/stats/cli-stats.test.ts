import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { atlasSpectrumCsv, repoRoot } from '../helpers/paths.js';

const bin = path.join(repoRoot, 'bin/sideband.js');
const run = (args: string[]) => JSON.parse(execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8' }));

describe('sideband stats (real process)', () => {
  it('zdisc prints z and p for both constraints', () => {
    const p = run(['stats', 'zdisc', '--n', '150', '--b', '100', '--sigma-b', '7', '--json']);
    expect(p.z).toBeCloseTo(3.7195, 3);
    const g = run([
      'stats',
      'zdisc',
      '--n',
      '150',
      '--b',
      '100',
      '--sigma-b',
      '7',
      '--constraint',
      'gaussian',
      '--json',
    ]);
    expect(g.z).toBeGreaterThan(3.7);
    expect(g.p).toBeLessThan(1e-4);
  });

  it("cls prints pyhf's numbers for the uncorrelated_background example", () => {
    const r = run([
      'stats',
      'cls',
      '--n',
      '51,48',
      '--b',
      '50,52',
      '--sigma-b',
      '3,7',
      '--s',
      '12,11',
      '--mu',
      '1',
      '--json',
    ]);
    expect(Math.abs(r.cls_obs - 0.05251497)).toBeLessThan(1e-3);
    expect(r.cls_exp.length).toBe(5);
    expect(Math.abs(r.cls_exp[2] - 0.06445321)).toBeLessThan(1e-3);
    expect(Math.abs(r.cl_sb - 0.0233249612)).toBeLessThan(1e-3);
    expect(Math.abs(r.cl_b - 0.4441534901)).toBeLessThan(1e-3);
  });

  it('bumphunt scans the real ATLAS spectrum over its dijet4 fit with seeded pseudo-experiments', () => {
    const args = [
      'stats',
      'bumphunt',
      '--spectrum',
      atlasSpectrumCsv,
      '--function',
      'dijet4',
      '--pseudo-experiments',
      '200',
      '--seed',
      '3',
      '--json',
    ];
    const a = run(args),
      b = run(args);
    expect(a).toEqual(b);
    expect(a.interval_GeV.length).toBe(2);
    expect(a.observed).toBeGreaterThan(a.expected);
    expect(a.global_p).toBeGreaterThanOrEqual(a.local_p);
    expect(a.global_p).toBeLessThanOrEqual(1);
  });

  it('fails with a message on an unknown subcommand', () => {
    const r = spawnSync(process.execPath, [bin, 'stats', 'nope'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sideband stats: unknown subcommand 'nope'/);
  });
});
