/** `sideband validate` and `sideband inject` end to end on a small inclusive topology (real runs, real files). */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { injectionScan } from '../../src/run/inject.js';
import { limitText } from '../../src/sinks/injection-report.js';
import { validateTopology } from '../../src/run/validate.js';
import { runTopology } from '../../src/run.js';
import { parseTopology } from '../../src/topology/load.js';
import { repoRoot } from '../helpers/paths.js';

const text = `
name: small-hunt
seed: 5
source: { kind: generator, events: 150000, mjjMin: 2000 }
columns: { jet1_pt: GeV, jet1_eta: none, jet1_phi: none, jet1_m: GeV, jet1_tau1: none, jet1_tau2: none, jet2_pt: GeV, jet2_eta: none, jet2_phi: none, jet2_m: GeV, jet2_tau1: none, jet2_tau2: none }
label: label
derive: { mjj: fourvector, features: [delta_y] }
cuts: atlas2024
windows: { scheme: single, sr: [3200, 3800], sb: [[2600, 3200], [3800, 4400]] }
features: [mj_min, tau21_lighter]
trigger: { minSrEvents: 1000000000 }
binning: { width: 60 }
sinks: { report: false }
`;
const dir = mkdtempSync(path.join(tmpdir(), 'sideband-validate-'));
const file = path.join(dir, 'small.yaml');
writeFileSync(file, text);
const topology = parseTopology(text, file);

describe('sideband validate', () => {
  it('measures signal-free Z from all three sources and writes a calibration that later runs apply', async () => {
    const report = await validateTopology(topology, {
      file,
      sources: ['generator', 'down-up', 'control'],
      samples: 5,
      seed: 3,
    });
    expect(report.sources.map((s) => s.source)).toEqual(['generator', 'down-up', 'control']);
    for (const s of report.sources) {
      expect(s.skipped).toBeUndefined();
      const w = s.windows[0]!;
      expect(w.window).toBe('sr-3200-3800');
      expect(w.zs.length + Object.values(w.invalid).reduce((a, b) => a + b, 0)).toBe(5);
      expect(w.zs.every(Number.isFinite)).toBe(true);
    }
    const cal = report.calibration!;
    expect(cal.source).toBe('down-up');
    const entry = cal.windows['sr-3200-3800']!.inclusive!;
    expect(entry.samples).toBe(report.sources[1]!.windows[0]!.zs.length);
    // Applied by a later run that names it.
    writeFileSync(path.join(dir, 'calibration.json'), JSON.stringify(cal));
    const calibrated = parseTopology(`${text}calibration: calibration.json\n`, file);
    const { results } = await runTopology(calibrated, { file, outDir: path.join(dir, 'cal-run') });
    const r = results.find((x) => x.trigger === 'end')!;
    if (r.valid) {
      expect(r.significance!.calibration!.source).toBe('down-up');
      expect(r.significance!.z).toBeCloseTo((r.significance!.zRaw! - entry.mean) / entry.std, 10);
    } else expect(r.invalid!.map((v) => v.reason)).toContain('failed_closure');
    // A calibration of another analysis (here another binning), or one that records no hash, is not applied: the
    // results say why and carry the raw Z.
    const stale = parseTopology(`${text.replace('width: 60', 'width: 100')}calibration: calibration.json\n`, file);
    const staleRun = await runTopology(stale, { file, outDir: path.join(dir, 'stale-run') });
    const s = staleRun.results.find((x) => x.trigger === 'end')!;
    expect(s.significance?.calibration).toBeUndefined();
    expect(s.significance?.zRaw).toBeUndefined();
    if (s.significance?.z !== undefined)
      expect(s.significance.uncalibrated).toMatch(
        /calibration\.json is stale: it was made for another version of 'small-hunt'/,
      );
    const { topologyHash: _, ...unhashed } = cal;
    writeFileSync(path.join(dir, 'unhashed.json'), JSON.stringify(unhashed));
    const old = parseTopology(`${text}calibration: unhashed.json\n`, file);
    const logs: string[] = [];
    await runTopology(old, { file, outDir: path.join(dir, 'old-run'), log: (m) => logs.push(m) });
    expect(logs.join('\n')).toMatch(/unhashed\.json records no topology hash.*not applied, Z is raw/);
    // A window the signal-free samples never filled has no entry: its Z stays raw, and says so.
    writeFileSync(path.join(dir, 'empty.json'), JSON.stringify({ ...cal, windows: {} }));
    const emptyRun = await runTopology(parseTopology(`${text}calibration: empty.json\n`, file), {
      file,
      outDir: path.join(dir, 'empty-run'),
    });
    const e = emptyRun.results.find((x) => x.trigger === 'end')!;
    expect(e.significance?.calibration).toBeUndefined();
    if (e.significance?.z !== undefined)
      expect(e.significance.uncalibrated).toBe('the calibration has no entry for sr-3200-3800 at inclusive: Z is raw');
  }, 360_000); // five samples from each of three sources and three runs: minutes on a loaded 2-core machine

  it('runs from the command line and writes validation.json, calibration.json and validation.html', () => {
    const out = path.join(dir, 'cli');
    const r = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin/sideband.js'),
        'validate',
        file,
        '--sources',
        'generator',
        '--samples',
        '2',
        '--out',
        out,
        '--quiet',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    const v = JSON.parse(readFileSync(path.join(out, 'validation.json'), 'utf8'));
    expect(v.kind).toBe('sideband-validation');
    expect(JSON.parse(readFileSync(path.join(out, 'calibration.json'), 'utf8')).source).toBe('generator');
    expect(readFileSync(path.join(out, 'validation.html'), 'utf8')).toContain('<svg');
  });
});

describe('sideband inject', () => {
  it('retrains per injected amount, counts the selected signal and its significance grows with it', async () => {
    const report = await injectionScan(topology, {
      file,
      signal: { mA: 3500, mB: 500, mC: 100 },
      amounts: [0, 600],
      seeds: 1,
      seed: 2,
    });
    const w = report.windows[0]!;
    const none = w.points.find((p) => p.amount === 0)!,
      lots = w.points.find((p) => p.amount === 600)!;
    expect(none.signal).toBe(0);
    expect(lots.signal).toBeGreaterThan(100);
    expect(lots.sOverSqrtB).toBeGreaterThan(3);
    expect(lots.z!).toBeGreaterThan(none.z! + 2);
    expect(lots.cls!.observed).toBeLessThan(0.05);
    // Excluded already at the one amount scanned: the limit lies below it, and that is all the scan says.
    expect(w.limits!.injectedObserved).toBeUndefined();
    expect(w.limits!.belowScan).toMatchObject({ amount: 600, observed: true });
    expect(limitText(w.limits, 'observed')).toBe('< 600');
    // Beside them, the merged-bin CLs limit of the run with nothing injected, as that run reported it.
    expect(none.mergedBin!.observed).toBeGreaterThan(0);
    expect(w.limits!.mergedBinSelected).toEqual({
      observed: none.mergedBin!.observed,
      expected: none.mergedBin!.expected,
    });
  });
});
