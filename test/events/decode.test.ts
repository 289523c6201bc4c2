import { describe, expect, it } from '@jest/globals';
import { decodeBatch } from '../../src/events/decode.js';
import type { EventBatch } from '../../src/events/batch.js';

const raw = (cols: Record<string, number[]>, f64 = true): EventBatch => ({
  length: Object.values(cols)[0]!.length,
  columns: Object.fromEntries(
    Object.entries(cols).map(([k, v]) => [k, f64 ? Float64Array.from(v) : Float32Array.from(v)]),
  ),
  positions: [{ kind: 'file', file: 'events.parquet', rowGroup: 2, rowStart: 100, rowEnd: 104 }],
  rowOffset: 100,
});

describe('decodeBatch', () => {
  it('converts TeV to GeV into float32 and maps names', () => {
    const { batch, deadLetters } = decodeBatch(raw({ MJJ: [3.5, 3.3], lab: [1, 0] }), {
      columns: { mjj: { from: 'MJJ', unit: 'TeV' } },
      label: 'lab',
    });
    expect(batch.columns.mjj).toBeInstanceOf(Float32Array);
    expect(Array.from(batch.columns.mjj!)).toEqual([3500, 3300]);
    expect(Array.from(batch.label!)).toEqual([1, 0]);
    expect(deadLetters).toEqual([]);
  });

  it('passes float32 GeV columns through without copying', () => {
    const b = raw({ mjj: [1000, 2000] }, false);
    const { batch } = decodeBatch(b, { columns: { mjj: { unit: 'GeV' } } });
    expect(batch.columns.mjj).toBe(b.columns.mjj);
  });

  it('rejects NaN and infinite values naming file, field and row; counts add up', () => {
    const { batch, deadLetters, rejected } = decodeBatch(
      raw({ mjj: [3.5, NaN, 3.4, 3.6], tau: [0.5, 0.4, Infinity, 0.3], label: [1, 0, 0, 1] }),
      { columns: { mjj: { unit: 'TeV' }, tau: {} }, label: 'label' },
    );
    expect(batch.length).toBe(2);
    expect(Array.from(batch.columns.mjj!)).toEqual([3500, 3600]);
    expect(Array.from(batch.label!)).toEqual([1, 1]);
    expect(Object.fromEntries(rejected)).toEqual({ nan: 1, infinite: 1 });
    expect(deadLetters.map((d) => [d.reason, d.field, d.row, d.file])).toEqual([
      ['nan', 'mjj', 101, 'events.parquet'],
      ['infinite', 'tau', 102, 'events.parquet'],
    ]);
  });

  it('rejects a whole batch with a missing column, as one dead letter standing for every event', () => {
    const { batch, deadLetters, rejected } = decodeBatch(raw({ mjj: [1, 2, 3, 4] }), {
      columns: { mjj: {}, mj_min: {} },
    });
    expect(batch.length).toBe(0);
    expect(rejected.get('missing_column')).toBe(4);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({
      reason: 'missing_column',
      field: 'mj_min',
      events: 4,
      file: 'events.parquet',
      row: 100,
    });
  });

  it('rejects an unknown unit with a clear error', () => {
    expect(() => decodeBatch(raw({ mjj: [1] }), { columns: { mjj: { unit: 'furlong' } } })).toThrow(
      "unknown energy unit 'furlong'",
    );
  });
});
