/**
 * Parquet file of a DDP training set: one row per histogram, per-bin quantities as list columns, written with
 * the list-column writer (parquet-table.ts). Schema (all columns REQUIRED):
 *
 *   index           INT32         histogram number in the set (histogram k of seed S is the same in every file)
 *   seed            DOUBLE        the set's seed (an integer)
 *   bins            INT32         number of bins N
 *   family          STRING        function family (ddp-families.ts) or 'fit:<shape id>' (ddp-shapes.ts)
 *   variant         STRING        'plain' | 'cut-keep-low' | 'cut-keep-high' | 'window'
 *   cut_at          DOUBLE        cut position as a fraction of the x range (NaN when not cut)
 *   power           DOUBLE        exponent n of the inverse-power family (NaN otherwise)
 *   mass_lo/hi      DOUBLE        mass window of a fitted shape, GeV (NaN for the families)
 *   y_high, y_low   DOUBLE        requested entries of the first and last bin (the drawn dynamic range)
 *   background_max/min DOUBLE     largest / smallest background bin
 *   signal_bin      INT32         bin of the injected signal's centre (0-based)
 *   signal_width    DOUBLE        its Gaussian σ, bins
 *   signal_z        DOUBLE        its injected (Asimov) significance, σ
 *   signal_events   DOUBLE        its expected events A
 *   z_max           DOUBLE        max over bins of z_mw
 *   counts          LIST<INT32>   observed counts n_j
 *   background      LIST<FLOAT>   smooth background b_j (the target's known background)
 *   signal          LIST<FLOAT>   expected signal A·s_j
 *   z_w<w>          LIST<FLOAT>   z_PL per bin for signal width w (one column per width, e.g. z_w1 … z_w4)
 *   z_mw            LIST<FLOAT>   max over widths (DMFmw target)
 * Footer key `sideband.ddp`: JSON of the generator's options, target definition and the set's extent.
 */
import type { DdpBatch } from '../analysis/ddp-training-set.js';
import { ParquetTableWriter, type TableColumn } from './parquet-table.js';

export const DDP_METADATA_KEY = 'sideband.ddp';

/** Column name of the z_PL target for width w. */
export function zColumnName(w: number): string {
  return `z_w${w}`;
}

/** The table columns of one batch (one row group). */
export function ddpColumns(b: DdpBatch, seed: number): TableColumn[] {
  const list = (name: string, values: Int32Array | Float32Array, element: 'int32' | 'float'): TableColumn => ({
    name,
    kind: 'list',
    element,
    values,
    offsets: b.offsets,
  });
  const dbl = (name: string, values: Float64Array): TableColumn => ({ name, kind: 'double', values });
  return [
    { name: 'index', kind: 'int32', values: b.index },
    dbl('seed', new Float64Array(b.rows).fill(seed)),
    { name: 'bins', kind: 'int32', values: b.bins },
    { name: 'family', kind: 'string', values: b.family },
    { name: 'variant', kind: 'string', values: b.variant },
    dbl('cut_at', b.cutAt),
    dbl('power', b.power),
    dbl('mass_lo', b.massLo),
    dbl('mass_hi', b.massHi),
    dbl('y_high', b.yHigh),
    dbl('y_low', b.yLow),
    dbl('background_max', b.backgroundMax),
    dbl('background_min', b.backgroundMin),
    { name: 'signal_bin', kind: 'int32', values: b.signalBin },
    dbl('signal_width', b.signalWidth),
    dbl('signal_z', b.signalZ),
    dbl('signal_events', b.signalEvents),
    dbl('z_max', b.zMax),
    list('counts', b.counts, 'int32'),
    list('background', b.background, 'float'),
    list('signal', b.signal, 'float'),
    ...b.widths.map((w, k) => list(zColumnName(w), b.zByWidth[k]!, 'float')),
    list('z_mw', b.zMixed, 'float'),
  ];
}

/** Writer of a training-set file: append batches (one row group each), then close. */
export class DdpTrainingSetWriter {
  private rows = 0;
  private first = -1;
  private constructor(
    private readonly writer: ParquetTableWriter,
    private readonly seed: number,
    private readonly metadata: Record<string, unknown>,
  ) {}

  /** `metadata`: what the set is (the generator's describe()); the footer adds the rows and first index. */
  static async create(file: string, seed: number, metadata: Record<string, unknown>): Promise<DdpTrainingSetWriter> {
    return new DdpTrainingSetWriter(await ParquetTableWriter.create(file), seed, metadata);
  }

  async append(b: DdpBatch): Promise<void> {
    if (b.rows === 0) return;
    if (this.first < 0) this.first = b.index[0]!;
    await this.writer.appendRowGroup(ddpColumns(b, this.seed));
    this.rows += b.rows;
  }

  async close(): Promise<number> {
    const meta = { ...this.metadata, histograms: this.rows, firstIndex: Math.max(0, this.first) };
    await this.writer.close({ [DDP_METADATA_KEY]: JSON.stringify(meta) });
    return this.rows;
  }
}
