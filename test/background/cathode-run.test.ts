/**
 * topologies/cms2024-cathode.yaml from `sideband run`, on a small generated stream: every window result names the
 * CATHODE template it was selected against and carries the template's fidelity, and the report draws the template
 * beside the SR data per feature.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sidebandRun } from '../helpers/cli.js';

describe('cms2024-cathode from sideband run', () => {
  it('learns a CATHODE template per window and reports it with its fidelity', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'sideband-cathode-')), 'out');
    const r = sidebandRun('topologies/cms2024-cathode.yaml', out, [
      'source.events=150000',
      'background.training.epochs=3',
      'classifier.ensemble=2',
    ]);
    expect([0, 4]).toContain(r.status);
    const results = r.results;
    expect(results.length).toBeGreaterThan(0);
    for (const w of results) {
      expect(w.model?.background).toBe('cathode');
      const t = w.model!.template!;
      expect(t.model).toBe('cathode');
      expect(t.oversample).toBe(4);
      expect(t.templateEvents).toBe(Math.round(4 * t.srEvents));
      expect(t.epochs).toBe(3);
      expect(t.fidelity!.valid).toBe(true);
      expect(t.fidelity!.aucVsData).toBeGreaterThan(0.4);
      expect(t.fidelity!.aucVsTruth).toBeGreaterThan(0.4);
      // Per feature: data, template (scaled to the data's count) and true background on the same bins.
      expect(t.distributions!.length).toBeGreaterThan(1);
      for (const d of t.distributions!) {
        expect(d.edges).toHaveLength(d.data.length + 1);
        const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
        expect(sum(d.data)).toBe(w.counts.sr);
        expect(sum(d.template)).toBeCloseTo(sum(d.data), 6);
        expect(sum(d.background!)).toBeLessThanOrEqual(sum(d.data));
        expect(sum(d.background!)).toBeGreaterThan(0.9 * sum(d.data));
      }
    }
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    for (const id of new Set(results.map((w) => w.window.id))) expect(html).toContain(`id="fig-template-${id}"`);
    expect(html).toContain('template beside the SR data');
  }, 300_000);
});
