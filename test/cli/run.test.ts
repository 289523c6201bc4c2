/**
 * Issue 19 probes 4, 6 and 8 on a whole run. Probe 4: a throw in the hand-written handlers of trigger, analyse and
 * alert once never reached the pipeline's error channel (the run completed with results missing); now the run
 * fails with that error, and `sideband run` ends with a clear message and exit code 1. Probe 6: 1e39 passed
 * validation as a float64 and was +Infinity once stored. Probe 8: a topology's name became a path (`../../x`).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { RunObserver } from '../../src/events/observer.js';
import { Metrics } from '../../src/metrics/index.js';
import { runTopology } from '../../src/run.js';
import { parseTopology } from '../../src/topology/load.js';
import { generatedParquet, searchTopology } from '../helpers/kafka.js';
import { repoRoot } from '../helpers/paths.js';

function cli(args: string[], cwd: string) {
  return spawnSync(process.execPath, [path.join(repoRoot, 'bin/sideband.js'), 'run', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60000,
  });
}

/** Metrics whose observer throws in one hook: a stage's handler that fails. */
class FailingMetrics extends Metrics {
  constructor(private readonly hook: keyof RunObserver) {
    super({ defaultMetrics: false });
  }
  override observer() {
    const o = super.observer();
    return {
      ...o,
      [this.hook]: () => {
        throw new Error(`${this.hook} broke`);
      },
    };
  }
}

describe('a whole run', () => {
  let dir: string;
  let parquet: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sideband-cli-run-'));
    parquet = await generatedParquet(dir, 30000, 3);
  });

  it('probe 4: a throw in trigger, analyse or alert fails the run with that error instead of completing', async () => {
    // bufferEvents: trigger's handler; queueDepth: analyse's scheduler; alertFired: the alert tracker on results.
    for (const hook of ['bufferEvents', 'queueDepth', 'alertFired'] as const) {
      const t = parseTopology(
        searchTopology(`{ kind: parquet, path: ${parquet} }`, 'alert: { z: -100 }'),
        'probe4.yaml',
      );
      await expect(
        runTopology(t, {
          file: 'probe4.yaml',
          outDir: path.join(dir, `p4-${hook}`),
          metrics: new FailingMetrics(hook),
        }),
      ).rejects.toThrow(`${hook} broke`);
      expect(existsSync(path.join(dir, `p4-${hook}`, 'summary.json'))).toBe(false);
    }
  });

  it('probe 4: sideband run ends with the error of a failing stage and exit code 1 (a window store over budget)', () => {
    writeFileSync(
      path.join(dir, 'small.yaml'),
      searchTopology(`{ kind: parquet, path: ${parquet} }`, 'memory: { storeBytes: 100000 }'),
    );
    const r = cli(['small.yaml', '--out', 'small', '--quiet'], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^sideband run: event store: \d+ events take \d+ bytes; one more chunk would pass the 100000-byte budget \(memory\.storeBytes/m,
    );
    expect(existsSync(path.join(dir, 'small', 'summary.json'))).toBe(false);
  });

  it('probe 6: a value finite as float64 but infinite as float32 (1e39, or 1e36 TeV) is rejected, the cut flow unchanged', async () => {
    const f = path.join(dir, 'overflow.parquet');
    const mjj = [3.4, 3.5, 1e36, 3.6];
    const x = [0.1, 1e39, 0.3, 0.4];
    writeFileSync(
      f,
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'mjj', data: Float64Array.from(mjj), type: 'DOUBLE' },
            { name: 'x', data: Float64Array.from(x), type: 'DOUBLE' },
          ],
        }),
      ),
    );
    const t = parseTopology(
      `
name: overflow
source: { kind: parquet, path: ${f} }
columns: { mjj: TeV, x: none }
features: [x]
windows: { scheme: single, sr: [3300, 3700], sb: [[3000, 3300], [3700, 4000]] }
binning: { width: 100, range: [3000, 4000] }
fit: { strategy: single, sqrtS: 13000 }
sinks: { report: false }
`,
      'overflow.yaml',
    );
    const out = path.join(dir, 'overflow');
    const { summary } = await runTopology(t, { file: 'overflow.yaml', outDir: out });
    expect(summary.events).toMatchObject({ read: 4, accepted: 2, rejected: 2, rejectedByReason: { infinite: 2 } });
    expect(summary.cutflow[0]).toEqual({ cut: 'all', pass: 2 });
    const dead = readFileSync(path.join(out, 'dead-letters.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dead.map((d) => [d.field, d.row, d.message])).toEqual([
      ['x', 1, '1e+39 in x is Infinity as float32 (in GeV)'],
      ['mjj', 2, '1e+36 in mjj is Infinity as float32 (in GeV)'],
    ]);
  });

  it('probe 8: a topology named ../../x writes under out/ only, as one safe directory', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'sideband-name-'));
    writeFileSync(
      path.join(cwd, 'evil.yaml'),
      searchTopology(`{ kind: parquet, path: ${parquet} }`).replace('name: kafka-flow', "name: '../../x'"),
    );
    const r = cli(['evil.yaml', '--quiet', '--allow-path', dir], cwd);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(path.join(cwd, 'out'))).toEqual(['__.._x']);
    expect(existsSync(path.join(cwd, 'out', '__.._x', 'summary.json'))).toBe(true);
    expect(existsSync(path.resolve(cwd, '../../x'))).toBe(false);
  });
});
