/**
 * Seed 003's QUAK end to end from `sideband run` (topologies/cms2024-quak.yaml): flows on simulated background and
 * on a simulated signal mixture, trained once; every window's contour in the QUAK space keeps its table efficiency
 * of the weighted sidebands and selects the injected signal.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTopology } from '../../../src/run.js';
import { loadTopology } from '../../../src/topology/load.js';
import { repoRoot } from '../../helpers/paths.js';

describe('sideband run topologies/cms2024-quak.yaml', () => {
  it('trains both flows once on simulation and selects the injected signal in its windows', async () => {
    const file = path.join(repoRoot, 'topologies', 'cms2024-quak.yaml');
    const t = await loadTopology(file, ['sinks.report=false', 'method.flow.epochs=8']);
    const out = mkdtempSync(path.join(tmpdir(), 'sideband-cms-quak-'));
    const logs: string[] = [];
    const { results, run } = await runTopology(t, { file, outDir: out, log: (m) => logs.push(m) });
    expect(results).toHaveLength(12);
    expect(logs.filter((m) => m.startsWith('quak: flows on'))).toHaveLength(1);
    const byId = new Map(results.map((r) => [r.window.id, r]));
    // The 3 TeV resonances sit in B3 (2725-3331 GeV): the selection is much purer than the SR.
    const b3 = byId.get('B3')!;
    const all = run.buffers.store.gather(2725, 3331);
    const srPurity = all.label!.reduce((a, b) => a + b, 0) / all.n;
    const sel = b3.histogram!.counts.reduce((a, b) => a + b, 0);
    const sig = b3.histogram!.signal!.reduce((a, b) => a + b, 0);
    expect(sel).toBeGreaterThan(10);
    expect(sig / sel).toBeGreaterThan(2 * srPurity);
    expect(b3.model!.background).toBe('simulation (flow)');
    // Signal-free low-mass window: about its 1 % of the window's events.
    const a1 = byId.get('A1')!;
    const frac = a1.histogram!.counts.reduce((a, b) => a + b, 0) / (a1.counts.sr + a1.counts.sbLow + a1.counts.sbHigh);
    expect(frac).toBeGreaterThan(0.002);
    expect(frac).toBeLessThan(0.03);
    const b6 = byId.get('B6')!;
    expect(b6.valid).toBe(false);
    expect(b6.error).toMatch(/too few sideband events/);
  }, 240000);
});
