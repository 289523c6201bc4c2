/**
 * Fuzz suite, Parquet (issue 19, probe 5): seeded mutants of real Parquet files (the generator's PLAIN float files,
 * and hyparquet-writer's snappy, dictionary-encoded files with nulls) through a whole run. Per mutant: the run ends
 * (no crash, no hang) with exact counts: every row of the file read (accepted or rejected), or the file reported
 * "rows unknown" (its footer cannot be trusted) with nothing counted from it; read = accepted + rejected always, and
 * never NaN. Before, 57 of 200 such mutants ended "balanced" with everything 0 and exit 0, and an edited footer
 * turned a 20,000-row file into 1,048,575 events read.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { runTopology } from '../../src/run.js';
import { ParquetFileWriter } from '../../src/sinks/parquet.js';
import { GeneratorSource } from '../../src/sources/generator.js';
import { parseTopology } from '../../src/topology/load.js';
import { mutants, rng, type Mutant } from './mutate.js';

const GENERATED_ROWS = 3000;
const WRITER_ROWS = 2500;

const generatedTopology = (file: string) => `
name: fuzz-generated
source: { kind: parquet, path: ${file} }
columns: { jet1_pt: GeV, jet2_pt: GeV, mjj: GeV, jet1_m: GeV, jet2_m: GeV }
label: label
features: [jet1_m]
cuts: [{ name: pt, features: [jet1_pt, jet2_pt], min: 100 }]
windows: { scheme: single, sr: [3300, 3700], sb: [[2500, 3300], [3700, 4500]] }
binning: { width: 100 }
fit: { strategy: single, sqrtS: 13000 }
trigger: { minSrEvents: 100000 }
sinks: { results: false, deadLetters: false, report: false }
`;

const writerTopology = (file: string) => `
name: fuzz-writer
source: { kind: parquet, path: ${file} }
columns: { mjj: TeV, x: none, n: none, flag: none }
weight: w
features: [x]
windows: { scheme: single, sr: [3300, 3700], sb: [[3000, 3300], [3700, 4000]] }
binning: { width: 100 }
fit: { strategy: single, sqrtS: 13000 }
trigger: { minSrEvents: 100000 }
sinks: { results: false, deadLetters: false, report: false }
`;

interface Tally {
  mutants: number;
  complete: number;
  rejectedRows: number;
  rowsUnknown: number;
  deadLetterFiles: number;
  crashes: number;
  hangs: number;
  maxMs: number;
}

async function fuzz(
  corpus: Mutant[],
  dir: string,
  rows: number,
  topology: (file: string) => string,
  tag: string,
): Promise<Tally> {
  const t: Tally = {
    mutants: 0,
    complete: 0,
    rejectedRows: 0,
    rowsUnknown: 0,
    deadLetterFiles: 0,
    crashes: 0,
    hangs: 0,
    maxMs: 0,
  };
  for (const m of corpus) {
    t.mutants++;
    const file = path.join(dir, `${tag}-${m.kind}-${m.seed}.parquet`);
    writeFileSync(file, m.bytes);
    const t0 = performance.now();
    try {
      const { summary } = await runTopology(parseTopology(topology(file), 'fuzz.yaml'), {
        file: 'fuzz.yaml',
        outDir: path.join(dir, 'out'),
      });
      const e = summary.events;
      expect(Number.isInteger(e.read) && Number.isInteger(e.rejected)).toBe(true);
      expect(e.read).toBe(e.accepted + e.rejected);
      if (e.rowsUnknown > 0) {
        // Nothing is counted from a file whose footer is not trusted.
        expect(e.read).toBe(0);
        t.rowsUnknown++;
      } else {
        // A trusted footer: every row of the file is read, accepted or rejected; never more, never fewer.
        expect(e.read).toBe(rows);
        if (e.rejected > 0) t.rejectedRows++;
        else t.complete++;
      }
      if (e.rejected > 0 || e.rowsUnknown > 0) t.deadLetterFiles++;
    } catch (e) {
      t.crashes++;
      process.stderr.write(`parquet fuzz: mutant ${tag} ${m.kind} ${m.seed} ended the run: ${String(e)}\n`);
    }
    const ms = performance.now() - t0;
    t.maxMs = Math.max(t.maxMs, ms);
    if (ms > 5000) t.hangs++;
  }
  return t;
}

describe('fuzz: Parquet files through a whole run', () => {
  let dir: string;
  let generated: Uint8Array;
  let written: Uint8Array;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sideband-fuzz-pq-'));
    // What `sideband generate` writes: PLAIN float columns, uncompressed, three row groups.
    const file = path.join(dir, 'generated.parquet');
    const w = await ParquetFileWriter.create(file, { rowGroupSize: 1000 });
    for await (const b of new GeneratorSource({ events: GENERATED_ROWS, seed: 5, batchSize: 1000 }).batches())
      await w.appendBatch(b);
    await w.close();
    generated = readFileSync(file);
    // hyparquet-writer's defaults: snappy, dictionary pages, statistics; a first row group of 1000 rows.
    const r = rng(8);
    written = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'mjj', data: Float32Array.from({ length: WRITER_ROWS }, () => 3 + r()), type: 'FLOAT' },
          {
            name: 'x',
            data: Array.from({ length: WRITER_ROWS }, (_, i) => (i % 97 === 0 ? null : Math.round(10 * r()) / 10)),
            type: 'DOUBLE',
          },
          { name: 'n', data: Int32Array.from({ length: WRITER_ROWS }, (_, i) => i % 5), type: 'INT32' },
          { name: 'flag', data: Array.from({ length: WRITER_ROWS }, (_, i) => i % 3 === 0), type: 'BOOLEAN' },
          { name: 'w', data: Float64Array.from({ length: WRITER_ROWS }, () => 1), type: 'DOUBLE' },
        ],
        rowGroupSize: 1000,
      }),
    );
  });

  it('the unmutated files are read whole (the writer file has 26 nulls, rejected as NaN)', async () => {
    const a = await fuzz(
      [{ seed: 0, kind: 'bitflip', bytes: generated }],
      dir,
      GENERATED_ROWS,
      generatedTopology,
      'base',
    );
    const b = await fuzz([{ seed: 0, kind: 'bitflip', bytes: written }], dir, WRITER_ROWS, writerTopology, 'base');
    expect([a.complete, b.rejectedRows, a.rowsUnknown + b.rowsUnknown]).toEqual([1, 1, 0]);
  });

  it('250 seeded mutants (bit flips, truncations, splices, length edits): no crash, no hang, exact counts', async () => {
    // Half of the bit flips and length edits land in the footer, where the counts and offsets live.
    const footer = (bytes: Uint8Array): [number, number] => {
      const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
      return [bytes.length - 8 - len, bytes.length];
    };
    const a = await fuzz(mutants(generated, 150, 31, footer(generated)), dir, GENERATED_ROWS, generatedTopology, 'gen');
    const b = await fuzz(mutants(written, 100, 37, footer(written)), dir, WRITER_ROWS, writerTopology, 'hpw');
    const tally = Object.fromEntries(
      Object.keys(a).map((k) => [
        k,
        k === 'maxMs' ? Math.max(a.maxMs, b.maxMs) : a[k as keyof Tally] + b[k as keyof Tally],
      ]),
    );
    process.stdout.write(`fuzz parquet: ${JSON.stringify(tally)}\n`);
    expect(tally.mutants).toBe(250);
    expect(tally.crashes).toBe(0);
    expect(tally.hangs).toBe(0);
    expect(tally.rowsUnknown).toBeGreaterThan(0);
  }, 360_000); // 250 whole runs, each starting its ingest worker threads: ~100 s on an idle 2-core machine
});
