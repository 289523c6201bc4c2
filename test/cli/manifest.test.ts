/** manifest.json: what a run was made from (src/sinks/manifest.ts), written by the real binary. */
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../../src/sinks/manifest.js';
import { parseTopology } from '../../src/topology/load.js';
import { repoRoot } from '../helpers/paths.js';
import { generateParquet, parquetTopology, scratch, sideband } from './helpers.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const version = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;

describe('run manifest', () => {
  it('records the inputs, the topology and its sha256 after --set, the seed, versions, times and the status', () => {
    const dir = scratch();
    const events = path.join(dir, 'events.parquet');
    generateParquet(events, 3000);
    const topo = parquetTopology(dir, events);
    const out = path.join(dir, 'out');
    const sets = ['seed=11', 'binning.width=50'];
    const r = sideband(['run', topo, '--out', out, '--quiet', ...sets.flatMap((s) => ['--set', s])]);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const text = readFileSync(topo, 'utf8');
    expect(m.topology).toEqual({
      file: topo,
      name: 'pq',
      fileSha256: sha(text),
      sha256: sha(canonicalJson(parseTopology(text, topo, sets))),
      overrides: sets,
    });
    expect(m).toMatchObject({ status: 'ok', exitCode: 0, seed: 11, source: 'parquet', output: out });
    expect(m.inputs).toEqual([
      { path: events, bytes: statSync(events).size, mtime: statSync(events).mtime.toISOString(), rows: 3000 },
    ]);
    expect(m.versions.sideband).toBe(version(repoRoot));
    expect(m.versions.node).toBe(process.version);
    for (const d of ['hyparquet', 'rxjs', 'apache-arrow', 'kafkajs', '@tensorflow/tfjs'])
      expect(m.versions.dependencies[d]).toBe(version(path.join(repoRoot, 'node_modules', d)));
    expect(Date.parse(m.finished)).toBeGreaterThanOrEqual(Date.parse(m.started));
    expect(m.runId).toBe(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')).runId);
  });

  it('hashes equal topologies equally whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
  });
});
