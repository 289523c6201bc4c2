/**
 * The benches' cache of generated inputs. A file is named by a hash of what made it: the generator's source (the
 * transitive closure of relative imports from src/cli/generate.ts, so a changed generator, writer or random
 * stream gives a new name), package-lock.json (the Parquet writer's version) and the command's arguments. A
 * cache keyed by file name alone would let a changed generator be measured on an old file.
 *
 * Where: $SIDEBAND_BENCH_CACHE, else $XDG_CACHE_HOME/sideband-bench, else node_modules/.cache/sideband-bench.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function cacheDir(): string {
  const dir =
    process.env.SIDEBAND_BENCH_CACHE ??
    (process.env.XDG_CACHE_HOME
      ? path.join(process.env.XDG_CACHE_HOME, 'sideband-bench')
      : path.join(root, 'node_modules/.cache/sideband-bench'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Source files reachable from `entry` through relative imports (`.js` specifiers resolve to `.ts` sources). */
export function sourceClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const spec = m[1]!.replace(/\.js$/, '.ts');
      visit(path.resolve(path.dirname(file), spec));
    }
  };
  visit(entry);
  return [...seen].sort();
}

let generatorHash: string | undefined;

/** Hash of the generator's source closure and the lock file. */
export function generatorVersion(): string {
  if (generatorHash) return generatorHash;
  const h = createHash('sha256');
  for (const f of [...sourceClosure(path.join(root, 'src/cli/generate.ts')), path.join(root, 'package-lock.json')]) {
    h.update(path.relative(root, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  generatorHash = h.digest('hex').slice(0, 16);
  return generatorHash;
}

/**
 * `sideband generate` with these arguments (without --out), cached: the path of the Parquet file, generated
 * (to a temporary name, then renamed) when the cache does not hold it.
 */
export function generatedFile(args: string[]): string {
  const key = createHash('sha256').update(generatorVersion()).update(JSON.stringify(args)).digest('hex').slice(0, 20);
  const file = path.join(cacheDir(), `generated-${key}.parquet`);
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    execFileSync(process.execPath, [path.join(root, 'bin/sideband.js'), 'generate', ...args, '--out', tmp], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  return file;
}
