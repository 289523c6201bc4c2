/**
 * The shipped topologies that name a calibration: the file is a sideband calibration of the same analysis (its
 * hash), with finite entries for the windows the samples filled, so `sideband run` reports
 * calibrated Z.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { calibrationKey, type Calibration } from '../../src/analysis/calibration.js';
import { buildWindows } from '../../src/regions/index.js';
import { analysisHash } from '../../src/topology/analysis-hash.js';
import { loadTopology } from '../../src/topology/load.js';
import { repoRoot } from '../helpers/paths.js';

const SHIPPED = ['quickstart', 'atlas2024-cwola', 'lhco-rnd', 'cwola-hunting-atlas2020'];

describe('shipped calibrations', () => {
  for (const name of SHIPPED)
    it(`${name} names a calibration of its own analysis covering every window and working point`, async () => {
      const file = path.join(repoRoot, 'topologies', `${name}.yaml`);
      const t = await loadTopology(file, []);
      expect(t.calibration).toBe(`../docs/validation/${name}/calibration.json`);
      const c = JSON.parse(readFileSync(path.resolve(path.dirname(file), t.calibration!), 'utf8')) as Calibration;
      expect(c.kind).toBe('sideband-calibration');
      expect(c.topology).toBe(name);
      expect(c.topologyHash).toBe(analysisHash(t));
      expect(c.samples).toBeGreaterThanOrEqual(20);
      // Windows the signal-free samples never filled have no entry (a run marks them invalid); the others are finite.
      let covered = 0;
      for (const w of buildWindows(t.windows))
        for (const wp of w.workingPoints ?? t.workingPoints) {
          const e = c.windows[w.id]?.[calibrationKey(wp)];
          if (!e) continue;
          covered++;
          expect(Number.isFinite(e.mean) && e.std > 0).toBe(true);
        }
      expect(covered).toBeGreaterThan(0);
    });
});
