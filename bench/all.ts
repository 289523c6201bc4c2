/**
 * The physics and speed benches in one go, each saving its JSON to docs/bench/, then the README table rebuilt
 * from them (bench/readme-table.ts). `--quick` passes on (fewer seeds, closure samples and repetitions: a smoke
 * run, not figures to publish); `--only classify,hunt` runs a subset.
 *
 *   node dist/bench/all.js [--quick] [--only classify,hunt,fit,ingest,kafka,calibration] [--dir docs/bench]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, parseArgs } from '../src/cli/args.js';
import { SidebandError } from '../src/events/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = parseArgs(process.argv.slice(2), ['quick']);
const quick = args.flags.has('quick');
const dir = path.resolve(flag(args, 'dir') ?? path.join(root, 'docs/bench'));
const only = (flag(args, 'only') ?? 'classify,hunt,fit,ingest').split(',');
mkdirSync(dir, { recursive: true });

/** Benches that write their own --out file, and those whose stdout is the JSON. */
const WITH_OUT = new Set(['classify', 'hunt', 'fit']);
for (const name of only) {
  const file = path.join(dir, `${name}.json`);
  const extra = name === 'calibration' ? [] : ['--json'];
  const flags = [
    ...extra,
    ...(quick && WITH_OUT.has(name) ? ['--quick'] : []),
    ...(WITH_OUT.has(name) ? ['--out', file] : []),
  ];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(here, `${name}.js`), ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new SidebandError(`bench:all: ${name} exited ${r.status}`);
  if (!WITH_OUT.has(name)) writeFileSync(file, `${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
  console.error(`bench:all: ${name} done in ${((performance.now() - t0) / 1000).toFixed(0)} s → ${file}`);
}
const t = spawnSync(process.execPath, [path.join(here, 'readme-table.js'), '--dir', dir], { stdio: 'inherit' });
if (t.status !== 0) throw new SidebandError(`bench:all: readme-table exited ${t.status}`);
