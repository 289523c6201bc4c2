/**
 * Binned mass spectrum from a CSV table, the layout of the ATLAS HEPData tables in ../shared/data:
 *
 *   required  mjj_low_GeV, mjj_high_GeV   bin edges, GeV (bins in ascending order, not overlapping)
 *             observed                    observed events in the bin (≥ 0; may be non-integer)
 *   optional  fit                         a published background prediction per bin (e.g. ATLAS's own fit)
 *             fit_err                     its uncertainty
 * Columns may come in any order, other columns are ignored, lines starting with # are comments, cells are
 * separated by commas. Errors are InputErrors naming the file, the column and the row (the 1-based line number
 * in the file).
 */
import { InputError } from '../events/errors.js';

export interface SpectrumTable {
  lo: Float64Array;
  hi: Float64Array;
  observed: Float64Array;
  /** Present when the table has a `fit` column. */
  fit?: Float64Array;
  fitErr?: Float64Array;
}

export const SPECTRUM_REQUIRED_COLUMNS = ['mjj_low_GeV', 'mjj_high_GeV', 'observed'] as const;
export const SPECTRUM_OPTIONAL_COLUMNS = ['fit', 'fit_err'] as const;

/** Parse the CSV text of a spectrum; `file` names it in errors. */
export function parseSpectrumTable(text: string, file: string): SpectrumTable {
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  const names = [...SPECTRUM_REQUIRED_COLUMNS, ...SPECTRUM_OPTIONAL_COLUMNS];
  let cols: number[] = [];
  const values: number[][] = names.map(() => []);
  const lineOf: number[] = [];
  for (let row = 0; row < lines.length; row++) {
    const line = lines[row]!.trim();
    if (!line || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (!header) {
      header = cells;
      cols = names.map((n) => cells.indexOf(n));
      const missing = SPECTRUM_REQUIRED_COLUMNS.filter((_, k) => cols[k]! < 0);
      if (missing.length) {
        throw new InputError(
          `spectrum csv: missing column(s) ${missing.join(', ')} in the header`,
          { file, line: row + 1, field: missing[0] },
          { reason: 'missing_column' },
        );
      }
      continue;
    }
    for (let k = 0; k < names.length; k++) {
      const c = cols[k]!;
      if (c < 0) continue;
      const cell = cells[c];
      const v = Number(cell);
      if (cell === undefined || cell === '' || !Number.isFinite(v)) {
        throw new InputError(
          `spectrum csv: '${cell ?? ''}' is not a number`,
          { file, line: row + 1, field: names[k] },
          { reason: 'bad_type' },
        );
      }
      values[k]!.push(v);
    }
    lineOf.push(row + 1);
  }
  if (!header) throw new InputError('spectrum csv: no header line', { file }, { reason: 'unreadable' });
  const nb = values[0]!.length;
  if (nb === 0) throw new InputError('spectrum csv: no data rows', { file }, { reason: 'unreadable' });
  const lo = Float64Array.from(values[0]!),
    hi = Float64Array.from(values[1]!);
  const observed = Float64Array.from(values[2]!);
  for (let i = 0; i < nb; i++) {
    if (!(hi[i]! > lo[i]!)) {
      throw new InputError(
        `spectrum csv: bin ${i}: mjj_high_GeV ${hi[i]} must exceed mjj_low_GeV ${lo[i]}`,
        { file, field: 'mjj_high_GeV', line: lineOf[i] },
        { reason: 'bad_value' },
      );
    }
    if (i > 0 && lo[i]! < hi[i - 1]! - 1e-9) {
      throw new InputError(
        `spectrum csv: bin ${i}: starts at ${lo[i]} GeV, below the end of bin ${i - 1} ` +
          `(${hi[i - 1]} GeV); bins must ascend without overlap`,
        { file, field: 'mjj_low_GeV', line: lineOf[i] },
        { reason: 'bad_value' },
      );
    }
    if (!(observed[i]! >= 0)) {
      throw new InputError(
        `spectrum csv: bin ${i}: observed ${observed[i]} is negative`,
        { file, field: 'observed', line: lineOf[i] },
        { reason: 'bad_value' },
      );
    }
  }
  const table: SpectrumTable = { lo, hi, observed };
  if (cols[3]! >= 0) table.fit = Float64Array.from(values[3]!);
  if (cols[4]! >= 0) table.fitErr = Float64Array.from(values[4]!);
  return table;
}
