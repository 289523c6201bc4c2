import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SourceError } from '../events/errors.js';

/**
 * Expand a source location into a sorted file list: a file, a directory (files with `ext` inside, not
 * recursive) or a glob with `*`, `?` and `**` (Node 20 has no fs.glob). Sorted so runs are reproducible.
 */
export async function expandPaths(location: string, ext: string): Promise<string[]> {
  if (!/[*?]/.test(location)) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(location);
    } catch (cause) {
      throw new SourceError(`cannot read ${location}: ${(cause as Error).message}`, { cause });
    }
    if (!s.isDirectory()) return [location];
    const names = (await readdir(location)).filter((n) => n.endsWith(ext)).sort();
    return names.map((n) => path.join(location, n));
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

async function walk(base: string, rel: string, pattern: RegExp, out: string[], recursive: boolean): Promise<void> {
  const entries = await readdir(path.join(base, rel), { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (recursive || pattern.source.split('\\/').length > r.split('/').length)
        await walk(base, r, pattern, out, recursive);
    } else if (pattern.test(r)) {
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
