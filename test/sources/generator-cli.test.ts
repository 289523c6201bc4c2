import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { repoRoot } from '../helpers/paths.js';

const bin = path.join(repoRoot, 'bin/sideband.js');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sideband-generate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sideband generate', () => {
  it('writes N events with the injected signal to Parquet and prints a summary', async () => {
    const out = path.join(dir, 'gen.parquet');
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'generate',
        '--events',
        '20000',
        '--seed',
        '5',
        '--mjj-min',
        '2000',
        '--signal',
        'mA=3500,mB=500,mC=100,n=300',
        '--signal',
        'mA=2500,mB=80,mC=80,n=100,wA=50',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^generate: 20000 events \(19600 background, signal A\(3500\)->B\(500\)C\(100\): 300, A\(2500\)->B\(80\)C\(80\): 100\), seed 5, mjj 2000-8208 GeV -> .*gen\.parquet in [0-9.]+ s\n$/,
    );
    const b = await readFile(out);
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    expect(Number(parquetMetadata(ab).num_rows)).toBe(20000);
    const rows = (await parquetReadObjects({ file: ab, columns: ['mjj', 'label'] })) as {
      mjj: number;
      label: number;
    }[];
    expect(rows.filter((x) => x.label === 1)).toHaveLength(400);
    expect(rows.filter((x) => x.label === 0).every((x) => x.mjj >= 1999.9)).toBe(true);
  });

  it('fails with a message naming the bad signal key', () => {
    const r = spawnSync(
      process.execPath,
      [bin, 'generate', '--events', '10', '--signal', 'mA=3500,mB=500,mZ=1,n=1', '--out', path.join(dir, 'x.parquet')],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown key 'mZ'/);
  });

  it('requires --events and --out', () => {
    const r = spawnSync(process.execPath, [bin, 'generate', '--out', path.join(dir, 'y.parquet')], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/option --events N is required/);
  });
});
