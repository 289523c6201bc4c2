/** Events [lo, hi) of a Parquet file as a Source: to produce an input topic in parts. */
import type { EventBatch } from '../../src/events/batch.js';
import { ParquetSource } from '../../src/sources/parquet.js';
import type { Source } from '../../src/sources/source.js';

export function sliceSource(file: string, lo: number, hi: number): Source {
  return {
    description: `${file}[${lo},${hi})`,
    async *batches() {
      let at = 0;
      for await (const b of new ParquetSource({ path: file }).batches()) {
        const s = Math.max(lo, at) - at;
        const e = Math.min(hi, at + b.length) - at;
        at += b.length;
        if (e <= s) continue;
        const columns: EventBatch['columns'] = {};
        for (const [k, c] of Object.entries(b.columns)) columns[k] = c.subarray(s, e);
        yield { length: e - s, columns, positions: [] };
      }
    },
  };
}
