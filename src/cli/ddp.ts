/**
 * `sideband ddp <generate|scan|plot|train>`: the DDP neural bump hunter (seed 002).
 *
 *   ddp generate --histograms N --seed S --out FILE.parquet [--bins-min 30] [--bins-max 100] [--range-min 10]
 *                [--range-max 1e5] [--widths 1,2,3,4] [--z-min 0] [--z-max 20] [--fit-fraction 0.5]
 *                [--cut-fraction 0.5] [--first K] [--row-group 4096] [--json] [--quiet]
 *       writes a training set (analysis/ddp-training-set.ts, schema in sinks/ddp-training-set.ts); histograms
 *       first … first+N−1 of seed S, so shards of one set are separate files with different --first.
 *   ddp scan --spectrum FILE.csv [--model fit|FILE] [--function dijet4|auto|f1,f2,…] [--background fit|csv]
 *            [--widths 1,2,3,4] [--sqrt-s 13000] [--out FILE.json] [--plot FILE.png|FILE.svg] [--json]
 *       per-bin significance of a spectrum (columns: formats/spectrum-csv.ts); --model fit is the fit-based
 *       reference, --background csv takes the CSV's `fit` column as the background instead of our fit.
 *   ddp plot --set FILE.parquet --index K --out FILE.png|FILE.svg
 *       seed 002 Fig. 5 for one training histogram: counts, background, signal, z_PL per width.
 *   ddp train    needs the neural engine (src/nn); not available yet.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { DdpTrainingSetGenerator, type DdpSetOptions } from '../analysis/ddp-training-set.js';
import { fitScanner, knownBackgroundScanner, type PerBinScan, type PerBinScanner } from '../analysis/ddp-scan.js';
import { DEFAULT_WIDTHS } from '../analysis/ddp-targets.js';
import { FIT_FUNCTION_NAMES } from '../fit/functions.js';
import { InputError, SidebandError, UsageError } from '../events/errors.js';
import { parseSpectrumTable, type SpectrumTable } from '../formats/spectrum-csv.js';
import { DdpTrainingSetWriter, zColumnName } from '../sinks/ddp-training-set.js';
import { scanFigure } from '../sinks/ddp-plot-specs.js';
import { renderPlot, type VegaLiteSpec } from '../sinks/plot.js';
import { readDdpTrainingSet } from '../sources/ddp-training-set.js';
import { flag, numberFlag, parseCommand, type ParsedArgs } from './args.js';
import { DDP, subcommand } from './specs.js';

const SUBCOMMANDS: Record<string, (args: ParsedArgs) => Promise<number>> = {
  generate: generateCommand,
  scan: scanCommand,
  plot: plotCommand,
  train: async () => {
    throw new SidebandError('ddp train: the network (Znet3) is trained on the neural engine in src/nn, not built yet');
  },
};

export async function ddpCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  const spec = subcommand(DDP, sub);
  if (!run || !spec) {
    const what = sub ? `unknown subcommand '${sub}'` : 'a subcommand is required';
    throw new UsageError(`${what} (${Object.keys(SUBCOMMANDS).join(', ')})`);
  }
  // Options, their checks and defaults come from the subcommand's table (src/cli/specs.ts); main.ts prints errors.
  return run(parseCommand(spec, rest));
}

function numberList(args: ParsedArgs, name: string, fallback: readonly number[]): number[] {
  const v = flag(args, name);
  if (v === undefined) return [...fallback];
  const out = v.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || !out.every((x) => Number.isFinite(x) && x > 0)) {
    throw new SidebandError(`option --${name}: expected positive numbers separated by commas, got '${v}'`);
  }
  return out;
}

function integerFlag(args: ParsedArgs, name: string, fallback?: number): number {
  const v = numberFlag(args, name, fallback);
  if (!Number.isInteger(v)) throw new SidebandError(`option --${name}: '${v}' is not an integer`);
  return v;
}

async function generateCommand(args: ParsedArgs): Promise<number> {
  const histograms = integerFlag(args, 'histograms');
  if (histograms < 0) throw new SidebandError('option --histograms must be ≥ 0');
  const out = flag(args, 'out');
  if (!out) throw new SidebandError('option --out FILE.parquet is required');
  const options: DdpSetOptions = {
    seed: integerFlag(args, 'seed', 0),
    binsMin: integerFlag(args, 'bins-min', 30),
    binsMax: integerFlag(args, 'bins-max', 100),
    rangeMin: numberFlag(args, 'range-min', 10),
    rangeMax: numberFlag(args, 'range-max', 1e5),
    widths: numberList(args, 'widths', DEFAULT_WIDTHS),
    zMin: numberFlag(args, 'z-min', 0),
    zMax: numberFlag(args, 'z-max', 20),
    fitFraction: numberFlag(args, 'fit-fraction', 0.5),
    cutFraction: numberFlag(args, 'cut-fraction', 0.5),
  };
  const first = integerFlag(args, 'first', 0);
  const rowGroup = integerFlag(args, 'row-group', 4096);
  if (first < 0 || rowGroup <= 0) throw new SidebandError('options --first ≥ 0 and --row-group > 0 are required');
  const quiet = args.flags.has('quiet');
  const gen = new DdpTrainingSetGenerator(options);
  const writer = await DdpTrainingSetWriter.create(out, gen.options.seed, gen.describe());
  const t0 = performance.now();
  let genMs = 0,
    writeMs = 0,
    done = 0,
    lastDraw = t0;
  const tty = Boolean(process.stderr.isTTY);
  try {
    while (done < histograms) {
      const n = Math.min(rowGroup, histograms - done);
      const a = performance.now();
      const batch = gen.batch(first + done, n);
      const b = performance.now();
      await writer.append(batch);
      const c = performance.now();
      genMs += b - a;
      writeMs += c - b;
      done += n;
      if (!quiet && (c - lastDraw > (tty ? 250 : 10_000) || done === histograms)) {
        const pct = ((100 * done) / Math.max(1, histograms)).toFixed(0),
          rate = (done / ((c - t0) / 1000)).toFixed(0);
        const line = `ddp generate: ${done}/${histograms} histograms (${pct} %), ${rate} histograms/s`;
        process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
        lastDraw = c;
      }
    }
  } finally {
    await writer.close();
  }
  if (!quiet && tty) process.stderr.write('\n');
  const seconds = (performance.now() - t0) / 1000;
  const summary = {
    out,
    histograms,
    first,
    seed: gen.options.seed,
    seconds,
    histograms_per_s: histograms / seconds,
    generation_histograms_per_s: histograms / (genMs / 1000),
    write_histograms_per_s: histograms / (writeMs / 1000),
  };
  if (args.flags.has('json')) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const o = gen.options;
    process.stdout.write(
      `ddp generate: ${histograms} histograms (seed ${o.seed}, first ${first}, ` +
        `${o.binsMin}-${o.binsMax} bins) -> ${out} in ${seconds.toFixed(2)} s ` +
        `(${summary.histograms_per_s.toFixed(0)} histograms/s; ` +
        `generation with targets ${summary.generation_histograms_per_s.toFixed(0)}/s, ` +
        `writing ${summary.write_histograms_per_s.toFixed(0)}/s)\n`,
    );
  }
  return 0;
}

/** The scanner named by --model (fit, or later a trained network file). */
function scannerFor(args: ParsedArgs, table: SpectrumTable, file: string, widths: number[]): PerBinScanner {
  const model = flag(args, 'model') ?? 'fit';
  if (model !== 'fit') {
    throw new SidebandError(
      `--model ${model}: loading a trained DDP network needs the neural engine (src/nn), ` +
        'which is not built yet; use --model fit',
    );
  }
  const background = flag(args, 'background') ?? 'fit';
  if (background === 'csv') {
    if (!table.fit) {
      throw new InputError(
        'ddp scan: --background csv needs a `fit` column',
        { file, field: 'fit' },
        { reason: 'missing_column' },
      );
    }
    return knownBackgroundScanner(table.fit, { widths, label: `${file}: column fit` });
  }
  if (background !== 'fit') throw new SidebandError(`option --background: '${background}' (fit|csv)`);
  const fnFlag = flag(args, 'function') ?? 'dijet4';
  const functions = fnFlag === 'auto' ? ['dijet3', 'dijet4', 'dijet5', 'ua2'] : fnFlag.split(',').map((s) => s.trim());
  for (const f of functions) {
    if (!(FIT_FUNCTION_NAMES as readonly string[]).includes(f)) {
      throw new SidebandError(`option --function: unknown '${f}' (known: ${FIT_FUNCTION_NAMES.join(', ')}, auto)`);
    }
  }
  return fitScanner({ functions, widths, sqrtS: numberFlag(args, 'sqrt-s', 13000) });
}

/** JSON form of a scan: per-bin rows and the largest mixed-width Z. */
export function scanToJson(
  file: string,
  table: SpectrumTable,
  scan: PerBinScan,
  seconds: number,
): Record<string, unknown> {
  let best = 0;
  for (let i = 1; i < scan.zMixed.length; i++) if (scan.zMixed[i]! > scan.zMixed[best]!) best = i;
  const bestWidth = scan.widths[scan.zByWidth.findIndex((z) => z[best] === scan.zMixed[best])] ?? null;
  return {
    spectrum: file,
    model: scan.model,
    widths: scan.widths,
    info: scan.info,
    seconds,
    definition:
      'z_PL per width w: one-sided profile-likelihood significance of a Gaussian signal (sigma = w bins) ' +
      'centred on the bin over the background (seed 002 eqs. 25-28); z_mw = max over widths; z_counting = signed ' +
      'per-bin Poisson significance of the bin alone (stats/per-bin.ts)',
    max: { bin: best, lo: table.lo[best], hi: table.hi[best], z_mw: scan.zMixed[best], width: bestWidth },
    bins: Array.from(table.observed, (n, i) => ({
      lo: table.lo[i],
      hi: table.hi[i],
      observed: n,
      background: scan.background[i],
      z_counting: scan.zCounting[i],
      z: Object.fromEntries(scan.widths.map((w, k) => [zColumnName(w), scan.zByWidth[k]![i]])),
      z_mw: scan.zMixed[i],
    })),
  };
}

async function writePlot(file: string, spec: VegaLiteSpec): Promise<void> {
  const { svg, png } = await renderPlot(spec);
  if (file.endsWith('.svg')) await writeFile(file, svg);
  else if (file.endsWith('.png')) await writeFile(file, png);
  else throw new SidebandError(`plot file '${file}' must end in .png or .svg`);
}

async function scanCommand(args: ParsedArgs): Promise<number> {
  const file = flag(args, 'spectrum');
  if (!file) throw new SidebandError('option --spectrum FILE.csv is required');
  const widths = numberList(args, 'widths', DEFAULT_WIDTHS);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(`ddp scan: cannot read: ${(e as Error).message}`, { file }, { cause: e });
  }
  const table = parseSpectrumTable(text, file);
  const scanner = scannerFor(args, table, file, widths);
  const t0 = performance.now();
  const scan = scanner.scan({ lo: table.lo, hi: table.hi, counts: table.observed });
  const seconds = (performance.now() - t0) / 1000;
  const json = scanToJson(file, table, scan, seconds);
  const out = flag(args, 'out');
  if (out) await writeFile(out, `${JSON.stringify(json, null, 1)}\n`);
  const plot = flag(args, 'plot');
  const info = scan.info as { function?: string; chi2?: number; ndf?: number; pvalue?: number; background?: string };
  const max = json.max as { z_mw: number; lo: number; hi: number; width: number };
  if (plot) {
    const bgLabel = info.function ? `Background: ${info.function} fit` : `Background: ${info.background ?? 'given'}`;
    const fitLine = info.function
      ? `${info.function} fit to all ${table.observed.length} bins: χ²/ndf = ${info.chi2!.toFixed(1)}/${info.ndf}, ` +
        `p = ${info.pvalue!.toPrecision(2)}`
      : bgLabel;
    await writePlot(
      plot,
      scanFigure({
        title: `Per-bin significance scan: ${file.split('/').pop()}`,
        subtitle: [
          fitLine,
          `largest z_PL (max over widths ${scan.widths.join(', ')} bins) = ${max.z_mw.toFixed(2)} ` +
            `at [${max.lo}, ${max.hi}] GeV (width ${max.width})`,
        ],
        lo: table.lo,
        hi: table.hi,
        observed: table.observed,
        background: { label: bgLabel, values: scan.background },
        series: [{ label: `z_PL, max over widths (${scan.model})`, z: scan.zMixed }],
        counting: { label: 'per-bin Z (bin alone)', z: scan.zCounting },
      }),
    );
  }
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    const head = [
      '     lo',
      '     hi',
      '   observed',
      ' background',
      ' Z_bin',
      ...scan.widths.map((w) => `z_w${w}`.padStart(7)),
      '   z_mw',
    ];
    const lines = [head.join(' ')];
    for (let i = 0; i < table.observed.length; i++) {
      lines.push(
        [
          String(table.lo[i]).padStart(7),
          String(table.hi[i]).padStart(7),
          table.observed[i]!.toPrecision(7).padStart(11),
          scan.background[i]!.toPrecision(7).padStart(11),
          scan.zCounting[i]!.toFixed(2).padStart(6),
          ...scan.zByWidth.map((z) => z[i]!.toFixed(2).padStart(7)),
          scan.zMixed[i]!.toFixed(2).padStart(7),
        ].join(' '),
      );
    }
    lines.push(
      `max z_mw = ${max.z_mw.toFixed(2)} at [${max.lo}, ${max.hi}] GeV (width ${max.width} bins); ` +
        `model ${scan.model}${info.function ? ` (${info.function})` : ''}`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

const WIDTH_COLOURS = ['#9ecae1', '#a1d99b', '#fdae6b', '#bcbddc'];

async function plotCommand(args: ParsedArgs): Promise<number> {
  const set = flag(args, 'set');
  const out = flag(args, 'out');
  if (!set || !out) throw new SidebandError('options --set FILE.parquet and --out FILE.png|FILE.svg are required');
  const index = integerFlag(args, 'index', 0);
  const f = await readDdpTrainingSet(set);
  const b = f.batch;
  const r = Array.from(b.index).indexOf(index);
  if (r < 0) {
    throw new InputError(
      `ddp plot: histogram index ${index} is not in the file`,
      { file: set, field: 'index' },
      { reason: 'bad_value' },
    );
  }
  const o = b.offsets[r]!,
    e = b.offsets[r + 1]!;
  const nb = e - o;
  // Bin numbers 1 … N at the bin centres.
  const lo = Float64Array.from({ length: nb }, (_, i) => i + 0.5);
  const hi = Float64Array.from({ length: nb }, (_, i) => i + 1.5);
  await writePlot(
    out,
    scanFigure({
      title: `DDP training histogram ${index} (seed ${f.metadata.seed})`,
      subtitle: [
        `${b.family[r]} (${b.variant[r]}), ${nb} bins, ` +
          `background ${b.backgroundMin[r]!.toFixed(0)}–${b.backgroundMax[r]!.toFixed(0)} per bin`,
        `signal at bin ${b.signalBin[r]! + 1}, σ = ${b.signalWidth[r]} bins, injected ${b.signalZ[r]!.toFixed(2)}σ ` +
          `(${b.signalEvents[r]!.toFixed(0)} events); max z_mw = ${b.zMax[r]!.toFixed(2)}`,
      ],
      lo,
      hi,
      observed: b.counts.subarray(o, e),
      background: { label: 'Background', values: b.background.subarray(o, e) },
      signal: { label: 'Background + signal', values: b.signal.subarray(o, e) },
      series: [
        ...b.widths.map((w, k) => ({
          label: `z_PL, width ${w}`,
          z: b.zByWidth[k]!.subarray(o, e),
          colour: WIDTH_COLOURS[k % WIDTH_COLOURS.length],
        })),
        // Drawn last, on top: the mixed-width target the network learns.
        { label: 'z_PL, max over widths (target)', z: b.zMixed.subarray(o, e), colour: '#1f4e9c' },
      ],
      xTitle: 'bin',
    }),
  );
  process.stdout.write(`ddp plot: histogram ${index} -> ${out}\n`);
  return 0;
}
