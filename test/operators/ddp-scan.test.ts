import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, toArray } from 'rxjs';
import path from 'node:path';
import type { WindowResult } from '../../src/events/result.js';
import { Metrics } from '../../src/metrics/index.js';
import { AlertTracker } from '../../src/operators/alert.js';
import { compileTopology } from '../../src/topology/compile.js';
import { parseTopology } from '../../src/topology/load.js';
import { memorySource } from '../helpers/memory-source.js';
import { repoRoot } from '../helpers/paths.js';

// The shipped model, named relative to the topology file as a topology in topologies/ would.
const topologyFile = path.join(repoRoot, 'topologies', 'ddp-test.yaml');
const topology = (alertOn: string) => `
name: ddp-driver
source: { kind: parquet, path: unused.parquet }
columns:
  mjj: { from: m, unit: TeV }
  x: none
label: truth
cuts:
  - { name: "x < 0.9", features: [x], max: 0.9 }
windows: { scheme: single, sr: [3300, 3700], sb: [[3000, 3300], [3700, 4400]] }
features: [x]
trigger: { minSrEvents: 3000, growthFactor: 2 }
binning: { width: 40, range: [3000, 4400] }
fit: { strategy: single, sqrtS: 13000 }
alert: { z: 3 }
ddp: { model: ../models/ddp-znet3.json, alertOn: ${alertOn} }
`;

async function run(alertOn: string, metrics?: Metrics): Promise<WindowResult[]> {
  const t = parseTopology(topology(alertOn), topologyFile);
  const compiled = await compileTopology(t, {
    file: topologyFile,
    runId: 'ddp',
    source: memorySource(60_000, 8192, 3),
    observer: metrics?.observer(),
  });
  return lastValueFrom(compiled.results$.pipe(toArray()));
}

describe('ddpScan reached from a topology (ddp: block)', () => {
  it('adds the network scan beside the fit-based per-bin z to every window histogram, and times it', async () => {
    const metrics = new Metrics({ role: 'run' });
    const results = await run('ddp', metrics);
    const withHist = results.filter((r) => r.histogram);
    expect(withHist.length).toBeGreaterThan(1);
    for (const r of withHist) {
      const d = r.ddp!;
      const nb = r.histogram!.counts.length;
      expect(d.model).toBe('../models/ddp-znet3.json');
      // 35 bins of 40 GeV: inside the model's training domain unless a level leaves 10-1e5 events per bin
      expect(d.valid).toBe(d.invalid === undefined);
      expect(d.z).toHaveLength(nb);
      expect(d.background).toHaveLength(nb);
      expect(d.zMax).toBe(Math.max(...d.z));
      expect(d.mass).toEqual([r.histogram!.edges[d.bin], r.histogram!.edges[d.bin + 1]]);
      if (r.fit?.status === 'ok') {
        expect(d.fitZ).toHaveLength(nb);
        expect(d.fitZMax).toBe(Math.max(0, ...d.fitZ!));
      }
    }
    const text = await metrics.registry.metrics();
    const count = Number(/sideband_ddp_scan_seconds_count (\d+)/.exec(text)?.[1]);
    expect(count).toBe(withHist.length);

    // alerts on the network's z (alertOn: ddp) fire exactly when it crosses the threshold
    const tracker = new AlertTracker({ threshold: 3, source: 'ddp', log: null });
    const alerts = withHist.map((r) => tracker.offer(r)).filter((a) => a !== undefined);
    const firstAbove = withHist.findIndex((r) => r.ddp!.valid && r.ddp!.zMax >= 3);
    expect(alerts.length > 0).toBe(firstAbove >= 0);
    if (alerts[0]) {
      expect(alerts[0].by).toBe('ddp');
      expect(alerts[0].z).toBe(withHist[firstAbove]!.ddp!.zMax);
    }
    // either: the larger of the two Z's of each result
    const either = new AlertTracker({ threshold: 3, source: 'either', log: null });
    const first = withHist.map((r) => either.offer(r)).find((a) => a !== undefined);
    const r0 = withHist.find(
      (r) => Math.max(r.ddp!.valid ? r.ddp!.zMax : -1, r.valid ? (r.significance?.z ?? -1) : -1) >= 3,
    );
    expect(first?.resultCreatedAt).toBe(r0?.createdAt);
  });

  it('rejects a model file that is not a Znet3 model', async () => {
    const t = parseTopology(topology('fit').replace('../models/ddp-znet3.json', '../package.json'), topologyFile);
    await expect(
      compileTopology(t, { file: topologyFile, runId: 'x', source: memorySource(10, 10, 1) }),
    ).rejects.toThrow(/not a Znet3 model/);
  });
});
