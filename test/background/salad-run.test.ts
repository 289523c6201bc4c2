/**
 * topologies/atlas2024-salad.yaml from `sideband run`, on a small generated stream and one window: the simulation
 * source is read through the data's stages into its own buffers (the run's counts stay the data's), every window
 * result names the SALAD template, its reweighting and fidelity; and the topology's validation names what is
 * missing when a SALAD topology declares no simulation, or a simulation that cannot be read to its end.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { WindowResult } from '../../src/events/result.js';
import { parseTopology } from '../../src/topology/load.js';
import { repoRoot } from '../helpers/paths.js';

const file = path.join(repoRoot, 'topologies/atlas2024-salad.yaml');

describe('atlas2024-salad from sideband run', () => {
  it('reweights the simulation in each window and reports the template with its fidelity', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'sideband-salad-')), 'out');
    const set = [
      'source.events=150000',
      'simulation.events=150000',
      'windows.firstCentre=3500',
      'windows.lastCentre=3500',
      'background.reweighter.maxEpochs=8',
      'classifier.ensemble=2',
    ].flatMap((s) => ['--set', s]);
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin/sideband.js'), 'run', file, '--out', out, ...set], {
      encoding: 'utf8',
    });
    expect([0, 4]).toContain(r.status);
    expect(r.stderr + r.stdout).toMatch(/simulation: generator: 150000 events, seed 4202.*simulation \(mismodelled/);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
      events: { read: number };
    };
    expect(summary.events.read).toBe(150000);
    const results = readFileSync(path.join(out, 'results.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as WindowResult);
    expect(results.length).toBe(3);
    for (const w of results) {
      expect(w.model?.background).toBe('salad');
      const t = w.model!.template!;
      expect(t.model).toBe('salad');
      expect(t.epochs).toBeLessThanOrEqual(8);
      const rw = t.reweighting!;
      expect(rw.simulationSbEvents).toBeGreaterThan(1000);
      expect(rw.dataSbEvents).toBeGreaterThan(1000);
      expect(t.templateEvents).toBeGreaterThan(200);
      expect(rw.effectiveEvents).toBeLessThanOrEqual(t.templateEvents);
      expect(t.fidelity!.valid).toBe(true);
      expect(t.fidelity!.aucVsTruth).toBeGreaterThan(0.4);
      // The simulation as it was, measured beside the template: what the weights corrected.
      expect(t.fidelity!.unweighted!.aucVsTruth).toBeGreaterThan(0.4);
      expect(t.fidelity!.unweighted!.aucVsData).toBeGreaterThan(0.4);
    }
  }, 60_000);
});

describe('the simulation source in a topology', () => {
  const text = readFileSync(file, 'utf8');
  const without = (key: string) => {
    const doc = YAML.parse(text) as Record<string, unknown>;
    delete doc[key];
    return YAML.stringify(doc);
  };

  it('is required by background.model salad, with an error that says where to declare it', () => {
    expect(() => parseTopology(without('simulation'), 'salad.yaml')).toThrow(
      /salad\.yaml.*simulation: background\.model 'salad' reweights simulated events: declare them as a `simulation:` source block/s,
    );
  });

  it('is read by nothing but salad, must be finite, and is checked as a source', () => {
    expect(() => parseTopology(text, 'x.yaml', ['background.model=cathode'])).toThrow(
      /simulation: only background\.model 'salad' reads a simulation source \(model is cathode\)/,
    );
    expect(() => parseTopology(without('background'), 'x.yaml')).toThrow(/only background\.model 'salad'/);
    expect(() => parseTopology(text, 'x.yaml', ['simulation.kind=kafka'])).toThrow(
      /simulation\.kind: a simulation is read in full before the data stream: use a finite source/,
    );
    expect(() => parseTopology(text, 'x.yaml', ['simulation.mode=mc'])).toThrow(/simulation\.mode/);
    expect(() => parseTopology(text, 'x.yaml', ['simulation.events=-1'])).toThrow(/simulation\.events/);
    const t = parseTopology(text, 'x.yaml');
    expect(t.simulation).toMatchObject({ kind: 'generator', mode: 'simulation', seed: 4202 });
    expect(t.background?.reweighter.hidden).toEqual([64, 64, 64]);
  });
});
