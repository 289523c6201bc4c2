import { describe, expect, it } from '@jest/globals';
import { GeneratorSource } from '../../src/sources/generator.js';
import type { EventBatch } from '../../src/events/batch.js';

async function all(source: GeneratorSource): Promise<EventBatch[]> {
  const out: EventBatch[] = [];
  for await (const b of source.batches()) out.push(b);
  return out;
}
const concat = (bs: EventBatch[], c: string) => Float32Array.from(bs.flatMap((b) => Array.from(b.columns[c]!)));

describe('generator trigger emulation', () => {
  it('records only events whose leading jet passes the threshold, the same for every batch size', async () => {
    const opts = { events: 40000, seed: 3, mjjMin: 2000, trigger: { leadingJetPt: 1200 } };
    const a = await all(new GeneratorSource({ ...opts, batchSize: 4096 }));
    const b = await all(new GeneratorSource({ ...opts, batchSize: 10000 }));
    const pt1 = concat(a, 'jet1_pt'),
      pt2 = concat(a, 'jet2_pt');
    expect(pt1.length).toBeGreaterThan(0);
    expect(pt1.length).toBeLessThan(40000);
    for (let i = 0; i < pt1.length; i++) expect(Math.max(pt1[i]!, pt2[i]!)).toBeGreaterThanOrEqual(1200);
    expect(concat(b, 'mjj')).toEqual(concat(a, 'mjj'));
  });

  it('applies an mjj efficiency: half the events at m50, nearly none far below', async () => {
    const events = 60000;
    const plain = concat(await all(new GeneratorSource({ events, seed: 4, mjjMin: 2000 })), 'mjj');
    const eff = concat(
      await all(
        new GeneratorSource({ events, seed: 4, mjjMin: 2000, trigger: { mjjEfficiency: { m50: 2600, width: 50 } } }),
      ),
      'mjj',
    );
    const count = (xs: Float32Array, lo: number, hi: number) => xs.filter((m) => m >= lo && m < hi).length;
    expect(count(eff, 2000, 2300) / count(plain, 2000, 2300)).toBeLessThan(0.01);
    expect(count(eff, 2580, 2620) / count(plain, 2580, 2620)).toBeGreaterThan(0.35);
    expect(count(eff, 2580, 2620) / count(plain, 2580, 2620)).toBeLessThan(0.65);
    expect(count(eff, 3000, 4000)).toBe(count(plain, 3000, 4000));
  });

  it('rejects a nonsensical trigger', () => {
    expect(
      () => new GeneratorSource({ events: 10, seed: 1, trigger: { mjjEfficiency: { m50: 0, width: 5 } } }),
    ).toThrow(/m50 > 0/);
  });
});
