/**
 * `sideband generate --events N --seed S [--signal "mA=3500,mB=500,mC=100,n=1000"]... --out FILE.parquet
 *  [--mjj-min GeV] [--mjj-max GeV] [--batch-size N] [--row-group-size N]
 *  [--trigger-pt GeV] [--trigger-m50 GeV --trigger-width GeV] [--channel dijet|monojet] [--control-fraction F]`
 * `--channel monojet` writes seed 004's jets + MET channel instead (src/sources/generator-monojet.ts).
 * With a trigger emulation, events failing it are not written (`--events` counts generated events).
 * Writes calibrated QCD dijet background plus injected resonances, with a truth label, to Parquet.
 */
import { asUsage, flag, numberFlag, parseCommand } from './args.js';
import { GENERATE } from './specs.js';
import { GeneratorSource, parseResonanceSpec } from '../sources/generator.js';
import { MonojetSource } from '../sources/generator-monojet.js';
import { ParquetFileWriter } from '../sinks/parquet.js';
import { UsageError } from '../events/errors.js';

export async function generateCommand(argv: string[]): Promise<number> {
  // Defaults and value checks come from the GENERATE table (src/cli/specs.ts).
  const args = parseCommand(GENERATE, argv);
  const events = numberFlag(args, 'events');
  const seed = numberFlag(args, 'seed');
  const out = flag(args, 'out')!;
  const signals = (args.flags.get('signal') ?? []).map((v) => asUsage('--signal', () => parseResonanceSpec(v)));
  const mjjMin = numberFlag(args, 'mjj-min');
  const mjjMax = numberFlag(args, 'mjj-max');
  const batchSize = numberFlag(args, 'batch-size');
  const rowGroupSize = numberFlag(args, 'row-group-size');
  const quiet = flag(args, 'quiet') === 'true';
  const triggerPt = flag(args, 'trigger-pt') === undefined ? undefined : numberFlag(args, 'trigger-pt');
  const m50 = flag(args, 'trigger-m50') === undefined ? undefined : numberFlag(args, 'trigger-m50');
  if ((m50 === undefined) !== (flag(args, 'trigger-width') === undefined))
    throw new UsageError('options --trigger-m50 and --trigger-width go together');
  const trigger =
    triggerPt !== undefined || m50 !== undefined
      ? {
          ...(triggerPt !== undefined ? { leadingJetPt: triggerPt } : {}),
          ...(m50 !== undefined ? { mjjEfficiency: { m50, width: numberFlag(args, 'trigger-width') } } : {}),
        }
      : undefined;
  const monojet = flag(args, 'channel') === 'monojet';
  const controlFraction = numberFlag(args, 'control-fraction');
  const source = monojet
    ? asUsage('--channel', () => new MonojetSource({ events, seed, signals, batchSize, controlFraction }))
    : asUsage(
        '--trigger-pt',
        () =>
          new GeneratorSource({ events, seed, signals, batchSize, mjjMin, mjjMax, ...(trigger ? { trigger } : {}) }),
      );
  const t0 = performance.now();
  const writer = await ParquetFileWriter.create(out, {
    rowGroupSize,
    metadata: {
      'sideband.generator': JSON.stringify(
        monojet
          ? { channel: 'monojet', events, seed, signals, controlFraction }
          : { events, seed, signals, mjjMin, mjjMax, trigger },
      ),
    },
  });
  let done = 0;
  let lastReport = t0;
  try {
    for await (const b of source.batches()) {
      await writer.appendBatch(b);
      done += b.length;
      const now = performance.now();
      if (!quiet && process.stderr.isTTY && now - lastReport > 500) {
        process.stderr.write(`\rgenerate: ${done}/${events} events`);
        lastReport = now;
      }
    }
  } finally {
    await writer.close();
  }
  if (!quiet && process.stderr.isTTY) process.stderr.write('\r');
  const seconds = (performance.now() - t0) / 1000;
  const sig = signals.map((s) => `A(${s.mA})->B(${s.mB})C(${s.mC}): ${s.n}`).join(', ');
  const nSig = signals.reduce((a, s) => a + s.n, 0);
  const nControl = monojet ? Math.round(controlFraction * events) : 0;
  const what = `${events - nSig - nControl} background${monojet ? `, ${nControl} gamma+jets control` : ''}${sig ? `, signal ${sig}` : ''}`;
  const recorded = trigger
    ? `${events} generated, ${done} recorded by the trigger (${source.description})`
    : `${done} events`;
  process.stdout.write(
    `generate: ${recorded} (${what}), seed ${seed}, ${monojet ? 'monojet (MET > 700 GeV, pT(j1) > 500 GeV)' : `mjj ${mjjMin}-${mjjMax} GeV`} -> ${out} in ${seconds.toFixed(2)} s\n`,
  );
  return 0;
}
