/**
 * `sideband inject <topology.yaml> --signal "mA=3500,mB=500,mC=100" --amounts 0,100,200,400`: signal injection
 * scans and 95 % CL limits from injection (src/run/inject.ts); writes DIR/injection.json and DIR/injection.html.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../events/errors.js';
import { injectionScan } from '../run/inject.js';
import { limitText, writeInjectionReport } from '../sinks/injection-report.js';
import { parseResonanceSpec } from '../sources/generator.js';
import { loadTopology } from '../topology/load.js';
import { asUsage, flag, numberFlag, parseCommand } from './args.js';
import { INJECT } from './specs.js';

export async function injectCommand(argv: string[]): Promise<number> {
  const args = parseCommand(INJECT, argv);
  const file = args.positional[0]!;
  const quiet = flag(args, 'quiet') === 'true';
  const log = (m: string) => {
    if (!quiet) process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  };
  const signal = asUsage('--signal', () => parseResonanceSpec(`${flag(args, 'signal')!},n=0`));
  const amounts = flag(args, 'amounts')!.split(',').map(Number);
  if (!amounts.every((a) => Number.isInteger(a) && a >= 0))
    throw new UsageError(`option --amounts: whole numbers of events ≥ 0, got '${flag(args, 'amounts')}'`);
  const topology = await loadTopology(file, args.flags.get('set') ?? [], log);
  const outDir = flag(args, 'out') ?? path.join('out', `${topology.name}-injection`);
  const seeds = numberFlag(args, 'seeds');
  const report = await injectionScan(topology, {
    file,
    signal: { mA: signal.mA, mB: signal.mB, mC: signal.mC, ...(signal.wA ? { wA: signal.wA } : {}) },
    amounts: [...new Set(amounts)].sort((a, b) => a - b),
    seeds,
    seed: numberFlag(args, 'seed'),
    log,
    onRun: (a, k, t) => log(`inject: ${a} events, run ${k + 1}/${seeds} done (${t.toFixed(0)} s)`),
  });
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'injection.json'), `${JSON.stringify(report, null, 1)}\n`);
  const page = await writeInjectionReport(outDir, report);
  if (!quiet) {
    const lines = ['', `injection scan of ${topology.name} in ${report.seconds.toFixed(0)} s`];
    lines.push(
      '  window          WP     injected:  Z (median)            95 % CL limit on injected events: obs  exp   (merged-bin CLs on selected events: obs / exp)',
    );
    for (const w of report.windows) {
      const zs = report.amounts.map((a) => {
        const z = w.points.filter((p) => p.amount === a && p.z !== undefined).map((p) => p.z!);
        z.sort((x, y) => x - y);
        return z.length ? z[(z.length - 1) >> 1]!.toFixed(1) : '–';
      });
      const lim = w.limits;
      lines.push(
        `  ${w.window.padEnd(14)} ${(w.workingPoint === null ? 'incl' : String(w.workingPoint)).padEnd(6)} ${zs.join(' ').padEnd(30)} ${limitText(lim, 'observed')}  ${limitText(lim, 2)}${lim?.mergedBinSelected ? `   (${lim.mergedBinSelected.observed.toFixed(1)} / ${lim.mergedBinSelected.expected.toFixed(1)})` : ''}`,
      );
    }
    lines.push(`  amounts: ${report.amounts.join(', ')}`, `  ${path.join(outDir, 'injection.json')}, ${page}`, '');
    process.stdout.write(lines.join('\n'));
  }
  return 0;
}
