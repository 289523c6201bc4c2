/**
 * The footer of a Parquet file, read and then checked against the file itself before any of its counts is used:
 * a footer's row counts decide how many events a run says it read (and lost), so a corrupt or edited footer must
 * not be believed. A footer is trusted when the file's row count is a whole number equal to the sum over its row
 * groups, every row group's column chunks hold exactly its row count of values (flat columns), and every column
 * chunk lies inside the file's data region, after the header, before the footer, overlapping no other chunk.
 * (Probes of issue 19: a footer without a row count gave `read NaN`; an edited one turned a 20,000-row file into
 * 1,048,575 events read.)
 */
import type { FileHandle } from 'node:fs/promises';
import { parquetMetadata } from 'hyparquet';
import type { FileMetaData } from 'hyparquet/src/types.js';
import { InputError } from '../events/errors.js';

/** A footer that parsed, with the verdict on its row counts. */
export interface CheckedFooter {
  meta: FileMetaData;
  /** Rows of the file and of each row group; meaningful only when `trusted`. */
  rows: number;
  rowGroupRows: number[];
  /** Why the counts cannot be trusted (absent when they can). */
  untrusted?: string;
}

/** Read and parse the footer; throws InputError (the file is then "rows unknown") when there is none to read. */
export async function readFooter(fh: FileHandle, file: string): Promise<{ meta: FileMetaData; footerStart: number }> {
  const { size } = await fh.stat();
  if (size < 12)
    throw new InputError(`not a Parquet file: ${size} bytes is shorter than a header and footer`, { file });
  const head = Buffer.alloc(4);
  await fh.read(head, 0, 4, 0);
  const tail = Buffer.allocUnsafe(8);
  await fh.read(tail, 0, 8, size - 8);
  if (tail.toString('latin1', 4, 8) !== 'PAR1') {
    throw new InputError('not a Parquet file or truncated: no PAR1 magic at the end', { file });
  }
  if (head.toString('latin1') !== 'PAR1')
    throw new InputError('not a Parquet file: no PAR1 magic at the start', { file });
  const metaLength = tail.readUInt32LE(0);
  if (metaLength + 12 > size) {
    throw new InputError(`truncated Parquet file: footer says ${metaLength} metadata bytes, file has ${size}`, {
      file,
    });
  }
  const footer = new Uint8Array(metaLength + 8);
  await fh.read(footer, 0, metaLength + 8, size - 8 - metaLength);
  try {
    return { meta: parquetMetadata(footer.buffer), footerStart: size - 8 - metaLength };
  } catch (cause) {
    throw new InputError(`corrupt Parquet footer: ${(cause as Error).message}`, { file }, { cause });
  }
}

/** Check the footer's counts against the file (see the header); `leafCount` is the schema's number of leaves. */
export function checkFooter(meta: FileMetaData, footerStart: number, leafCount: number): CheckedFooter {
  const rowGroupRows: number[] = [];
  const untrusted = (why: string): CheckedFooter => ({ meta, rows: 0, rowGroupRows, untrusted: why });
  const rows = wholeNumber(meta.num_rows);
  if (rows === undefined) return untrusted(`the file's row count (${String(meta.num_rows)}) is not a whole number`);
  if (!Array.isArray(meta.row_groups)) return untrusted('the footer lists no row groups');
  const chunks: Array<[number, number]> = [];
  let sum = 0;
  for (let g = 0; g < meta.row_groups.length; g++) {
    const rg = meta.row_groups[g]!;
    const n = wholeNumber(rg.num_rows);
    if (n === undefined) return untrusted(`row group ${g}'s row count (${String(rg.num_rows)}) is not a whole number`);
    rowGroupRows.push(n);
    sum += n;
    if (!Array.isArray(rg.columns) || rg.columns.length !== leafCount)
      return untrusted(`row group ${g} has ${rg.columns?.length ?? 0} column chunks for ${leafCount} columns`);
    for (let c = 0; c < rg.columns.length; c++) {
      const md = rg.columns[c]!.meta_data;
      if (!md) return untrusted(`row group ${g}, column ${c} has no metadata`);
      const values = wholeNumber(md.num_values);
      // Flat columns (the only ones read) hold one value or null per row.
      if (values !== n && (md.path_in_schema?.length ?? 1) === 1)
        return untrusted(`row group ${g} says ${n} rows, its column ${md.path_in_schema?.join('.')} ${values} values`);
      const start = wholeNumber(md.dictionary_page_offset ?? md.data_page_offset);
      const length = wholeNumber(md.total_compressed_size);
      if (start === undefined || length === undefined || start < 4 || start + length > footerStart)
        return untrusted(`row group ${g}, column ${c}: its chunk [${start}, +${length}) is outside the data region`);
      if (n > 0 && length === 0) return untrusted(`row group ${g}, column ${c}: an empty chunk for ${n} rows`);
      chunks.push([start, start + length]);
    }
  }
  if (sum !== rows) return untrusted(`the file says ${rows} rows, its row groups ${sum}`);
  chunks.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < chunks.length; i++)
    if (chunks[i]![0] < chunks[i - 1]![1]) return untrusted('two column chunks overlap');
  return { meta, rows, rowGroupRows };
}

function wholeNumber(x: unknown): number | undefined {
  const n = typeof x === 'bigint' ? Number(x) : x;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
