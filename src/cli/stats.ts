/**
 * `sideband stats`: closed-form discovery significance (`zdisc`) and asymptotic CLs (`cls`) from the command line,
 * for checking numbers against other tools.
 *   sideband stats zdisc --n N --b B --sigma-b S [--constraint poisson|gaussian] [--json]
 *   sideband stats cls --n a,b --b a,b --sigma-b a,b --s a,b [--mu 1] [--limit] [--json]
 *   sideband stats cls --workspace FILE.json [--patchset FILE --patch NAME] [--test-stat qtilde|q] ... (stats-workspace.ts)
 *   sideband stats bumphunt --spectrum FILE.csv [--function dijet4] [--pseudo-experiments 1000] [--seed 1]
 *                           [--min-width 1] [--max-width N] [--json]
 */
import { readFile } from 'node:fs/promises';
import { fitBinned } from '../fit/binned-fit.js';
import { fitFunction } from '../fit/functions.js';
import { bumpHunt } from '../stats/bumphunter.js';
import { clsAsymptotic, clsUpperLimits } from '../stats/cls.js';
import { zDiscovery, type ConstraintKind } from '../stats/discovery.js';
import { flag, numberFlag, type ParsedArgs, parseCommand } from './args.js';
import { STATS, subcommand } from './specs.js';
import { parseSpectrumTable } from '../formats/spectrum-csv.js';
import { didYouMean } from '../events/did-you-mean.js';
import { SidebandError, UsageError } from '../events/errors.js';

/** A comma-separated list of numbers (checked by the parser: kind 'numbers'). */
function listFlag(args: ParsedArgs, name: string): number[] {
  return flag(args, name)!.split(',').map(Number);
}

function print(obj: Record<string, unknown>, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(obj)}\n`);
  else
    process.stdout.write(
      `${Object.entries(obj)
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : String(v)}`)
        .join('\n')}\n`,
    );
}

export async function statsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const spec = subcommand(STATS, sub);
  if (!spec) {
    const words = (STATS.subcommands ?? []).map((c) => c.name.split(' ').pop()!);
    const near = sub === undefined ? undefined : didYouMean(sub, words);
    throw new UsageError(
      `${sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`} (${words.join(', ')})${near ? `; did you mean '${near}'?` : ''}`,
    );
  }
  // Options, their checks and defaults come from the subcommand's table (src/cli/specs.ts).
  const args = parseCommand(spec, rest);
  const json = args.flags.has('json');
  if (sub === 'zdisc') {
    const constraint = flag(args, 'constraint') as ConstraintKind;
    const n = numberFlag(args, 'n'),
      b = numberFlag(args, 'b'),
      s = numberFlag(args, 'sigma-b');
    const r = zDiscovery(n, b, s, constraint);
    print({ z: r.z, p: r.p, constraint }, json);
    return 0;
  }
  if (sub === 'cls' && flag(args, 'workspace')) {
    print(await (await import('./stats-workspace.js')).workspaceCls(args), json);
    return 0;
  }
  if (sub === 'cls') {
    const missing = ['n', 'b', 'sigma-b', 's'].filter((o) => flag(args, o) === undefined);
    if (missing.length)
      throw new UsageError(`cls: ${missing.map((o) => `--${o}`).join(', ')} required (or --workspace FILE.json)`);
    const n = listFlag(args, 'n'),
      b = listFlag(args, 'b'),
      sb = listFlag(args, 'sigma-b'),
      s = listFlag(args, 's');
    const mu = numberFlag(args, 'mu');
    const model = { signal: s, background: b, backgroundUncertainty: sb };
    const r = clsAsymptotic(model, n, mu);
    const out: Record<string, unknown> = { mu, cls_obs: r.clsObs, cls_exp: r.clsExp, cl_sb: r.clsbObs, cl_b: r.clbObs };
    if (args.flags.has('limit')) {
      const ul = clsUpperLimits(model, n, 0.95);
      out.mu_limit_obs = ul.observed;
      out.mu_limit_exp = ul.expected;
    }
    print(out, json);
    return 0;
  }
  if (sub === 'bumphunt') {
    const file = flag(args, 'spectrum')!;
    const csv = parseSpectrumTable(await readFile(file, 'utf8'), file);
    const fit = fitBinned(
      fitFunction(flag(args, 'function')!),
      { lo: csv.lo, hi: csv.hi, counts: csv.observed },
      { sqrtS: numberFlag(args, 'sqrt-s') },
    );
    if (!fit.converged) throw new SidebandError(`bumphunt: background fit failed: ${fit.status}`);
    const r = bumpHunt(csv.observed, fit.prediction, {
      pseudoExperiments: numberFlag(args, 'pseudo-experiments'),
      seed: numberFlag(args, 'seed'),
      minWidth: numberFlag(args, 'min-width'),
      maxWidth: numberFlag(args, 'max-width', Math.floor(csv.lo.length / 2)),
    });
    print(
      {
        function: fit.fn.name,
        fit_chi2: fit.chi2,
        fit_ndf: fit.ndf,
        interval_GeV: r.interval ? [csv.lo[r.interval[0]]!, csv.hi[r.interval[1]]!] : null,
        observed: r.observed,
        expected: r.expected,
        local_p: r.localP,
        local_z: r.localZ,
        global_p: r.globalP,
        global_z: r.globalZ,
        global_p_is_upper_bound: r.globalPIsUpperBound,
        pseudo_experiments: r.pseudoExperiments,
      },
      json,
    );
    return 0;
  }
  throw new UsageError(`subcommand '${sub}' has no implementation`);
}
