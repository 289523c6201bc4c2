import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { SourceError, UsageError } from '../events/errors.js';

/**
 * Expand a source location into a sorted file list: a file, a directory (files with `ext` inside, not
 * recursive) or a glob with `*`, `?` and `**` (Node 20 has no fs.glob). Sorted so runs are reproducible.
 *
 * Only regular files are returned (a FIFO would block the reader forever, a device would never end): a named
 * non-regular file is an error, non-regular entries of a directory or glob are left out. With `allowedRoots`,
 * every file (after resolving symbolic links) must lie under one of them, so a topology from elsewhere cannot
 * make a run read /etc/passwd or another user's data.
 */
export async function expandPaths(location: string, ext: string, allowedRoots?: readonly string[]): Promise<string[]> {
  const files = await expandLocation(location, ext);
  if (allowedRoots) {
    const roots = await Promise.all(allowedRoots.map(async (r) => realpath(r).catch(() => path.resolve(r))));
    for (const f of files) await checkUnderRoots(f, roots);
  }
  return files;
}

/**
 * The directory (or file) a source location names before any wildcard: `data/2024/*.parquet` → `data/2024`. A
 * location given on the command line is the user's own choice and is allowed as an input root.
 */
export function locationRoot(location: string): string {
  const parts = location.split('/');
  const firstGlob = parts.findIndex((p) => /[*?]/.test(p));
  if (firstGlob < 0) return location;
  return parts.slice(0, firstGlob).join('/') || (location.startsWith('/') ? '/' : '.');
}

async function expandLocation(location: string, ext: string): Promise<string[]> {
  if (!/[*?]/.test(location)) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(location);
    } catch (cause) {
      throw new SourceError(`cannot read ${location}: ${(cause as Error).message}`, { cause });
    }
    if (s.isFile()) return [location];
    if (!s.isDirectory()) throw new SourceError(`${location} is not a regular file (${fileKind(s)})`);
    const names = (await readdir(location)).filter((n) => n.endsWith(ext)).sort();
    const out: string[] = [];
    for (const n of names) if (await isRegularFile(path.join(location, n))) out.push(path.join(location, n));
    return out;
  }
  const parts = location.split('/');
  const firstGlob = parts.findIndex((p) => /[*?]/.test(p));
  const base = parts.slice(0, firstGlob).join('/') || (location.startsWith('/') ? '/' : '.');
  const pattern = globToRegExp(parts.slice(firstGlob).join('/'));
  const found: string[] = [];
  await walk(
    base,
    '',
    pattern,
    found,
    parts.slice(firstGlob).some((p) => p === '**'),
  );
  return found.sort();
}

/** Whether a path (following links) is a regular file. */
async function isRegularFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

function fileKind(s: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}) {
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSocket()) return 'a socket';
  return 'not a file';
}

/** Throws a SourceError unless `file`, with links resolved, lies under one of `roots` (already resolved). */
async function checkUnderRoots(file: string, roots: string[]): Promise<void> {
  const real = await realpath(file).catch(() => path.resolve(file));
  const inside = roots.some((r) => real === r || real.startsWith(r.endsWith(path.sep) ? r : `${r}${path.sep}`));
  if (!inside) {
    const link = (await lstat(file).catch(() => undefined))?.isSymbolicLink() ? ` (a link to ${real})` : '';
    // A refusal by policy, fixed on the command line: a usage error (exit 2), not an unreadable input.
    throw new UsageError(
      `${file}${link} is outside the allowed input roots (${roots.join(', ')}); pass --allow-path DIR to read it`,
    );
  }
}

async function walk(base: string, rel: string, pattern: RegExp, out: string[], recursive: boolean): Promise<void> {
  const entries = await readdir(path.join(base, rel), { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (recursive || pattern.source.split('\\/').length > r.split('/').length)
        await walk(base, r, pattern, out, recursive);
    } else if (pattern.test(r) && (e.isFile() || (e.isSymbolicLink() && (await isRegularFile(path.join(base, r)))))) {
      out.push(path.join(base, r));
    }
  }
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
