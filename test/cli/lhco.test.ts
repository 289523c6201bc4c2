/**
 * The LHCO R&D topologies. The real files hold only signal-region events, so a run over them cannot fit a sideband:
 * it must end with exit code 4 and say why, never claim a significance. topologies/lhco-rnd.yaml is the search in
 * the benchmark's setting on generated events; here it runs shortened and without a classifier, to check that its
 * window and sidebands give a valid fit.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lhcoDir, repoRoot } from '../helpers/paths.js';
import { scratch, sideband } from './helpers.js';

describe('LHCO R&D', () => {
  it('the real signal-region file: exit 4, "no events in the sidebands", no Z from a fit', () => {
    const dir = scratch();
    const topo = path.join(dir, 'lhco-sr.yaml');
    writeFileSync(
      topo,
      `name: lhco-sr
source: { kind: parquet, path: ${JSON.stringify(path.join(lhcoDir, 'sr_train.parquet'))} }
columns: { mjj: TeV, mj_min: TeV, delta_mj: TeV, tau21_lighter: none, tau21_heavier: none }
label: label
windows: { scheme: single, sr: [3300, 3700], sb: [[2700, 3300], [3700, 4300]] }
features: [mj_min, delta_mj, tau21_lighter, tau21_heavier]
trigger: { minSrEvents: 1000000000 }
binning: { width: 100, range: [2700, 4300] }
sinks: { report: false }
`,
    );
    const out = path.join(dir, 'out');
    const r = sideband(['run', topo, '--out', out, '--quiet', '--allow-path', lhcoDir]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      'sideband run: analysis failed: none of 1 window produced a valid result (sr-3300-3700: no events in the ' +
        'sidebands, so no background fit can be made (does the input hold only signal-region events?)); outputs ' +
        `(status analysis-failed) in ${out}\n`,
    );
    const [result] = readFileSync(path.join(out, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(result.counts).toMatchObject({ sr: 60000, sbLow: 0, sbHigh: 0 });
    expect(result.fit.converged).toBe(false);
    expect(result.valid).toBe(false);
    expect(result.significance.z).toBeUndefined();
  });

  it('topologies/lhco-rnd.yaml is a search: generated events with sidebands around the CATHODE SR, a valid fit', () => {
    const file = path.join(repoRoot, 'topologies/lhco-rnd.yaml');
    expect(readFileSync(file, 'utf8')).toContain('kind: generator');
    const out = path.join(scratch(), 'out');
    const r = sideband([
      'run',
      file,
      '--out',
      out,
      '--quiet',
      '--set',
      'source.events=300000',
      '--set',
      'classifier={kind: none}',
      '--set',
      'sinks.report=false',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const [result] = readFileSync(path.join(out, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(result.window).toEqual({
      id: 'sr-3300-3700',
      sr: [3300, 3700],
      sb: [
        [2900, 3300],
        [3700, 4300],
      ],
    });
    expect(result.counts.sbLow).toBeGreaterThan(5000);
    expect(result.counts.sbHigh).toBeGreaterThan(1000);
    expect(result.fit.converged).toBe(true);
  });
});
