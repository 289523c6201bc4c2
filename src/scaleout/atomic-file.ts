/**
 * Durable small-state files of the scale-out engine (router state, partition checkpoints): written to a temporary
 * file, fsynced, then renamed over the old one, so a crash leaves either the old state or the new, never a torn one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

export function writeFileAtomic(file: string, text: string, commit: () => boolean = () => true): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, text);
  fsyncSync(fd);
  closeSync(fd);
  // The caller may decline at the last moment (a partition released while its checkpoint was being written).
  if (commit()) renameSync(tmp, file);
}
