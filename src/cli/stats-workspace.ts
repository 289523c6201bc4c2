/**
 * `sideband stats cls --workspace FILE.json`: asymptotic CLs of a pyhf HistFactory workspace, pyhf's conventions
 * (`pyhf cls FILE.json`, `pyhf.infer.hypotest`), optionally with one patch of a patchset applied.
 *   sideband stats cls --workspace FILE.json [--patchset FILE --patch NAME] [--measurement NAME] [--mu 1]
 *                      [--test-stat qtilde|q] [--normsys code4|code1] [--histosys code4p|code0] [--limit] [--json]
 */
import { readFile } from 'node:fs/promises';
import { InputError, UsageError } from '../events/errors.js';
import { HistFactoryModelError, compileModel, nominalAux, type HistFactorySpec } from '../fit/histfactory.js';
import { hypotest, hypotestUpperLimits, mainData, type TestStatistic } from '../fit/hypotest.js';
import { applyPatch, parsePatchset, parseWorkspace, workspaceModel } from '../formats/pyhf-workspace.js';
import { flag, numberFlag, type parseArgs } from './args.js';

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InputError(`not JSON: ${(cause as Error).message}`, { file }, { cause, reason: 'bad_workspace' });
  }
}

function choice<T extends string>(
  args: ReturnType<typeof parseArgs>,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const v = (flag(args, name) ?? fallback) as T;
  if (!allowed.includes(v)) throw new UsageError(`option --${name}: '${v}' is not one of ${allowed.join(', ')}`);
  return v;
}

export async function workspaceCls(args: ReturnType<typeof parseArgs>): Promise<Record<string, unknown>> {
  const file = flag(args, 'workspace')!;
  let ws = parseWorkspace(await readJson(file), file);
  const patchName = flag(args, 'patch');
  if (patchName) {
    const psFile = flag(args, 'patchset');
    if (!psFile) throw new UsageError('option --patch needs --patchset FILE');
    ws = applyPatch(ws, parsePatchset(await readJson(psFile), psFile), patchName, psFile);
  }
  const interpolation: HistFactorySpec['interpolation'] = {
    normsys: choice(args, 'normsys', ['code4', 'code1'] as const, 'code4'),
    histosys: choice(args, 'histosys', ['code4p', 'code0'] as const, 'code4p'),
  };
  const { spec, observations, measurement } = workspaceModel(ws, file, {
    measurement: flag(args, 'measurement'),
    interpolation,
  });
  let model: ReturnType<typeof compileModel>;
  try {
    model = compileModel(spec);
  } catch (e) {
    if (e instanceof HistFactoryModelError)
      throw new InputError(e.message, { file }, { cause: e, reason: 'bad_workspace' });
    throw e;
  }
  const data = { main: mainData(model, observations), aux: nominalAux(model) };
  const mu = numberFlag(args, 'mu', 1);
  const testStat = choice<TestStatistic>(args, 'test-stat', ['qtilde', 'q'], 'qtilde');
  const r = hypotest(model, data, mu, testStat);
  const out: Record<string, unknown> = {
    mu,
    cls_obs: r.clsObs,
    cls_exp: r.clsExp,
    cl_sb: r.clsbObs,
    cl_b: r.clbObs,
    mu_hat: r.muHat,
    test_stat: testStat,
    measurement,
    ...(patchName ? { patch: patchName } : {}),
  };
  if (!r.converged) out.warning = 'a fit did not converge';
  if (args.flags.has('limit')) {
    const ul = hypotestUpperLimits(model, data, 0.95, testStat);
    out.mu_limit_obs = ul.observed;
    out.mu_limit_exp = ul.expected;
  }
  return out;
}
