/**
 * Running the real `sideband` binary (bin/sideband.js over the compiled dist/) as a user would, in a scratch
 * directory, and small real inputs for it: a tiny generator topology and Parquet files made by `sideband generate`.
 */
import { expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

export const bin = path.join(repoRoot, 'bin/sideband.js');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `sideband ...args` to completion (stdin closed, stderr not a terminal, so logs are plain). */
export function sideband(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Ran {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function scratch(prefix = 'sideband-cli-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/**
 * A topology that runs in well under a second: 20,000 generated events, mjj only, two sliding windows, no classifier
 * (an inclusive bump hunt), no report. `extra` lines are appended (top-level keys).
 */
export function tinyTopology(dir: string, extra = '', name = 'tiny'): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
seed: 3
source: { kind: generator, events: 20000, mjjMin: 1800 }
columns: { mjj: GeV }
windows: { scheme: sliding, firstCentre: 2900, lastCentre: 3200 }
features: [mjj]
binning: { width: 100 }
trigger: { minSrEvents: 1000000 }
sinks: { report: false }
${extra}`,
  );
  return file;
}

/** The same flow reading Parquet from `source` (a file, directory or glob) instead of the generator. */
export function parquetTopology(dir: string, source: string, name = 'pq'): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
source: { kind: parquet, path: ${JSON.stringify(source)} }
columns: { mjj: GeV }
windows: { scheme: sliding, firstCentre: 2900, lastCentre: 3200 }
features: [mjj]
binning: { width: 100 }
trigger: { minSrEvents: 1000000 }
sinks: { report: false }
`,
  );
  return file;
}

/** Generated events written by `sideband generate` (real Parquet through the real writer). */
export function generateParquet(file: string, events: number, seed = 1): void {
  const r = sideband([
    'generate',
    '--events',
    String(events),
    '--seed',
    String(seed),
    '--mjj-min',
    '1800',
    '--out',
    file,
  ]);
  expect(r).toMatchObject({ code: 0, stderr: '' });
}
