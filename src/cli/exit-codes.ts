/**
 * Exit codes of every `sideband` command, so scripts and job schedulers can tell failures apart.
 *   0  the command did what it promised
 *   1  a runtime failure (an output that could not be written, a broker that went away, a bug)
 *   2  a usage error: a missing or malformed option, an unknown command, a topology that does not validate
 */
import { TopologyError, UsageError } from '../events/errors.js';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The exit code for an error that ended a command. */
export function exitCodeOf(e: unknown): number {
  return e instanceof UsageError || e instanceof TopologyError ? EXIT.usage : EXIT.failure;
}
