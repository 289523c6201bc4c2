/**
 * Reader of a DDP training-set Parquet file (schema in sinks/ddp-training-set.ts) back into the columnar
 * DdpBatch the generator produces, through hyparquet. Not an event Source: it serves the network's training and
 * evaluation (and the tests and bench that check the files). Errors name the file and the column.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { DdpBatch } from '../analysis/ddp-training-set.js';
import { InputError } from '../events/errors.js';

export const DDP_FILE_METADATA_KEY = 'sideband.ddp';

export interface DdpFile {
  /** The footer's `sideband.ddp` metadata (generator options, target definition, extent). */
  metadata: Record<string, unknown>;
  rows: number;
  batch: DdpBatch;
}

type Row = Record<string, unknown>;

/** Read rows [rowStart, rowEnd) (default: all) of a training-set file. */
export async function readDdpTrainingSet(
  file: string,
  options: { rowStart?: number; rowEnd?: number } = {},
): Promise<DdpFile> {
  let buf: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  try {
    buf = await asyncBufferFromFile(file);
  } catch (e) {
    throw new InputError(`ddp training set: cannot open: ${(e as Error).message}`, { file }, { cause: e });
  }
  const meta = await parquetMetadataAsync(buf);
  const kv = meta.key_value_metadata?.find((k) => k.key === DDP_FILE_METADATA_KEY);
  if (!kv?.value) {
    throw new InputError(
      `ddp training set: no '${DDP_FILE_METADATA_KEY}' footer metadata (not a training-set file)`,
      { file },
      { reason: 'missing_column' },
    );
  }
  const metadata = JSON.parse(kv.value) as Record<string, unknown>;
  const widths = (metadata.widths as number[] | undefined) ?? [];
  const first = options.rowStart ?? 0;
  const rows = (await parquetReadObjects({
    file: buf,
    metadata: meta,
    compressors,
    rowStart: options.rowStart,
    rowEnd: options.rowEnd,
  })) as Row[];
  const n = rows.length;
  const col = (name: string): unknown[] =>
    rows.map((r, i) => {
      if (!(name in r)) {
        throw new InputError(
          'ddp training set: column missing',
          { file, field: name, row: first + i },
          { reason: 'missing_column' },
        );
      }
      return r[name];
    });
  const nums = (name: string) => Float64Array.from(col(name) as number[]);
  const ints = (name: string) => Int32Array.from(col(name) as number[]);
  const lists = col('counts') as number[][];
  const offsets = new Int32Array(n + 1);
  for (let r = 0; r < n; r++) offsets[r + 1] = offsets[r]! + lists[r]!.length;
  const flat = <T extends Int32Array | Float32Array>(name: string, make: new (k: number) => T): T => {
    const out = new make(offsets[n]!);
    (col(name) as number[][]).forEach((l, r) => {
      const want = offsets[r + 1]! - offsets[r]!;
      if (l.length !== want) {
        throw new InputError(
          `ddp training set: list has ${l.length} bins, counts has ${want}`,
          { file, field: name, row: first + r },
          { reason: 'bad_value' },
        );
      }
      out.set(l, offsets[r]!);
    });
    return out;
  };
  const batch: DdpBatch = {
    rows: n,
    widths,
    offsets,
    counts: flat('counts', Int32Array),
    background: flat('background', Float32Array),
    signal: flat('signal', Float32Array),
    // Column names z_w<w> as sinks/ddp-training-set.ts writes them (sources and sinks do not import each other).
    zByWidth: widths.map((w) => flat(`z_w${w}`, Float32Array)),
    zMixed: flat('z_mw', Float32Array),
    index: ints('index'),
    bins: ints('bins'),
    family: col('family') as string[],
    variant: col('variant') as string[],
    cutAt: nums('cut_at'),
    power: nums('power'),
    massLo: nums('mass_lo'),
    massHi: nums('mass_hi'),
    yHigh: nums('y_high'),
    yLow: nums('y_low'),
    backgroundMax: nums('background_max'),
    backgroundMin: nums('background_min'),
    signalBin: ints('signal_bin'),
    signalWidth: nums('signal_width'),
    signalZ: nums('signal_z'),
    signalEvents: nums('signal_events'),
    zMax: nums('z_max'),
  };
  return { metadata, rows: Number(meta.num_rows), batch };
}
