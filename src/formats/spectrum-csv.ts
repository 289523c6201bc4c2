/**
 * Binned mjj spectra as CSV (the HEPData-style table of ../shared/data/atlas-dijet-139fb): columns mjj_low_GeV,
 * mjj_high_GeV, observed; other columns ignored; lines starting with # are comments.
 */
import { InputError } from '../events/errors.js';

export interface SpectrumCsv {
  lo: Float64Array;
  hi: Float64Array;
  observed: Float64Array;
}

/** Parse a spectrum CSV; errors name the file, the column and the line. */
export function parseSpectrumCsv(text: string, file: string): SpectrumCsv {
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  const lo: number[] = [],
    hi: number[] = [],
    obs: number[] = [];
  let cols = [-1, -1, -1];
  const names = ['mjj_low_GeV', 'mjj_high_GeV', 'observed'];
  for (let row = 0; row < lines.length; row++) {
    const line = lines[row]!.trim();
    if (!line || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (!header) {
      header = cells;
      cols = names.map((n) => cells.indexOf(n));
      const missing = names.filter((_, k) => cols[k]! < 0);
      if (missing.length)
        throw new InputError(
          `missing column(s) ${missing.join(', ')} in header`,
          { file, line: row + 1 },
          { reason: 'missing_column' },
        );
      continue;
    }
    const vals = cols.map((c, k) => {
      const v = Number(cells[c]);
      if (cells[c] === undefined || cells[c] === '' || !Number.isFinite(v)) {
        throw new InputError(
          `'${cells[c] ?? ''}' is not a number`,
          { file, line: row + 1, field: names[k] },
          { reason: 'bad_type' },
        );
      }
      return v;
    });
    lo.push(vals[0]!);
    hi.push(vals[1]!);
    obs.push(vals[2]!);
  }
  if (!header) throw new InputError('no header line', { file });
  if (lo.length === 0) throw new InputError('no data rows', { file });
  return { lo: Float64Array.from(lo), hi: Float64Array.from(hi), observed: Float64Array.from(obs) };
}
