import { describe, expect, it } from '@jest/globals';
import { tableFromIPC } from 'apache-arrow';
import type { EventBatch } from '../../src/events/batch.js';
import { encodeArrowMessages, decodeArrowMessage } from '../../src/formats/arrow.js';
import { JsonRowDecoder, encodeJsonMessages } from '../../src/formats/json.js';
import { ColumnAccumulator, MessageError } from '../../src/formats/columns.js';

const where = { topic: 'events', partition: 2, offset: '17' };

function batch(n: number): EventBatch {
  const mjj = new Float32Array(n);
  const tau = new Float64Array(n);
  const label = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    mjj[i] = 1000 + i * 0.5;
    tau[i] = i / (n + 1);
    label[i] = i % 7 === 0 ? 1 : 0;
  }
  return { length: n, columns: { mjj, tau21: tau }, label, positions: [] };
}

describe('Arrow IPC batch messages', () => {
  it('round-trips float32/float64 columns and the label, split into messages of at most N events', () => {
    const b = batch(20000);
    const msgs = encodeArrowMessages(b, 8192);
    expect(msgs).toHaveLength(3);
    const acc = new ColumnAccumulator();
    for (const m of msgs) acc.appendChunk(decodeArrowMessage(m, where, ['mjj', 'tau21', 'label']));
    const d = acc.finish();
    expect(d.length).toBe(20000);
    expect(d.columns.mjj).toBeInstanceOf(Float32Array);
    expect(d.columns.tau21).toBeInstanceOf(Float64Array);
    expect(Array.from(d.columns.mjj!)).toEqual(Array.from(b.columns.mjj!));
    expect(Array.from(d.columns.tau21!)).toEqual(Array.from(b.columns.tau21!));
    expect(Array.from(d.columns.label!)).toEqual(Array.from(b.label!));
  });

  it('is standard Arrow: apache-arrow reads a message as a table with the same schema', () => {
    const [m] = encodeArrowMessages(batch(10), 8192);
    const t = tableFromIPC(m!);
    expect(t.numRows).toBe(10);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['mjj', 'tau21', 'label']);
  });

  it('decodes a message that sits at an unaligned offset of a larger buffer (as in a fetch response)', () => {
    const [m] = encodeArrowMessages(batch(100), 8192);
    const big = Buffer.alloc(m!.length + 3);
    m!.copy(big, 3);
    const d = decodeArrowMessage(big.subarray(3), where);
    expect(d.columns.mjj![99]).toBe(1049.5);
  });

  it('rejects garbage, truncation and missing columns with the message location', () => {
    const [m] = encodeArrowMessages(batch(100), 8192);
    expect(() => decodeArrowMessage(Buffer.from('{"mjj": 1}'), where)).toThrow(
      /events\[2\]@17: not an Arrow IPC stream/,
    );
    const e = (() => {
      try {
        decodeArrowMessage(m!, where, ['mjj', 'jet1_pt']);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(MessageError);
    expect((e as MessageError).reason).toBe('missing_column');
    expect((e as Error).message).toContain('field jet1_pt');
    let truncated: unknown;
    try {
      decodeArrowMessage(m!.subarray(0, 200), where);
    } catch (x) {
      truncated = x;
    }
    expect(truncated).toBeInstanceOf(MessageError);
    expect((truncated as MessageError).reason).toBe('malformed');
  });
});

describe('JSON row messages', () => {
  const decoder = new JsonRowDecoder(['mjj', 'tau21', 'label']);

  it('round-trips single-row and multi-row messages', () => {
    const b = batch(50);
    const acc = new ColumnAccumulator();
    let n = 0;
    for (const m of [...encodeJsonMessages(b, 1, 0, 20), ...encodeJsonMessages(b, 16, 20, 50)])
      n += decoder.decode(m, acc, where);
    expect(n).toBe(50);
    const d = acc.finish();
    expect(Array.from(d.columns.mjj!)).toEqual(Array.from(b.columns.mjj!));
    expect(Array.from(d.columns.tau21!)).toEqual(Array.from(b.columns.tau21!));
    expect(Array.from(d.columns.label!)).toEqual(Array.from(b.label!));
  });

  it('names topic, partition, offset, field (and row of an array) of a bad value; appends nothing', () => {
    const acc = new ColumnAccumulator();
    const fail = (text: string) => {
      try {
        decoder.decode(Buffer.from(text), acc, where);
      } catch (e) {
        return e as MessageError;
      }
      throw new Error('accepted');
    };
    const missing = fail('{"mjj": 1, "label": 0}');
    expect(missing.reason).toBe('missing_column');
    expect(missing.message).toMatch(/^events\[2\]@17, field tau21: /);
    const str = fail('[{"mjj": 1, "tau21": 0.1, "label": 0}, {"mjj": "big", "tau21": 0.1, "label": 0}]');
    expect(str.reason).toBe('invalid_value');
    expect(str.message).toMatch(/^events\[2\]@17, field mjj, row 1: /);
    expect(fail('{"mjj": 1e999, "tau21": 0.1, "label": 0}').reason).toBe('invalid_value');
    expect(fail('{"mjj": 1,').reason).toBe('malformed');
    expect(fail('[1, 2]').reason).toBe('malformed');
    expect(acc.length).toBe(0);
  });
});
