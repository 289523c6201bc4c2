import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTopology } from '../../src/run.js';
import { loadTopology, parseTopology } from '../../src/topology/load.js';
import { repoRoot } from '../helpers/paths.js';

const file = path.join(repoRoot, 'topologies/conrad-tail.yaml');
const jsonl = (f: string) =>
  readFileSync(f, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('sideband run topologies/conrad-tail.yaml (CONRAD, seed 004)', () => {
  it('runs the tail search end to end on a small generated stream: ABCD prediction, observation, Z per working point', async () => {
    // 120k events (60k gamma+jets control), 150 signal events, a short flow and one tree ensemble member.
    const t = await loadTopology(file, [
      'source.events=120000',
      'source.signals=["mA=2500,mB=300,mC=100,n=150"]',
      'conrad.flow.epochs=4',
      'conrad.classifier.ensemble=1',
      'workingPoints=[0.1, 0.01]',
    ]);
    const out = mkdtempSync(path.join(tmpdir(), 'sideband-conrad-'));
    const { summary, results, outDir } = await runTopology(t, { file, outDir: out });
    expect(summary.status).toBe('ok');
    expect(summary.events.read).toBe(120_000);
    const lines = jsonl(path.join(outDir, 'results.jsonl'));
    expect(lines).toHaveLength(2);
    expect(results.map((r) => r.workingPoint)).toEqual([0.1, 0.01]);
    for (const r of lines) {
      const a = r.abcd;
      expect(r.model.background).toBe('conrad');
      expect(a.predicted).toBeCloseTo((a.counts.B * a.counts.C) / a.counts.D, 9);
      expect(a.observed).toBe(a.counts.A);
      // Only the data enter the ABCD: every non-control event sits in exactly one of A, B, C, D.
      expect(a.counts.A + a.counts.B + a.counts.C + a.counts.D).toBe(120_000 - 60_000);
      expect(a.control.events).toBe(60_000);
      expect(r.valid).toBe(true);
      expect(r.significance.z).toBeGreaterThan(0);
      expect(r.significance.expected).toBe(a.predicted);
    }
    // The loose working point's prediction matches the true background of A within its Poisson spread.
    const loose = lines[0].abcd;
    expect(Math.abs(loose.truth.backgroundA - loose.predicted)).toBeLessThan(4 * Math.sqrt(loose.predicted));
    const s = JSON.parse(readFileSync(path.join(outDir, 'summary.json'), 'utf8'));
    expect(s.abcd.map((x: { workingPoint: number }) => x.workingPoint)).toEqual([0.1, 0.01]);
    expect(s.abcd[1].observed).toBe(lines[1].abcd.observed);
    expect(readFileSync(path.join(outDir, 'report.html'), 'utf8')).toMatch(
      /ABCD in \(score, met\) at false-positive rate 0\.01/,
    );
  });

  it('validates the conrad block strictly, naming the bad field', () => {
    const text = readFileSync(file, 'utf8');
    expect(() => parseTopology(text, 'x.yaml', ['conrad.tailFeature=3'])).toThrow(/conrad\.tailFeature/);
    expect(() => parseTopology(text, 'x.yaml', ['conrad.flow.epochz=3'])).toThrow(/epochz/);
  });

  it('says why a window without a sideband below the tail cannot be analysed', async () => {
    const t = await loadTopology(file, ['windows.sb=[[1000, 1200]]', 'source.events=1000']);
    await expect(
      runTopology(t, { file, outDir: mkdtempSync(path.join(tmpdir(), 'sideband-conrad-')) }),
    ).rejects.toThrow(/one SB lies just below/);
  });
});
