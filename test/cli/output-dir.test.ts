/**
 * A failed or interrupted run never destroys the previous one: outputs are written beside --out and moved into place
 * only when the run ends with a result (src/sinks/output-dir.ts). Through the real binary, and the directory logic
 * itself on real directories.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeDirectory, OutputDir } from '../../src/sinks/output-dir.js';
import { bin, generateParquet, scratch, sideband, tinyTopology } from './helpers.js';

const read = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]),
  );
const siblings = (out: string) =>
  readdirSync(path.dirname(out))
    .filter((n) => n.startsWith(`${path.basename(out)}.`))
    .map((n) => n.slice(path.basename(out).length + 1).replace(/-[0-9a-f-]{36}$/, '-<id>'))
    .sort();

describe('sideband run keeps the previous outputs when a rerun fails', () => {
  it('a wrong source path, then input that is all rejected: the old results, summary and manifest survive', () => {
    const dir = scratch();
    const out = path.join(dir, 'out');
    const topo = tinyTopology(dir);
    expect(sideband(['run', topo, '--out', out, '--quiet']).code).toBe(0);
    const before = read(out);
    expect(Object.keys(before)).toEqual([
      'alerts.jsonl',
      'dead-letters.jsonl',
      'manifest.json',
      'results.jsonl',
      'summary.json',
    ]);
    expect(JSON.parse(before['summary.json']!).results).toBe(2);

    const missing = sideband(['run', topo, '--out', out, '--set', `source.path=${path.join(dir, 'nope.parquet')}`]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(
      '--set source.path: source switched from generator to parquet (dropped events, mjjMin)',
    );
    expect(missing.stderr).toContain(
      `sideband run: no usable input: cannot read ${path.join(dir, 'nope.parquet')}: no such file or directory (ENOENT); nothing was written\n`,
    );
    expect(read(out)).toEqual(before);
    expect(siblings(out)).toEqual([]);

    const file = path.join(dir, 'events.parquet');
    generateParquet(file, 1000);
    const rejected = sideband([
      'run',
      topo,
      '--out',
      out,
      '--quiet',
      '--set',
      `source.path=${file}`,
      '--set',
      'columns={mjj: GeV, x_m: GeV}',
    ]);
    expect(rejected.code).toBe(3);
    expect(read(out)).toEqual(before);
    expect(siblings(out)).toEqual(['failed-<id>']);
    const failed = path.join(dir, readdirSync(dir).find((n) => n.startsWith('out.failed-'))!);
    expect(JSON.parse(readFileSync(path.join(failed, 'summary.json'), 'utf8')).status).toBe('no-input');
    expect(JSON.parse(readFileSync(path.join(failed, 'manifest.json'), 'utf8'))).toMatchObject({
      status: 'no-input',
      exitCode: 3,
    });
    expect(readFileSync(path.join(failed, 'dead-letters.jsonl'), 'utf8')).toContain('missing_column');

    // A run that succeeds replaces the outputs and clears the failed run's directory.
    expect(sideband(['run', topo, '--out', out, '--quiet', '--set', 'seed=4']).code).toBe(0);
    expect(read(out)['summary.json']).not.toEqual(before['summary.json']);
    expect(siblings(out)).toEqual([]);
  });

  it('an interrupted run (SIGINT) exits 130 and leaves the previous outputs as they were', async () => {
    const dir = scratch();
    const out = path.join(dir, 'out');
    const topo = tinyTopology(dir);
    expect(sideband(['run', topo, '--out', out, '--quiet']).code).toBe(0);
    const before = read(out);
    // Fifty million events: minutes of work, so the signal comes long before the end.
    const child = spawn(process.execPath, [bin, 'run', topo, '--out', out, '--set', 'source.events=50000000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('sideband run tiny:') && !child.killed) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(stderr).toContain(`SIGINT: stopping at the next checkpoint; ${out} is left as it was`);
    // The signal may land while the run is still compiling, or once events flow.
    expect(stderr).toMatch(
      /sideband run: (run [0-9a-f-]+: interrupted before it started|interrupted by SIGINT: checkpoint of \d+ buffered events in \S+\.checkpoint; continue with --resume)\n$/,
    );
    expect(read(out)).toEqual(before);
    // The partial outputs, and the checkpoint that --resume continues from.
    expect(siblings(out)).toEqual(['checkpoint', 'failed-<id>']);
    const failed = path.join(dir, readdirSync(dir).find((n) => n.startsWith('out.failed-'))!);
    expect(JSON.parse(readFileSync(path.join(failed, 'manifest.json'), 'utf8'))).toMatchObject({
      status: 'interrupted',
      exitCode: 130,
    });
  });

  it('refuses to replace a directory that is not a sideband output (exit 2), and leaves it alone', () => {
    const dir = scratch();
    const out = path.join(dir, 'notes');
    mkdirSync(out);
    writeFileSync(path.join(out, 'thesis.tex'), '\\documentclass{article}\n');
    const r = sideband(['run', tinyTopology(dir), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${out}: exists and is not a sideband output`);
    expect(readdirSync(out)).toEqual(['thesis.tex']);
    expect(siblings(out)).toEqual([]);
  });
});

describe('OutputDir', () => {
  it('writes beside the output, then swaps it in; a failed run is kept as the only .failed-<id>', async () => {
    const dir = scratch();
    const out = path.join(dir, 'deep/er/out');
    const a = await OutputDir.prepare(out, 'a');
    expect(a.path).toBe(`${out}.tmp-a`);
    writeFileSync(path.join(a.path, 'summary.json'), '"a"');
    await a.commit();
    expect(readFileSync(path.join(out, 'summary.json'), 'utf8')).toBe('"a"');

    const b = await OutputDir.prepare(out, 'b');
    writeFileSync(path.join(b.path, 'summary.json'), '"b"');
    expect(await b.fail()).toBe(`${out}.failed-b`);
    const c = await OutputDir.prepare(out, 'c');
    expect(await c.fail()).toBe(`${out}.failed-c`);
    expect(siblings(out)).toEqual(['failed-c']);
    expect(readFileSync(path.join(out, 'summary.json'), 'utf8')).toBe('"a"');

    const d = await OutputDir.prepare(out, 'd');
    writeFileSync(path.join(d.path, 'summary.json'), '"d"');
    await d.commit();
    expect(readFileSync(path.join(out, 'summary.json'), 'utf8')).toBe('"d"');
    expect(siblings(out)).toEqual([]);
  });

  it('makes directories level by level and fails at once where one cannot be made', async () => {
    const dir = scratch();
    await makeDirectory(path.join(dir, 'a/b/c'));
    expect(existsSync(path.join(dir, 'a/b/c'))).toBe(true);
    writeFileSync(path.join(dir, 'file'), 'x');
    await expect(makeDirectory(path.join(dir, 'file/sub'))).rejects.toThrow(
      `cannot create ${path.join(dir, 'file/sub')}: not a directory (ENOTDIR)`,
    );
    await expect(makeDirectory('/proc/nope/deeper')).rejects.toThrow(
      'cannot create /proc/nope: no such file or directory (ENOENT)',
    );
  });
});
