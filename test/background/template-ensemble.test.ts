/**
 * An ensemble of template models from `sideband run` (`background.templates: 2` on topologies/cms2024-cathode.yaml):
 * each window learns two CATHODE templates from their own seeds, classifier member m trains against template
 * m mod 2, and the result reports both templates' fidelity; the members' spread, which the fit takes as its
 * per-bin uncertainty, then includes the templates'.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WindowResult } from '../../src/events/result.js';
import { sidebandRun } from '../helpers/cli.js';

function run(sets: string[]): WindowResult[] {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'sideband-template-ensemble-')), 'out');
  const r = sidebandRun('topologies/cms2024-cathode.yaml', out, [
    'source.events=120000',
    'background.training.epochs=2',
    'classifier.ensemble=2',
    ...sets,
  ]);
  expect([0, 4]).toContain(r.status);
  return r.results;
}

describe('an ensemble of template models', () => {
  it('trains the classifier members against different templates and reports each one', () => {
    const one = run([]);
    const two = run(['background.templates=2']);
    expect(two.length).toBe(one.length);
    let differs = 0;
    for (const w of two) {
      const t = w.model!.template!;
      expect(t.templates).toBe(2);
      expect(t.memberFidelity!.aucVsData).toHaveLength(2);
      expect(t.memberFidelity!.aucVsTruth).toHaveLength(2);
      const [a, b] = t.memberFidelity!.aucVsData as number[];
      expect(a).toBeGreaterThan(0.4);
      expect(b).toBeGreaterThan(0.4);
      // Template 0 is the single-template run's; template 1 has its own seed.
      const single = one.find((o) => o.key!.split('/').slice(1).join('/') === w.key!.split('/').slice(1).join('/'))!;
      expect(a).toBe(single.model!.template!.fidelity!.aucVsData);
      if (a !== b) differs++;
      // Member 1 learnt against the second template, so the selection is not the single-template one.
      expect(w.histogram?.spread).toBeDefined();
    }
    expect(differs).toBeGreaterThan(0);
    const counts = (rs: WindowResult[]) => JSON.stringify(rs.map((r) => r.histogram?.counts));
    expect(counts(two)).not.toBe(counts(one));
  }, 400_000);
});
