import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { runTopology } from '../../src/run.js';
import { parseTopology } from '../../src/topology/load.js';
import { lhcoDir } from '../helpers/paths.js';

const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

const LHCO_SR_TOPOLOGY = `
name: lhco-rnd-sr
seed: 7
source: { kind: parquet, path: sr_train.parquet }
columns: { mjj: TeV, mj_min: TeV, delta_mj: TeV, tau21_lighter: none, tau21_heavier: none }
label: label
windows: { scheme: single, sr: [3300, 3700], sb: [[3000, 3300], [3700, 4000]] }
features: [mj_min, delta_mj, tau21_lighter, tau21_heavier]
trigger: { minSrEvents: 1000000000 }
binning: { width: 50, range: [3000, 4000] }
fit: { strategy: single, sqrtS: 13000 }
`;

describe('sideband run on real Parquet files', () => {
  it('reads the LHCO R&D signal region through a topology that declares TeV: 60,000 events, 395 signal, 3300–3700 GeV', async () => {
    // The real files hold only SR events; topologies/lhco-rnd.yaml is the generated search, so the reader is tested
    // with a topology of its own.
    const file = 'lhco-rnd-sr.yaml';
    const t = parseTopology(LHCO_SR_TOPOLOGY, file, [
      `source.path=${path.join(lhcoDir, 'sr_train.parquet')}`,
      'sinks.report=false',
    ]);
    const out = mkdtempSync(path.join(tmpdir(), 'sideband-lhco-'));
    const { summary, run, results } = await runTopology(t, { file, outDir: out });
    expect(summary.events).toMatchObject({ read: 60000, accepted: 60000, rejected: 0, selected: 60000, stored: 60000 });
    const all = run.buffers.store.gather(0, 1e9);
    expect(all.n).toBe(60000);
    expect(all.label!.reduce((a, b) => a + b, 0)).toBe(395);
    expect(Math.min(...all.mjj)).toBeGreaterThanOrEqual(3300);
    expect(Math.max(...all.mjj)).toBeLessThanOrEqual(3700);
    // The window result on disk is the one returned.
    const lines = jsonl(path.join(out, 'results.jsonl'));
    expect(lines).toHaveLength(results.length);
    expect(lines[0].window).toEqual({
      id: 'sr-3300-3700',
      sr: [3300, 3700],
      sb: [
        [3000, 3300],
        [3700, 4000],
      ],
    });
    expect(lines[0].counts.sr).toBe(60000);
    expect(lines[0].cutflow).toEqual([{ cut: 'all', pass: 60000 }]);
  });

  it('malformed inputs end in clear dead letters with exact counts, and stop nothing else', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sideband-bad-'));
    const write = (name: string, columnData: Parameters<typeof parquetWriteBuffer>[0]['columnData']) =>
      writeFileSync(path.join(dir, name), Buffer.from(parquetWriteBuffer({ columnData })));
    const f32 = (xs: number[]) => Float32Array.from(xs);
    write('a-good.parquet', [
      { name: 'mjj', data: f32([3.4, 3.5, 3.6, 3.45]), type: 'FLOAT' },
      { name: 'x', data: f32([1, 2, 3, 4]), type: 'FLOAT' },
    ]);
    write('b-nan.parquet', [
      { name: 'mjj', data: f32([3.4, NaN, 3.6]), type: 'FLOAT' },
      { name: 'x', data: f32([1, 2, Infinity]), type: 'FLOAT' },
    ]);
    write('c-missing.parquet', [{ name: 'mjj', data: f32([3.4, 3.5]), type: 'FLOAT' }]);
    write('d-wrongtype.parquet', [
      { name: 'mjj', data: ['3.4', '3.5', '3.6'], type: 'STRING' },
      { name: 'x', data: f32([1, 2, 3]), type: 'FLOAT' },
    ]);
    const good = readFileSync(path.join(dir, 'a-good.parquet'));
    writeFileSync(path.join(dir, 'e-truncated.parquet'), good.subarray(0, good.length - 20));
    const t = parseTopology(
      `
name: bad-input
source: { kind: parquet, path: ${dir} }
columns: { mjj: TeV, x: none }
windows: { scheme: single, sr: [3300, 3700], sb: [[3000, 3300], [3700, 4000]] }
features: [x]
binning: { width: 100, range: [3000, 4000] }
fit: { strategy: single, sqrtS: 13000 }
sinks: { report: false }
`,
      'bad.yaml',
    );
    const out = mkdtempSync(path.join(tmpdir(), 'sideband-bad-out-'));
    const { summary } = await runTopology(t, { file: 'bad.yaml', outDir: out });
    // 4 good + 3 (1 good, 1 NaN, 1 inf) + 2 missing-column + 3 wrong-type; the truncated file has no readable row count.
    expect(summary.events.read).toBe(12);
    expect(summary.events.accepted).toBe(5);
    expect(summary.events.rejected).toBe(7);
    expect(summary.events.rejectedByReason).toEqual({
      nan: 1,
      infinite: 1,
      missing_column: 2,
      bad_type: 3,
      unreadable: 0,
    });
    const dead = jsonl(path.join(out, 'dead-letters.jsonl'));
    const by = (f: string) => dead.filter((d) => d.file.endsWith(f));
    expect(by('b-nan.parquet').map((d) => [d.reason, d.field, d.row])).toEqual([
      ['nan', 'mjj', 1],
      ['infinite', 'x', 2],
    ]);
    expect(by('c-missing.parquet')[0]).toMatchObject({ reason: 'missing_column', field: 'x', events: 2 });
    expect(by('c-missing.parquet')[0].message).toContain('missing column');
    expect(by('d-wrongtype.parquet')[0]).toMatchObject({ reason: 'bad_type', field: 'mjj', events: 3 });
    expect(by('d-wrongtype.parquet')[0].message).toContain('wrong type: BYTE_ARRAY is not numeric');
    expect(by('e-truncated.parquet')[0]).toMatchObject({ reason: 'unreadable', events: 0 });
    expect(by('e-truncated.parquet')[0].message).toContain('no PAR1 magic');
  });
});
