/**
 * `sideband fit`: fit a binned mjj spectrum from a CSV file (columns mjj_low_GeV, mjj_high_GeV, observed; other
 * columns ignored; lines starting with # are comments) with one dijet function or the ATLAS 2024 strategy
 * (`--function auto`), optionally masking a signal region, and print parameters, covariance, χ² and the
 * per-bin prediction with its uncertainty and signed significance.
 */
import { readFile } from 'node:fs/promises';
import { toNested } from '../fit/linalg.js';
import { runFitStrategy } from '../fit/strategy.js';
import { perBinSignificance } from '../stats/per-bin.js';
import { parseSpectrumTable } from '../formats/spectrum-csv.js';
import { flag, numberFlag, parseCommand } from './args.js';
import { FIT } from './specs.js';
import { SidebandError, UsageError } from '../events/errors.js';

function parsePair(v: string, name: string): [number, number] {
  const parts = v.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[1]! > parts[0]!)) {
    throw new UsageError(`option --${name}: expected LO,HI with LO < HI, got '${v}'`);
  }
  return [parts[0]!, parts[1]!];
}

export async function fitCommand(argv: string[]): Promise<number> {
  // Required options, choices (fit functions, objectives) and defaults come from the FIT table (src/cli/specs.ts).
  const args = parseCommand(FIT, argv);
  const file = flag(args, 'spectrum')!;
  const fname = flag(args, 'function')!;
  const sqrtS = numberFlag(args, 'sqrt-s');
  const srFlag = flag(args, 'sr');
  const sr: [number, number] = srFlag ? parsePair(srFlag, 'sr') : [0, 0];
  const objective = flag(args, 'objective') as 'poisson' | 'chi2';
  const csv = parseSpectrumTable(await readFile(file, 'utf8'), file);
  const spec = { lo: csv.lo, hi: csv.hi, counts: csv.observed };
  const res = runFitStrategy(spec, {
    strategy: fname === 'auto' ? 'atlas2024' : 'single',
    functions: fname === 'auto' ? undefined : [fname],
    sr,
    sqrtS,
    objective,
  });
  const fit = res.fit;
  if (!fit) throw new SidebandError(`no acceptable fit: ${res.reason}`);
  const sig = perBinSignificance(csv.observed, fit.prediction);
  const out = {
    function: fit.fn.name,
    formula: fit.fn.formula,
    params: Array.from(fit.params),
    covariance: toNested(fit.covariance, fit.fn.nParams),
    chi2: fit.chi2,
    ndf: fit.ndf,
    pvalue: fit.pvalue,
    gof: fit.gof,
    // Pearson's χ² over every fitted bin, as ATLAS quotes it; chi2/ndf above merge sparse bins (fit/gof.ts).
    pearson_chi2: fit.pearsonChi2,
    pearson_ndf: fit.nFitBins - fit.fn.nParams,
    deviance: fit.deviance,
    converged: fit.converged && res.accepted,
    status: `${fit.status}; ${res.reason}`,
    sbRange: res.sbRange,
    bins: Array.from(csv.observed, (n, i) => ({
      lo: csv.lo[i]!,
      hi: csv.hi[i]!,
      observed: n,
      fit: fit.prediction[i]!,
      fit_err: fit.fitErr[i]!,
      significance: sig[i]!,
      fitted: res.fitMask[i] === 1,
    })),
  };
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    const lines = [
      `${out.function}: ${out.formula}`,
      `params  ${out.params.map((p) => p.toPrecision(6)).join('  ')}`,
      `errors  ${out.covariance.map((r, i) => Math.sqrt(r[i]!).toPrecision(3)).join('  ')}`,
      `chi2/ndf ${out.chi2.toFixed(2)}/${out.ndf}  p-value ${out.pvalue.toPrecision(3)}  ${out.status}`,
      '     lo      hi    observed         fit     fit_err      Z',
      ...out.bins.map(
        (b) =>
          `${String(b.lo).padStart(7)} ${String(b.hi).padStart(7)} ${b.observed.toPrecision(7).padStart(11)} ${b.fit.toPrecision(7).padStart(11)} ${b.fit_err.toPrecision(4).padStart(11)} ${b.significance.toFixed(2).padStart(6)}${b.fitted ? '' : '  (masked)'}`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return out.converged ? 0 : 1;
}
