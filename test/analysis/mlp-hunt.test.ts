/**
 * CWoLa hunting with seed 000's MLP from `sideband run`: the ensemble trains on the project's neural engine by
 * default, on TensorFlow.js with `classifier.backend: tfjs`, and the results name the backend that trained them.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WindowResult } from '../../src/events/result.js';
import { repoRoot } from '../helpers/paths.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sideband-mlp-hunt-'));
const topology = path.join(dir, 'mlp-hunt.yaml');
writeFileSync(
  topology,
  `name: mlp-hunt
seed: 4
source: { kind: generator, events: 60000, mjjMin: 2000 }
columns: { jet1_pt: GeV, jet1_eta: none, jet1_phi: none, jet1_m: GeV, jet1_tau1: none, jet1_tau2: none, jet2_pt: GeV, jet2_eta: none, jet2_phi: none, jet2_m: GeV, jet2_tau1: none, jet2_tau2: none }
label: label
derive: { mjj: fourvector, features: [delta_y] }
cuts: atlas2024
windows: { scheme: single, sr: [3200, 3800], sb: [[2600, 3200], [3800, 4400]] }
features: [mj_min, tau21_lighter, tau21_heavier]
trigger: { minSrEvents: 1000000000 }
binning: { width: 60 }
classifier: { kind: mlp-atlas2024, ensemble: 2, folds: 5, workers: 1, mlp: { maxEpochs: 4, batchSize: 256 } }
sinks: { report: false }
`,
);

function run(out: string, ...set: string[]): WindowResult[] {
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'bin/sideband.js'), 'run', topology, '--out', out, '--quiet', ...set],
    { encoding: 'utf8' },
  );
  // 0, or 4 when the small sample's fit is judged invalid: either way the classifier ran and is reported.
  expect([0, 4]).toContain(r.status);
  return readFileSync(path.join(out, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as WindowResult);
}

describe('MLP CWoLa hunt from sideband run', () => {
  it('trains on the nn engine by default and on TensorFlow.js when asked, and says which', () => {
    const nn = run(path.join(dir, 'nn'));
    expect(nn.length).toBeGreaterThan(0);
    for (const r of nn) {
      expect(r.model?.classifier).toBe('mlp-atlas2024');
      expect(r.model?.backend).toMatch(/^nn-(wasm|js)$/);
      expect(r.model?.ensemble).toBe(2);
    }
    const tfjs = run(path.join(dir, 'tfjs'), '--set', 'classifier.backend=tfjs');
    for (const r of tfjs) expect(['tensorflow', 'wasm', 'cpu']).toContain(r.model?.backend);
  }, 240_000);
});
