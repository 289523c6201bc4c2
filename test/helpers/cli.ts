/** `sideband run` as a user runs it: the CLI in a child process, its exit status and its results.jsonl. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WindowResult } from '../../src/events/result.js';
import { repoRoot } from './paths.js';

/**
 * Run `topology` (a path under the repository, or absolute) into `out` with `--set` overrides; returns the exit
 * status and the results written (empty when none were).
 */
export function sidebandRun(
  topology: string,
  out: string,
  sets: string[] = [],
): { status: number | null; stderr: string; results: WindowResult[] } {
  const r = spawnSync(
    process.execPath,
    [
      path.join(repoRoot, 'bin/sideband.js'),
      'run',
      path.resolve(repoRoot, topology),
      '--out',
      out,
      '--quiet',
      ...sets.flatMap((s) => ['--set', s]),
    ],
    { encoding: 'utf8' },
  );
  let results: WindowResult[] = [];
  try {
    results = readFileSync(path.join(out, 'results.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as WindowResult);
  } catch {
    // no results file: the caller's status check says why
  }
  return { status: r.status, stderr: r.stderr, results };
}
