/**
 * Issue 19, probe 5 and the file half of probe 8: what a Parquet footer says is verified before it is counted, and
 * a source is a regular file under the allowed roots. A footer without a row count gave `read NaN`; an edited one
 * turned a 20,000-row file into 1,048,575 events read; a corrupt footer or a cut tail, and /etc/passwd, ended
 * "balanced" with nothing read and exit 0; a FIFO as a source blocked forever.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetMetadata } from 'hyparquet';
import type { FileMetaData } from 'hyparquet/src/types.js';
import { ByteWriter } from 'hyparquet-writer/src/bytewriter.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import type { InputError } from '../../src/events/errors.js';
import { runTopology } from '../../src/run.js';
import { ParquetFileWriter } from '../../src/sinks/parquet.js';
import { GeneratorSource } from '../../src/sources/generator.js';
import { ParquetSource } from '../../src/sources/parquet.js';
import { parseTopology } from '../../src/topology/load.js';
import { repoRoot } from '../helpers/paths.js';

const ROWS = 20000;

/** The file with its footer replaced by `edit(metadata)` re-encoded (the data pages stay as they are). */
function withFooter(file: Uint8Array, edit: (m: FileMetaData) => void): Buffer {
  const len = new DataView(file.buffer, file.byteOffset).getUint32(file.length - 8, true);
  const meta = parquetMetadata(file.slice(file.length - 8 - len).buffer);
  edit(meta);
  const w = new ByteWriter();
  writeMetadata(w, meta);
  w.appendBytes(new TextEncoder().encode('PAR1'));
  return Buffer.concat([file.subarray(0, file.length - 8 - len), Buffer.from(w.getBuffer())]);
}

async function read(file: string) {
  const errors: Array<[InputError, number | undefined]> = [];
  let rows = 0;
  for await (const b of new ParquetSource({ path: file, onFileError: (e, n) => errors.push([e, n]) }).batches())
    rows += b.length;
  return { rows, errors };
}

const topology = (source: string) => `
name: trust
source: { kind: parquet, path: ${source} }
columns: { mjj: GeV, jet1_m: GeV }
features: [jet1_m]
windows: { scheme: single, sr: [3300, 3700], sb: [[2500, 3300], [3700, 4500]] }
binning: { width: 100 }
fit: { strategy: single, sqrtS: 13000 }
sinks: { report: false }
`;

function cli(args: string[], cwd: string) {
  return spawnSync(process.execPath, [path.join(repoRoot, 'bin/sideband.js'), 'run', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60000,
  });
}

describe('Parquet footers are checked before they are counted', () => {
  let dir: string;
  let good: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sideband-trust-'));
    const file = path.join(dir, 'good.parquet');
    const w = await ParquetFileWriter.create(file, { rowGroupSize: 5000 });
    for await (const b of new GeneratorSource({ events: ROWS, seed: 4, batchSize: 5000 }).batches())
      await w.appendBatch(b);
    await w.close();
    good = readFileSync(file);
  });

  it('a footer without a row count: rows unknown, never NaN', async () => {
    const f = path.join(dir, 'no-count.parquet');
    writeFileSync(
      f,
      withFooter(good, (m) => {
        (m as { num_rows?: bigint }).num_rows = undefined;
      }),
    );
    const { rows, errors } = await read(f);
    expect(rows).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toBeUndefined();
    expect(errors[0]![0].message).toMatch(/untrusted footer \(rows unknown\): the file's row count \(undefined\)/);
    const { summary } = await runTopology(parseTopology(topology(f), 't.yaml'), {
      file: 't.yaml',
      outDir: path.join(dir, 'o1'),
    });
    expect(summary.events).toMatchObject({ read: 0, accepted: 0, rejected: 0, rowsUnknown: 1 });
    expect(Number.isNaN(summary.events.read)).toBe(false);
  });

  it('an edited row count (20,000 rows said to be 1,048,575) is not believed', async () => {
    const f = path.join(dir, 'edited.parquet');
    writeFileSync(
      f,
      withFooter(good, (m) => {
        m.num_rows = 1048575n;
        m.row_groups[0]!.num_rows = 1048575n - 15000n;
      }),
    );
    const { rows, errors } = await read(f);
    expect(rows).toBe(0);
    expect(errors[0]![1]).toBeUndefined();
    expect(errors[0]![0].message).toMatch(/row group 0 says 1033575 rows, its column jet1_pt 5000 values/);
    // Only the file's total edited: the row groups do not add up to it.
    writeFileSync(
      f,
      withFooter(good, (m) => {
        m.num_rows = 1048575n;
      }),
    );
    expect((await read(f)).errors[0]![0].message).toMatch(/the file says 1048575 rows, its row groups 20000/);
  });

  it('a chunk moved outside the data region, a corrupt footer, a cut tail: rows unknown', async () => {
    const f = path.join(dir, 'moved.parquet');
    writeFileSync(
      f,
      withFooter(good, (m) => {
        m.row_groups[1]!.columns[2]!.meta_data!.data_page_offset = BigInt(good.length);
      }),
    );
    expect((await read(f)).errors[0]![0].message).toMatch(
      /row group 1, column 2: its chunk .* is outside the data region/,
    );
    const corrupt = Buffer.from(good);
    corrupt.fill(0xff, good.length - 200, good.length - 8);
    writeFileSync(f, corrupt);
    expect((await read(f)).errors[0]!).toEqual([expect.objectContaining({ reason: 'unreadable' }), undefined]);
    writeFileSync(f, good.subarray(0, good.length - 100));
    expect((await read(f)).errors[0]![0].message).toMatch(/no PAR1 magic at the end/);
  });

  it('a trusted footer with a lost row group counts that row group as rejected, exactly', async () => {
    const f = path.join(dir, 'lost-group.parquet');
    const damaged = Buffer.from(good);
    // Overwrite the first page header of row group 2's mjj chunk: the footer still adds up.
    const len = damaged.readUInt32LE(damaged.length - 8);
    const meta = parquetMetadata(damaged.slice(damaged.length - 8 - len).buffer);
    const mjj = meta.row_groups[2]!.columns.find((c) => c.meta_data!.path_in_schema[0] === 'mjj')!;
    const at = Number(mjj.meta_data!.data_page_offset);
    damaged.fill(0xff, at, at + 16);
    writeFileSync(f, damaged);
    const { summary } = await runTopology(parseTopology(topology(f), 't.yaml'), {
      file: 't.yaml',
      outDir: path.join(dir, 'o2'),
    });
    expect(summary.events).toMatchObject({ read: ROWS, accepted: ROWS - 5000, rejected: 5000, rowsUnknown: 0 });
  });

  it('sideband run exits 3 on /etc/passwd alone (--allow-path /etc), 5 when it lies beside a good file, 0 otherwise', () => {
    writeFileSync(path.join(dir, 'passwd.yaml'), topology('/etc/passwd'));
    const refused = cli(['passwd.yaml', '--out', 'o-refused', '--quiet'], dir);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /\/etc\/passwd is outside the allowed input roots .*; pass --allow-path DIR to read it/,
    );
    // Nothing usable: no usable input, and the input that could not be counted is named in the verdict.
    const alone = cli(['passwd.yaml', '--out', 'o-passwd', '--quiet', '--allow-path', '/etc'], dir);
    expect(alone.status).toBe(3);
    expect(alone.stderr).toMatch(/no usable input: 1 input unreadable \(rows unknown\)/);
    // Beside a good file: the run has results, but the count of events read cannot be complete.
    const mix = mkdtempSync(path.join(dir, 'mix-'));
    writeFileSync(path.join(mix, 'a.parquet'), good);
    writeFileSync(path.join(mix, 'b.parquet'), readFileSync('/etc/passwd'));
    writeFileSync(path.join(dir, 'mix.yaml'), topology(path.join(mix, '*.parquet')));
    const counted = cli(['mix.yaml', '--out', 'o-mix', '--quiet'], dir);
    expect(counted.stderr).toMatch(/1 input\(s\) could not be read and their events not counted/);
    expect(counted.status).toBe(5);
    const summary = JSON.parse(readFileSync(path.join(dir, 'o-mix/summary.json'), 'utf8'));
    expect(summary.events).toMatchObject({ read: ROWS, rowsUnknown: 1 });
    writeFileSync(path.join(dir, 'good.yaml'), topology('good.parquet'));
    expect(cli(['good.yaml', '--out', 'o-good', '--quiet'], dir).status).toBe(0);
  });

  it('probe 8: a FIFO, a device or a link out of the roots is refused at once, never read', async () => {
    const fifo = path.join(dir, 'events.parquet.fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(read(fifo)).rejects.toThrow(/is not a regular file \(a FIFO\)/);
    await expect(read('/dev/zero')).rejects.toThrow(/is not a regular file \(a device\)/);
    // In a directory or a glob, non-regular entries are left out.
    const sub = mkdtempSync(path.join(dir, 'glob-'));
    execFileSync('mkfifo', [path.join(sub, 'b.parquet')]);
    writeFileSync(path.join(sub, 'a.parquet'), good);
    expect((await read(sub)).rows).toBe(ROWS);
    expect((await read(path.join(sub, '*.parquet'))).rows).toBe(ROWS);
    const link = path.join(sub, 'c.parquet');
    symlinkSync('/etc/passwd', link);
    const src = new ParquetSource({ path: link, allowedRoots: [dir] });
    await expect(
      (async () => {
        for await (const _ of src.batches());
      })(),
    ).rejects.toThrow(/c\.parquet \(a link to \/etc\/passwd\) is outside the allowed input roots/);
  });
});
