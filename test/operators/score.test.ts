/**
 * Near-online triggering from `runTopology` (trigger.online): between retrainings the window's ensemble scores every
 * new batch, so Z moves with the stream, and the end-of-stream results are those of a batch run of the whole stream.
 * The source holds its second half until the first training has finished, so that the online part is not a race.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EventBatch } from '../../src/events/batch.js';
import type { WindowResult } from '../../src/events/result.js';
import { runTopology } from '../../src/run.js';
import { GeneratorSource, parseResonanceSpec } from '../../src/sources/generator.js';
import type { Source } from '../../src/sources/source.js';
import { parseTopology } from '../../src/topology/load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sideband-online-'));
const EVENTS = 240_000;
const BATCH = 8000;
const text = (trigger: string) => `name: online-test
seed: 7
source: { kind: generator, events: ${EVENTS}, mjjMin: 2000, batchSize: ${BATCH}, signals: ["mA=3500,mB=500,mC=100,n=300"] }
columns: { jet1_pt: GeV, jet1_eta: none, jet1_phi: none, jet1_m: GeV, jet1_tau1: none, jet1_tau2: none, jet2_pt: GeV, jet2_eta: none, jet2_phi: none, jet2_m: GeV, jet2_tau1: none, jet2_tau2: none }
label: label
derive: { mjj: fourvector, features: [delta_y] }
cuts: atlas2024
windows: { scheme: single, sr: [3200, 3800], sb: [[2600, 3200], [3800, 4400]] }
features: [mj_min, tau21_lighter, tau21_heavier]
trigger: ${trigger}
binning: { width: 60 }
classifier: { kind: hgb, ensemble: 2, folds: 5, workers: 1, hgb: { maxIter: 30, nIterNoChange: 10 } }
workingPoints: [0.1, 0.02]
sinks: { report: false }
`;

/** The generator's stream, held after `holdAfter` batches until `release` resolves (or 120 s pass). */
function heldSource(holdAfter: number, release: Promise<void>): Source {
  const gen = new GeneratorSource({
    events: EVENTS,
    seed: 7,
    batchSize: BATCH,
    mjjMin: 2000,
    signals: [parseResonanceSpec('mA=3500,mB=500,mC=100,n=300')],
  });
  return {
    description: `held ${gen.description}`,
    async *batches(): AsyncIterable<EventBatch> {
      let k = 0;
      for await (const b of gen.batches()) {
        yield b;
        if (++k === holdAfter) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([release, new Promise((r) => (timer = setTimeout(r, 120_000)))]);
          clearTimeout(timer);
        }
      }
    },
  };
}

async function run(trigger: string, name: string, holdAfter?: number): Promise<WindowResult[]> {
  let trained!: () => void;
  const release = new Promise<void>((r) => {
    trained = r;
  });
  const r = await runTopology(parseTopology(text(trigger), `${name}.yaml`), {
    file: path.join(dir, `${name}.yaml`),
    outDir: path.join(dir, name),
    runId: 'online-test',
    ...(holdAfter ? { source: heldSource(holdAfter, release) } : {}),
    progress: () => ({ result: () => {}, stop: () => {}, observer: { modelTrained: () => trained() } }),
  });
  return r.results;
}

/** What a final result says, without its timing. */
function essence(r: WindowResult): unknown {
  const { createdAt, batchArrivedAt, model, ...rest } = r;
  void createdAt;
  void batchArrivedAt;
  const { trainSeconds, ...m } = model ?? ({} as NonNullable<WindowResult['model']>);
  void trainSeconds;
  return { ...rest, model: m };
}

describe('score (trigger.online)', () => {
  it('moves Z with every batch between retrainings and ends with the batch result of the whole stream', async () => {
    const online = await run('{ minSrEvents: 500, growthFactor: 1.3, online: true }', 'online', 12);
    const batch = await run('{ minSrEvents: 1000000000 }', 'batch');

    const trained = online.filter((r) => r.trigger === 'threshold' || r.trigger === 'growth');
    expect(trained.some((r) => r.trigger === 'threshold')).toBe(true);
    // Retrainings after the first reuse its binning (HGB warm start), and say so; the first starts from scratch.
    expect(trained.find((r) => r.trigger === 'threshold')?.model?.warmStart).toBe('none');
    expect(trained.some((r) => r.trigger === 'growth' && r.model?.warmStart === 'binning')).toBe(true);
    const scored = online.filter((r) => r.trigger === 'online');
    expect(new Set(scored.map((r) => String(r.workingPoint)))).toEqual(new Set(['0.1', '0.02']));
    // After the hold every later batch is scored, by the ensemble of a training that finished.
    const sequences = new Set(trained.map((r) => Number(r.key!.slice(r.key!.lastIndexOf('/') + 1))));
    for (const r of scored) {
      expect(sequences.has(r.online!.trainedSequence)).toBe(true);
      expect(r.key).toMatch(/\/online-\d+$/);
      expect(r.online!.models).toBe(10);
      // By default each model's table scores the new events; it agrees with the trees on most reference events.
      expect(r.online!.scoring).toBe('lookup');
      expect(r.online!.lookupCells).toBeLessThanOrEqual(1 << 18);
      expect(r.online!.lookupAgreement).toBeGreaterThan(0.8);
      expect(r.online!.lookupAgreement).toBeLessThanOrEqual(1);
    }
    expect(scored.length / 2).toBeGreaterThanOrEqual(EVENTS / BATCH - 12 - 1);
    // Between two retrainings (one training's ensemble): more events each batch, the histogram grows, Z moves.
    const groups = new Map<string, WindowResult[]>();
    for (const r of scored) {
      const k = `${r.workingPoint}/${r.online!.trainedSequence}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    const longest = [...groups.values()].sort((a, b) => b.length - a.length)[0]!;
    expect(longest.length).toBeGreaterThan(3);
    for (let i = 1; i < longest.length; i++)
      expect(longest[i]!.online!.scoredEvents).toBeGreaterThan(longest[i - 1]!.online!.scoredEvents);
    expect(longest[longest.length - 1]!.counts.selected!).toBeGreaterThan(longest[0]!.counts.selected!);
    const zs = longest.filter((r) => r.valid).map((r) => r.significance!.z!);
    expect(new Set(zs.map((z) => z.toFixed(6))).size).toBeGreaterThan(2);
    // Online refits start from the last accepted fit.
    expect(scored.some((r) => r.online?.warmStart !== undefined)).toBe(true);

    const finalOnline = online.filter((r) => r.trigger === 'end').map(essence);
    const finalBatch = batch.filter((r) => r.trigger === 'end').map(essence);
    expect(finalOnline.length).toBe(2);
    expect(finalOnline).toEqual(finalBatch);
  }, 300_000);

  it('walks the trees instead with onlineScoring: exact, and ends with the same batch result', async () => {
    const exact = await run('{ minSrEvents: 500, growthFactor: 1.3, online: true, onlineScoring: exact }', 'exact', 12);
    const scored = exact.filter((r) => r.trigger === 'online');
    expect(scored.length).toBeGreaterThan(10);
    for (const r of scored) {
      expect(r.online!.scoring).toBe('exact');
      expect(r.online!.lookupAgreement).toBeUndefined();
    }
    const batch = await run('{ minSrEvents: 1000000000 }', 'batch-2');
    expect(exact.filter((r) => r.trigger === 'end').map(essence)).toEqual(
      batch.filter((r) => r.trigger === 'end').map(essence),
    );
  }, 300_000);
});
