/**
 * Issue 19, probe 7: a killed `sideband run` restarts from zero. Now a run over files checkpoints between batches into
 * `<out>.checkpoint/` and `sideband run --resume` continues from it; killed with SIGKILL at a random point (seeded), or
 * stopped with SIGTERM (drained, exit 143), the resumed run ends with the results.jsonl of an uninterrupted run
 * (ignoring run id and creation times) and counts every event once.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generatedParquet, normalizeResults, searchTopology } from '../helpers/kafka.js';
import { repoRoot } from '../helpers/paths.js';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** `sideband run` as a child process; `during` may signal it once a checkpoint exists. */
function sideband(args: string[], during?: (kill: (s: NodeJS.Signals) => void) => Promise<void>): Promise<Exit> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/sideband.js'), 'run', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  void during?.((s) => child.kill(s));
  return exited;
}

const results = (dir: string) =>
  normalizeResults(
    readFileSync(path.join(dir, 'results.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  );
const summary = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));

/** Resolves once the checkpoint has been written `n` times. */
async function checkpointed(dir: string, n: number): Promise<void> {
  const file = path.join(dir, 'state.json');
  for (let t0 = Date.now(); Date.now() - t0 < 30000; await new Promise((r) => setTimeout(r, 10))) {
    try {
      if (existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).checkpoints >= n) return;
    } catch {
      // state.json is replaced atomically; a read racing the rename sees the old or the new one.
    }
  }
  throw new Error(`no checkpoint in ${dir} within 30 s`);
}

/** A small seeded generator (mulberry32) for the kill delays. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('sideband run --resume after SIGKILL or SIGTERM', () => {
  let dir: string;
  let topology: string;
  let expected: string[];
  let events: number;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sideband-resume-'));
    const parquet = await generatedParquet(dir, 240000, 21);
    events = 240000;
    topology = path.join(dir, 'resume.yaml');
    // No intermediate analysis may be skipped for lack of queue room (that depends on timing), so that every
    // result is a function of the input alone.
    writeFileSync(
      topology,
      searchTopology(`{ kind: parquet, path: ${parquet} }`, 'analysis: { concurrency: 1, queue: 1000 }').replace(
        'growthFactor: 2',
        'growthFactor: 1.3',
      ),
    );
    const full = await sideband([topology, '--out', path.join(dir, 'full'), '--quiet']);
    expect(full.code).toBe(0);
    expected = results(path.join(dir, 'full'));
    expect(expected.length).toBeGreaterThan(20);
  });

  it('resumes after SIGKILL at a random point and ends with the uninterrupted results, every event read once', async () => {
    const random = seeded(19);
    let interrupted = 0;
    for (let k = 0; k < 3; k++) {
      const out = path.join(dir, `killed-${k}`);
      const cp = `${out}.checkpoint`;
      const killed = await sideband([topology, '--out', out, '--quiet', '--checkpoint-every', '0'], async (kill) => {
        await checkpointed(cp, 1);
        await new Promise((r) => setTimeout(r, Math.floor(random() * 600)));
        kill('SIGKILL');
      });
      const state = existsSync(path.join(cp, 'state.json'))
        ? JSON.parse(readFileSync(path.join(cp, 'state.json'), 'utf8'))
        : undefined;
      // Killed mid-run (the run may, rarely, have finished first: then there is nothing to resume).
      if (killed.signal !== 'SIGKILL') {
        expect(killed.code).toBe(0);
        continue;
      }
      expect(state.counters.read).toBeLessThan(events);
      interrupted++;
      const resumed = await sideband([topology, '--out', out, '--quiet', '--resume', '--checkpoint-every', '0']);
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      expect(results(out)).toEqual(expected);
      expect(summary(out).events).toMatchObject({ read: events, rowsUnknown: 0 });
      expect(summary(out).events).toEqual(summary(path.join(dir, 'full')).events);
      // A completed run leaves no checkpoint behind.
      expect(existsSync(cp)).toBe(false);
    }
    expect(interrupted).toBeGreaterThanOrEqual(2);
  });

  it('drains on SIGTERM: exit 143 with a checkpoint, then --resume gives the uninterrupted results', async () => {
    const out = path.join(dir, 'stopped');
    const cp = `${out}.checkpoint`;
    const stopped = await sideband([topology, '--out', out, '--checkpoint-every', '0'], async (kill) => {
      await checkpointed(cp, 2);
      kill('SIGTERM');
    });
    expect(stopped.stderr).toMatch(
      /interrupted by SIGTERM: checkpoint of \d+ buffered events in .*; continue with --resume/,
    );
    expect(stopped.code).toBe(143);
    const state = JSON.parse(readFileSync(path.join(cp, 'state.json'), 'utf8'));
    expect(state.counters.read).toBeLessThan(events);
    const resumed = await sideband([topology, '--out', out, '--quiet', '--resume']);
    expect(resumed.code).toBe(0);
    expect(results(out)).toEqual(expected);
    expect(summary(out).events.read).toBe(events);
  });

  it('without --resume a new run starts afresh and says it discards the old checkpoint', async () => {
    const out = path.join(dir, 'fresh');
    const cp = `${out}.checkpoint`;
    await sideband([topology, '--out', out, '--quiet', '--checkpoint-every', '0'], async (kill) => {
      await checkpointed(cp, 1);
      kill('SIGKILL');
    });
    const again = await sideband([topology, '--out', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`checkpoint: discarding the one in ${cp} (use --resume to continue it)`);
    expect(results(out)).toEqual(expected);
  });
});
