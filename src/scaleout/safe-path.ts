/**
 * Path segments made from names a topology chooses (its name, consumer groups, topic names): a topology is data that
 * may come from elsewhere, and `name: ../../x` must not write outside the output or checkpoint root. A segment keeps
 * letters, digits, '.', '_' and '-', everything else becomes '_', and it may not start with a dot.
 */
import path from 'node:path';
import { SidebandError } from '../events/errors.js';

export function safeSegment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return s.length === 0 ? '_' : s.slice(0, 200);
}

/** `root/segments...` with each segment made safe; throws if the result still leaves `root` (it cannot). */
export function underRoot(root: string, ...segments: string[]): string {
  const p = path.join(root, ...segments.map(safeSegment));
  const rel = path.relative(root, p);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new SidebandError(`path ${p} leaves ${root}`);
  return p;
}
