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
 *   ddp train (--set FILE.parquet | --histograms N) --out MODEL.json [--seed S] [--epochs E] [--batch N] [--lr X]
 *             [--gamma X] [--validation F] [--kernels 3,9,17,33] [--branch-channels N] [--head 48,24] [--resume]
 *       trains Znet3 (analysis/ddp-znet3.ts); the model file is rewritten after every epoch (the checkpoint),
 *       --resume continues from it. A progress bar on a terminal, one line per epoch otherwise.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { DdpTrainingSetGenerator, type DdpSetOptions } from '../analysis/ddp-training-set.js';
import {
  fitScanner,
  knownBackgroundScanner,
  znet3Scanner,
  type PerBinScan,
  type PerBinScanner,
} from '../analysis/ddp-scan.js';
import { DEFAULT_WIDTHS } from '../analysis/ddp-targets.js';
import { DEFAULT_ZNET3, Znet3, trainZnet3, znet3Data, type Znet3Config } from '../analysis/ddp-znet3.js';
import { fromBytes, saveNetwork, toBytes, type SavedModel } from '../nn/serialize.js';
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
  train: trainCommand,
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

/** Read a trained Znet3 model file (ddp train). */
export async function readZnet3(file: string): Promise<Znet3> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new InputError(`ddp model: cannot read: ${(e as Error).message}`, { file }, { cause: e });
  }
  const saved = fromBytes(bytes);
  if ((saved.extra as { model?: string } | undefined)?.model !== 'znet3')
    throw new InputError('ddp model: not a Znet3 model from ddp train', { file, field: 'extra.model' });
  return new Znet3(saved);
}

/** The fit-based scanner (--background, --function), the reference every network scan is shown beside. */
function scannerFor(args: ParsedArgs, table: SpectrumTable, file: string, widths: number[]): PerBinScanner {
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
  reference?: PerBinScan,
): Record<string, unknown> {
  let best = 0;
  for (let i = 1; i < scan.zMixed.length; i++) if (scan.zMixed[i]! > scan.zMixed[best]!) best = i;
  const bestWidth = scan.widths[scan.zByWidth.findIndex((z) => z[best] === scan.zMixed[best])] ?? null;
  const ref = reference ? { model: reference.model, info: reference.info } : undefined;
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
    ...(ref ? { reference: ref } : {}),
    bins: Array.from(table.observed, (n, i) => ({
      lo: table.lo[i],
      hi: table.hi[i],
      observed: n,
      background: scan.background[i],
      z_counting: scan.zCounting[i],
      z:
        scan.zByWidth.length > 0
          ? Object.fromEntries(scan.widths.map((w, k) => [zColumnName(w), scan.zByWidth[k]![i]]))
          : null,
      z_mw: scan.zMixed[i],
      ...(reference ? { z_mw_reference: reference.zMixed[i], background_reference: reference.background[i] } : {}),
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
  const model = flag(args, 'model') ?? 'fit';
  const reference = scannerFor(args, table, file, widths);
  const scanner = model === 'fit' ? reference : znet3Scanner(await readZnet3(model), { label: model });
  const h = { lo: table.lo, hi: table.hi, counts: table.observed };
  const t0 = performance.now();
  const scan = scanner.scan(h);
  const seconds = (performance.now() - t0) / 1000;
  // a network's scan is shown beside the fit-based one
  const refScan = scanner === reference ? undefined : reference.scan(h);
  const json = scanToJson(file, table, scan, seconds, refScan);
  const out = flag(args, 'out');
  if (out) await writeFile(out, `${JSON.stringify(json, null, 1)}\n`);
  const plot = flag(args, 'plot');
  // the fit line comes from the fit-based scan (the reference, when a network scans)
  const info = (refScan ?? scan).info as {
    function?: string;
    chi2?: number;
    ndf?: number;
    pvalue?: number;
    background?: string;
  };
  const max = json.max as { z_mw: number; lo: number; hi: number; width: number };
  if (plot) {
    const bgLabel = refScan
      ? 'Background: Znet3 prediction'
      : info.function
        ? `Background: ${info.function} fit`
        : `Background: ${info.background ?? 'given'}`;
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
          `largest ${refScan ? `Znet3 z (${scan.model})` : 'z_PL'} (max over widths ${scan.widths.join(', ')} bins) = ` +
            `${max.z_mw.toFixed(2)} at [${max.lo}, ${max.hi}] GeV${max.width ? ` (width ${max.width})` : ''}`,
          ...(scan.info.invalid ? [`network scan not valid: ${String(scan.info.invalid)}`] : []),
        ],
        lo: table.lo,
        hi: table.hi,
        observed: table.observed,
        background: { label: bgLabel, values: scan.background },
        series: [
          ...(refScan
            ? [{ label: `z_PL, max over widths (${refScan.model})`, z: refScan.zMixed, colour: '#9ecae1' }]
            : []),
          { label: `z, max over widths (${scan.model})`, z: scan.zMixed },
        ],
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
      ...scan.zByWidth.map((_, k) => `z_w${scan.widths[k]}`.padStart(7)),
      '   z_mw',
      ...(refScan ? ['  z_fit'] : []),
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
          ...(refScan ? [refScan.zMixed[i]!.toFixed(2).padStart(7)] : []),
        ].join(' '),
      );
    }
    lines.push(
      `max z_mw = ${max.z_mw.toFixed(2)} at [${max.lo}, ${max.hi}] GeV` +
        `${max.width ? ` (width ${max.width} bins)` : ''}; model ${scan.model}` +
        `${refScan ? `, z_fit over the ${info.function} fit` : info.function ? ` (${info.function})` : ''}`,
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

/** Bar of a fraction, for the terminal. */
function bar(frac: number, width = 24): string {
  const k = Math.round(Math.max(0, Math.min(1, frac)) * width);
  return `[${'#'.repeat(k)}${'.'.repeat(width - k)}]`;
}

/** The training histograms: a Parquet set, or N generated in memory with the training seed. */
async function trainingHistograms(args: ParsedArgs, seed: number, log: (line: string) => void) {
  const set = flag(args, 'set');
  const n = flag(args, 'histograms');
  if ((set === undefined) === (n === undefined))
    throw new SidebandError('ddp train: give exactly one of --set FILE.parquet and --histograms N');
  if (set) {
    const f = await readDdpTrainingSet(set);
    return { batch: f.batch, source: { set, seed: f.metadata.seed, rows: f.rows } };
  }
  const count = integerFlag(args, 'histograms');
  if (count <= 0) throw new SidebandError('option --histograms must be > 0');
  const gen = new DdpTrainingSetGenerator({ seed });
  const parts = [];
  const chunk = 4096;
  const t0 = performance.now();
  for (let s = 0; s < count; s += chunk) {
    parts.push(gen.batch(s, Math.min(chunk, count - s)));
    const done = Math.min(count, s + chunk);
    const rate = done / ((performance.now() - t0) / 1000);
    log(`ddp train: generating ${bar(done / count)} ${done}/${count} histograms, ${rate.toFixed(0)}/s`);
  }
  // concatenate the per-bin columns the network needs
  const total = parts.reduce((a, p) => a + p.counts.length, 0);
  const counts = new Int32Array(total),
    background = new Float32Array(total),
    zMixed = new Float32Array(total),
    offsets = new Int32Array(count + 1);
  let at = 0,
    r = 0;
  for (const p of parts) {
    counts.set(p.counts, at);
    background.set(p.background, at);
    zMixed.set(p.zMixed, at);
    for (let i = 0; i < p.rows; i++) offsets[++r] = at + p.offsets[i + 1]!;
    at += p.counts.length;
  }
  return {
    batch: { counts, background, zMixed, offsets },
    source: { generator: gen.describe(), histograms: count },
  };
}

function intList(args: ParsedArgs, name: string, fallback: number[]): number[] {
  const v = flag(args, name);
  if (v === undefined) return fallback;
  const out = v.split(',').map((x) => Number(x.trim()));
  if (!out.every((x) => Number.isInteger(x) && x > 0))
    throw new SidebandError(`option --${name}: expected positive integers separated by commas, got '${v}'`);
  return out;
}

/** Write then rename: a checkpoint is never half written. Synchronous: fit() holds the thread between epochs. */
function writeModel(file: string, saved: SavedModel): void {
  writeFileSync(`${file}.tmp`, toBytes(saved));
  renameSync(`${file}.tmp`, file);
}

async function trainCommand(args: ParsedArgs): Promise<number> {
  const out = flag(args, 'out');
  if (!out) throw new SidebandError('option --out MODEL.json is required');
  const seed = integerFlag(args, 'seed', 0);
  const epochs = integerFlag(args, 'epochs', 10);
  const quiet = args.flags.has('quiet');
  const tty = Boolean(process.stderr.isTTY);
  let lastDraw = 0;
  const log = (line: string, force = false) => {
    if (quiet) return;
    const now = performance.now();
    if (tty) {
      if (force || now - lastDraw > 250) process.stderr.write(`\r\x1b[2K${line}`);
    } else if (force || now - lastDraw > 10_000) process.stderr.write(`${line}\n`);
    else return;
    lastDraw = now;
  };
  let config: Znet3Config = {
    kernels: intList(args, 'kernels', DEFAULT_ZNET3.kernels),
    branchChannels: integerFlag(args, 'branch-channels', DEFAULT_ZNET3.branchChannels),
    head: intList(args, 'head', DEFAULT_ZNET3.head),
  };
  let resume: SavedModel | undefined;
  let startEpoch = 0;
  let seconds0 = 0;
  if (args.flags.has('resume')) {
    try {
      resume = fromBytes(await readFile(out));
    } catch (e) {
      throw new InputError(`ddp train --resume: cannot read the checkpoint: ${(e as Error).message}`, { file: out });
    }
    const ex = (resume.extra ?? {}) as { epoch?: number; config?: Znet3Config; seed?: number; seconds?: number };
    if (!(Number.isInteger(ex.epoch) && ex.config))
      throw new InputError('ddp train --resume: the file is not a ddp train checkpoint', { file: out, field: 'extra' });
    if (ex.seed !== seed)
      throw new SidebandError(`ddp train --resume: the checkpoint was trained with --seed ${ex.seed}, not ${seed}`);
    startEpoch = ex.epoch!;
    config = ex.config;
    seconds0 = ex.seconds ?? 0;
    if (startEpoch >= epochs) {
      process.stderr.write(`ddp train: ${out} already has ${startEpoch} of ${epochs} epochs\n`);
      return 0;
    }
  }
  const tGen = performance.now();
  const { batch, source } = await trainingHistograms(args, seed, log);
  const data = znet3Data(batch);
  const genSeconds = (performance.now() - tGen) / 1000;
  if (!quiet && tty) process.stderr.write('\n');
  const t0 = performance.now();
  const history: Array<{ epoch: number; trainLoss: number; valLoss?: number; lr: number; seconds: number }> = (
    (resume?.extra as { history?: [] } | undefined)?.history ?? []
  ).slice(0, startEpoch);
  const extra = (epoch: number) => ({
    model: 'znet3',
    target: 'z_mw (max over widths of z_PL), per bin; auxiliary (b - b_ref)/sqrt(b_ref)',
    config,
    seed,
    epoch,
    epochs,
    seconds: seconds0 + (performance.now() - t0) / 1000,
    data_seconds: genSeconds,
    source,
    options: {
      batch: integerFlag(args, 'batch', 128),
      lr: numberFlag(args, 'lr', 1e-3),
      gamma: numberFlag(args, 'gamma', 0.9),
      validation: numberFlag(args, 'validation', 0.05),
    },
    history,
  });
  const tr = trainZnet3(data, {
    config,
    seed,
    epochs,
    batchSize: integerFlag(args, 'batch', 128),
    lr: numberFlag(args, 'lr', 1e-3),
    gamma: numberFlag(args, 'gamma', 0.9),
    validation: numberFlag(args, 'validation', 0.05),
    bins: 100,
    resume,
    startEpoch,
    onEpoch: (r, net) => {
      history.push({ epoch: r.epoch, trainLoss: r.trainLoss, valLoss: r.valLoss, lr: r.lr, seconds: r.seconds });
      writeModel(out, saveNetwork(net, { extra: extra(r.epoch) }));
      const left = ((epochs - r.epoch) * (performance.now() - t0)) / 1000 / (r.epoch - startEpoch);
      log(
        `ddp train: ${bar(r.epoch / epochs)} epoch ${r.epoch}/${epochs}, loss ${r.trainLoss.toFixed(4)}, ` +
          `validation ${r.valLoss?.toFixed(4) ?? '-'}, ${r.seconds.toFixed(0)} s/epoch, ETA ${left.toFixed(0)} s`,
        true,
      );
    },
  });
  writeModel(out, saveNetwork(tr.net, { extra: extra(epochs) }));
  if (!quiet && tty) process.stderr.write('\n');
  const summary = {
    out,
    seed,
    epochs,
    train_histograms: tr.trainRows,
    validation_histograms: tr.validationRows,
    seconds: seconds0 + (performance.now() - t0) / 1000,
    data_seconds: genSeconds,
    final: history[history.length - 1],
  };
  if (args.flags.has('json')) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `ddp train: ${epochs} epochs on ${tr.trainRows} histograms -> ${out} in ${summary.seconds.toFixed(0)} s ` +
        `(validation loss ${summary.final?.valLoss?.toFixed(4) ?? '-'})\n`,
    );
  return 0;
}
