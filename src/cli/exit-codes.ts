/**
 * Exit codes of every `sideband` command, so scripts and job schedulers can tell failures apart.
 *   0    the command did what it promised
 *   1    a runtime failure (an output that could not be written, a broker that went away, a bug)
 *   2    a usage error: a missing, unknown or malformed option, an unknown command, a topology that does not validate
 *   3    no usable input: every input unreadable or missing, or every event rejected
 *   4    analysis failed: the input was read, but no window produced a valid result (every fit failed)
 *   5    rows unknown: an input could not be read and its events not counted (the results are written, but
 *        read = accepted + rejected holds only for what could be counted)
 *   130  interrupted by SIGINT (143: SIGTERM) before the end; the previous outputs are left as they were
 */
import { AnalysisError, InterruptedError, NoInputError, TopologyError, UsageError } from '../events/errors.js';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  noInput: 3,
  analysisFailed: 4,
  rowsUnknown: 5,
  interrupted: 130,
  terminated: 143,
} as const;

/** One line per exit code, for `sideband --help` and the README. */
export const EXIT_CODE_HELP: Array<[number, string]> = [
  [EXIT.ok, 'the command did what it promised'],
  [EXIT.failure, 'runtime failure (an output that cannot be written, a broker that went away, a bug)'],
  [EXIT.usage, 'usage error: unknown, missing or malformed option; topology that does not validate'],
  [EXIT.noInput, 'no usable input: every input unreadable or missing, or every event rejected'],
  [EXIT.analysisFailed, 'analysis failed: events were read but no window produced a valid result'],
  [EXIT.rowsUnknown, 'rows unknown: an input could not be read and its events not counted (outputs written)'],
  [EXIT.interrupted, 'interrupted by SIGINT (143: SIGTERM); previous outputs left as they were'],
];

/** The exit code for an error that ended a command. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError || e instanceof TopologyError) return EXIT.usage;
  if (e instanceof NoInputError) return EXIT.noInput;
  if (e instanceof AnalysisError) return EXIT.analysisFailed;
  if (e instanceof InterruptedError) return e.signalName === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  return EXIT.failure;
}
