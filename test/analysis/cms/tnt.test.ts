/**
 * Seed 003's Tag N' Train end to end from `sideband run` (topologies/cms2024-tnt.yaml): the control-region
 * autoencoder tags one jet, the other jet's classifier learns between the tagged SR events and the rest of the
 * window, and the selection at each window's table efficiency enriches the injected 3 TeV signal.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTopology } from '../../../src/run.js';
import { loadTopology } from '../../../src/topology/load.js';
import { repoRoot } from '../../helpers/paths.js';

describe('sideband run topologies/cms2024-tnt.yaml', () => {
  it('selects about the table efficiency of each window and enriches the injected signal in its window', async () => {
    const file = path.join(repoRoot, 'topologies', 'cms2024-tnt.yaml');
    const t = await loadTopology(file, ['sinks.report=false', 'method.autoencoder.epochs=10']);
    const out = mkdtempSync(path.join(tmpdir(), 'sideband-cms-tnt-'));
    const logs: string[] = [];
    const { results, run } = await runTopology(t, { file, outDir: out, log: (m) => logs.push(m) });
    expect(results).toHaveLength(12);
    expect(logs.filter((m) => m.startsWith('tnt: autoencoder on'))).toHaveLength(1);
    const byId = new Map(results.map((r) => [r.window.id, r]));
    // A1: 1 % of the window's events (the threshold keeps 1 % of the weighted sidebands).
    const a1 = byId.get('A1')!;
    const windowEvents = a1.counts.sr + a1.counts.sbLow + a1.counts.sbHigh;
    const a1Selected = a1.histogram!.counts.reduce((a, b) => a + b, 0);
    expect(a1Selected / windowEvents).toBeGreaterThan(0.003);
    expect(a1Selected / windowEvents).toBeLessThan(0.03);
    expect(a1.model!.classifier).toMatch(/^tnt/);
    // The 3 TeV resonances sit in B3 (2725-3331 GeV): the selection is at least twice as pure as the SR.
    const b3 = byId.get('B3')!;
    const all = run.buffers.store.gather(2725, 3331);
    const srPurity = all.label!.reduce((a, b) => a + b, 0) / all.n;
    const sel = b3.histogram!.counts.reduce((a, b) => a + b, 0);
    const sig = b3.histogram!.signal!.reduce((a, b) => a + b, 0);
    expect(sel).toBeGreaterThan(10);
    expect(sig / sel).toBeGreaterThan(2 * srPurity);
    // Windows too small to train say so and carry no Z.
    const b6 = byId.get('B6')!;
    expect(b6.valid).toBe(false);
    expect(b6.error).toMatch(/too few events/);
  }, 240000);
});
