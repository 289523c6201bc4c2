/**
 * Fuzz suite, JSON rows: seeded mutants of a real JSON rows message (fifty events of the LHCO columns) through the
 * row decoder of the Kafka source. Per mutant: it decodes to exactly the rows it holds (every row valid) or it is one
 * dead letter (MessageError), appending nothing; nothing else escapes, nothing takes long.
 */
import { describe, expect, it } from '@jest/globals';
import { encodeJsonMessages, JsonRowDecoder } from '../../src/formats/json.js';
import { ColumnAccumulator, MessageError } from '../../src/formats/columns.js';
import { mutants, rng } from './mutate.js';

const COLUMNS = ['mjj', 'mj_min', 'delta_mj', 'tau21_lighter', 'tau21_heavier', 'label'];

describe('fuzz: JSON row messages', () => {
  it('200 seeded mutants: no crash, no hang, each decoded whole or one dead letter', () => {
    const r = rng(3);
    const n = 50;
    const columns = Object.fromEntries(
      COLUMNS.map((c) => [c, Float64Array.from({ length: n }, () => (c === 'label' ? Math.round(r()) : r() * 4))]),
    );
    const [message] = encodeJsonMessages({ length: n, columns, positions: [] }, n);
    const decoder = new JsonRowDecoder(COLUMNS);
    const tally = { mutants: 0, decoded: 0, deadLetters: 0, crashes: 0, hangs: 0, maxMs: 0, rows: 0 };
    for (const m of mutants(message!, 200, 41)) {
      tally.mutants++;
      const acc = new ColumnAccumulator();
      const t0 = performance.now();
      try {
        const rows = decoder.decode(Buffer.from(m.bytes), acc, { topic: 'rows', partition: 0, offset: String(m.seed) });
        // Exactly the rows the message holds, all appended.
        const parsed = JSON.parse(Buffer.from(m.bytes).toString('utf8'));
        expect(rows).toBe(Array.isArray(parsed) ? parsed.length : 1);
        expect(acc.length).toBe(rows);
        tally.decoded++;
        tally.rows += rows;
      } catch (e) {
        if (e instanceof MessageError) {
          tally.deadLetters++;
          expect(acc.length).toBe(0);
        } else {
          tally.crashes++;
          process.stderr.write(`json fuzz: mutant ${m.kind} ${m.seed} escaped: ${String(e)}\n`);
        }
      }
      const ms = performance.now() - t0;
      tally.maxMs = Math.max(tally.maxMs, ms);
      if (ms > 1000) tally.hangs++;
    }
    process.stdout.write(`fuzz json: ${JSON.stringify(tally)}\n`);
    expect(tally.mutants).toBe(200);
    expect(tally.crashes).toBe(0);
    expect(tally.hangs).toBe(0);
    expect(tally.decoded + tally.deadLetters).toBe(200);
    expect(tally.deadLetters).toBeGreaterThan(50);
  });

  it('refuses a message over the size limit before parsing it, and one with too many rows', () => {
    const decoder = new JsonRowDecoder(['x'], { maxMessageBytes: 64, maxRows: 2 });
    const acc = new ColumnAccumulator();
    const where = { topic: 'rows', partition: 1, offset: '9' };
    expect(() => decoder.decode(Buffer.from(`[${'{"x":1},'.repeat(20)}{"x":1}]`), acc, where)).toThrow(
      /rows\[1\]@9: JSON message of 169 bytes exceeds the 64-byte limit/,
    );
    expect(() => decoder.decode(Buffer.from('[{"x":1},{"x":2},{"x":3}]'), acc, where)).toThrow(
      /JSON message of 3 rows \(at most 2\)/,
    );
    expect(acc.length).toBe(0);
  });
});
