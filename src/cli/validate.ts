/**
 * `sideband validate <topology.yaml>`: the topology over signal-free pseudo-datasets (src/run/validate.ts), per
 * window and working point the median and spread of Z, and DIR/validation.json, DIR/calibration.json and
 * DIR/validation.html. Name the calibration in the topology (`calibration: DIR/calibration.json`) to apply it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MIN_CLOSURE_SAMPLES } from '../analysis/calibration.js';
import { UsageError } from '../events/errors.js';
import { VALIDATION_SOURCES, validateTopology, validationSummary, type ValidationSource } from '../run/validate.js';
import { writeValidationReport } from '../sinks/validation-report.js';
import { loadTopology } from '../topology/load.js';
import { flag, numberFlag, parseCommand } from './args.js';
import { VALIDATE } from './specs.js';

export async function validateCommand(argv: string[]): Promise<number> {
  const args = parseCommand(VALIDATE, argv);
  const file = args.positional[0]!;
  const quiet = flag(args, 'quiet') === 'true';
  const log = (m: string) => {
    if (!quiet) process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  };
  const sources = flag(args, 'sources')!
    .split(',')
    .map((s) => s.trim());
  for (const s of sources)
    if (!(VALIDATION_SOURCES as readonly string[]).includes(s))
      throw new UsageError(`option --sources: '${s}' is not one of ${VALIDATION_SOURCES.join(', ')}`);
  const from = flag(args, 'calibrate-from');
  if (from && !sources.includes(from))
    throw new UsageError(`option --calibrate-from: '${from}' is not among --sources`);
  const topology = await loadTopology(file, args.flags.get('set') ?? [], log);
  const outDir = flag(args, 'out') ?? path.join('out', `${topology.name}-validation`);
  const samples = numberFlag(args, 'samples');
  log(`sideband validate ${topology.name}: ${sources.join(', ')}, ${samples} samples each, output ${outDir}`);
  const report = await validateTopology(topology, {
    file,
    sources: sources as ValidationSource[],
    samples,
    seed: numberFlag(args, 'seed'),
    ...(from ? { calibrateFrom: from as ValidationSource } : {}),
    keepCalibration: flag(args, 'keep-calibration') === 'true',
    mode: flag(args, 'mode') as 'standardize' | 'seed000',
    log,
    onSample: (s, k, t) => log(`validate: ${s} sample ${k + 1}/${samples} done (${t.toFixed(0)} s)`),
  });
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'validation.json'), `${JSON.stringify(report, null, 1)}\n`);
  if (report.calibration)
    await writeFile(path.join(outDir, 'calibration.json'), `${JSON.stringify(report.calibration, null, 1)}\n`);
  const page = await writeValidationReport(outDir, report);
  if (!quiet) {
    const lines = ['', `validation of ${topology.name} in ${report.seconds.toFixed(0)} s`];
    for (const s of report.sources) {
      if (s.skipped) {
        lines.push(`  ${s.source}: skipped (${s.skipped})`);
        continue;
      }
      lines.push(`  ${s.source} (${s.samples} samples, ${s.seconds.toFixed(0)} s):`);
      lines.push('    window          WP         n  median  spread  criterion');
      for (const w of s.windows)
        lines.push(
          `    ${w.window.padEnd(14)} ${(w.workingPoint === null ? 'incl' : String(w.workingPoint)).padEnd(6)} ${String(w.zs.length).padStart(5)} ${w.median.toFixed(2).padStart(7)} ${w.spread.toFixed(2).padStart(7)}  ${w.closure ? 'valid' : w.zs.length < MIN_CLOSURE_SAMPLES ? 'too few valid samples' : 'fails'}`,
        );
    }
    for (const s of validationSummary(report))
      lines.push(
        `  ${s.source}: ${s.passed} of ${s.of} window × working point combinations valid; all Z: median ${s.all.median.toFixed(2)}, spread ${s.all.spread.toFixed(2)}`,
      );
    lines.push(
      `  ${path.join(outDir, 'validation.json')}, ${report.calibration ? `${path.join(outDir, 'calibration.json')}, ` : ''}${page}`,
      '',
    );
    process.stdout.write(lines.join('\n'));
  }
  return 0;
}
