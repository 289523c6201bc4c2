/**
 * Fuzz suite, Arrow IPC (issue 19, probe 1): seeded mutants of real event messages through the decoder every Kafka
 * consumer, the router and the workers use. Per mutant: it decodes (every column as long as the message says, within
 * the limits) or it is refused with a MessageError (a dead letter); nothing else escapes, nothing takes long. The
 * corpus holds the poison message (one flipped bit that makes apache-arrow allocate until Node aborts), and
 * the test shows apache-arrow still dies on it in a child process while this decoder refuses it.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  Bool,
  Int32,
  Int64,
  makeTable,
  RecordBatchStreamWriter,
  Table,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import type { EventBatch } from '../../src/events/batch.js';
import { decodeArrowMessage, encodeArrowMessages } from '../../src/formats/arrow.js';
import { DEFAULT_ARROW_LIMITS } from '../../src/formats/arrow-ipc.js';
import { MessageError } from '../../src/formats/columns.js';
import { GeneratorSource } from '../../src/sources/generator.js';
import { repoRoot } from '../helpers/paths.js';
import { mutants, type Mutant } from './mutate.js';

const where = { topic: 'events', partition: 0, offset: '7' };

async function generated(events: number, seed: number): Promise<EventBatch> {
  const it = new GeneratorSource({ events, seed, batchSize: events }).batches()[Symbol.asyncIterator]();
  return (await it.next()).value as EventBatch;
}

/** A message of every supported column type, with nulls, in three record batches. */
function mixedMessage(): Uint8Array {
  const n = 300;
  const t = makeTable({
    f32: Float32Array.from({ length: n }, (_, i) => i * 0.5),
    f64: Float64Array.from({ length: n }, (_, i) => i / 7),
    u8: Uint8Array.from({ length: n }, (_, i) => i % 2),
    i16: Int16Array.from({ length: n }, (_, i) => i - 150),
  });
  const extra = makeTable({
    f32: Float32Array.from({ length: 3 }, (_, i) => i),
    f64: Float64Array.from([1, 2, 3]),
    u8: Uint8Array.from([1, 0, 1]),
    i16: Int16Array.from([-1, 0, 1]),
  });
  const writer = new RecordBatchStreamWriter();
  for (const b of [...t.batches, ...extra.batches, ...t.batches]) writer.write(b);
  writer.finish();
  return writer.toUint8Array(true);
}

interface Tally {
  mutants: number;
  decoded: number;
  deadLetters: number;
  byReason: Record<string, number>;
  crashes: number;
  hangs: number;
  maxMs: number;
}

function run(corpus: Mutant[]): Tally {
  const t: Tally = { mutants: 0, decoded: 0, deadLetters: 0, byReason: {}, crashes: 0, hangs: 0, maxMs: 0 };
  for (const m of corpus) {
    t.mutants++;
    const t0 = performance.now();
    try {
      const d = decodeArrowMessage(m.bytes, where);
      expect(d.length).toBeLessThanOrEqual(DEFAULT_ARROW_LIMITS.maxRows);
      for (const c of Object.values(d.columns)) expect(c.length).toBe(d.length);
      t.decoded++;
    } catch (e) {
      if (e instanceof MessageError) {
        t.deadLetters++;
        t.byReason[e.reason] = (t.byReason[e.reason] ?? 0) + 1;
        expect(e.message.startsWith('events[0]@7')).toBe(true);
      } else {
        t.crashes++;
        process.stderr.write(`arrow fuzz: mutant ${m.kind} ${m.seed} escaped: ${String(e)}\n`);
      }
    }
    const ms = performance.now() - t0;
    t.maxMs = Math.max(t.maxMs, ms);
    if (ms > 1000) t.hangs++;
  }
  return t;
}

describe('fuzz: Arrow IPC messages', () => {
  it('decodes valid messages as apache-arrow reads them (the peer), every supported type, nulls as NaN', async () => {
    const mixed = mixedMessage();
    const d = decodeArrowMessage(mixed, where);
    const t = tableFromIPC(mixed);
    expect(d.length).toBe(t.numRows);
    for (const f of t.schema.fields) {
      const theirs = Array.from(t.getChild(f.name)!.toArray() as ArrayLike<number | bigint>, Number);
      expect(Array.from(d.columns[f.name]!)).toEqual(theirs);
    }
    const b = await generated(600, 1);
    const [m] = encodeArrowMessages(b, 600);
    const g = decodeArrowMessage(m!, where);
    for (const [name, col] of Object.entries(b.columns)) expect(Array.from(g.columns[name]!)).toEqual(Array.from(col));
    const withNulls = tableToIPC(
      new Table({
        x: vectorFromArray([1, 2, 3]),
        n: vectorFromArray([1, null, 3], new Int32()),
        b: vectorFromArray([true, null, false], new Bool()),
      }),
      'stream',
    );
    const nulls = decodeArrowMessage(withNulls, where);
    expect(Array.from(nulls.columns.n!)).toEqual([1, NaN, 3]);
    expect(Array.from(nulls.columns.b!)).toEqual([1, NaN, 0]);
    const big = tableToIPC(new Table({ v: vectorFromArray([1n, -2n, 3n], new Int64()) }), 'stream');
    expect(Array.from(decodeArrowMessage(big, where).columns.v!)).toEqual([1, -2, 3]);
  });

  it('refuses the issue 19 poison message that makes apache-arrow allocate until Node aborts', async () => {
    const [base] = encodeArrowMessages(await generated(600, 1), 600);
    const poison = Buffer.from(base!);
    poison[302]! ^= 1 << 4; // one bit: a field's children vector now declares 1,048,576 entries
    const dir = mkdtempSync(path.join(tmpdir(), 'sideband-poison-'));
    const file = path.join(dir, 'poison.arrow');
    writeFileSync(file, poison);
    const script =
      `import { readFileSync } from 'node:fs'; import { tableFromIPC } from 'apache-arrow';` +
      `const t = tableFromIPC(readFileSync(${JSON.stringify(file)}));` +
      `for (const f of t.schema.fields) t.getChild(f.name)?.toArray();`;
    const peer = spawnSync(process.execPath, ['--max-old-space-size=32', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      timeout: 60000,
      encoding: 'utf8',
    });
    // apache-arrow: out of memory (abort) in a 32 MB heap.
    expect(peer.status === 0 && peer.signal === null).toBe(false);
    expect(peer.stderr).toMatch(/heap out of memory|Allocation failed/);
    const e = (() => {
      try {
        decodeArrowMessage(poison, where);
      } catch (x) {
        return x as MessageError;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(MessageError);
    expect(e!.reason).toBe('malformed');
    expect(e!.message).toMatch(/declares 1048576 elements, past the end/);
  });

  it('300 seeded mutants (bit flips, truncations, splices, length edits): no crash, no hang, each decoded or a dead letter', async () => {
    const [events] = encodeArrowMessages(await generated(500, 3), 500);
    const mixed = mixedMessage();
    // Half of the bit flips and length edits land in the headers (schema and record batch messages).
    const corpus = [...mutants(events!, 200, 19, [0, 1800]), ...mutants(mixed, 100, 23, [0, 1200])];
    const tally = run(corpus);
    process.stdout.write(`fuzz arrow: ${JSON.stringify(tally)}\n`);
    expect(tally.mutants).toBe(300);
    expect(tally.crashes).toBe(0);
    expect(tally.hangs).toBe(0);
    expect(tally.decoded + tally.deadLetters).toBe(tally.mutants);
    expect(tally.deadLetters).toBeGreaterThan(100);
  });
});
