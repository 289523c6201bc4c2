import { describe, expect, it } from '@jest/globals';
import { selectWithClassifier, subsampleRows } from '../../src/analysis/cwola-selection.js';
import { runTrainJob, type TrainJob } from '../../src/classify/train-job.js';
import { syntheticSnapshot } from '../classify/synthetic.js';

const edges = Float64Array.from({ length: 31 }, (_, i) => 2600 + 60 * i);

describe('classifier.maxTrainEvents', () => {
  it('subsampleRows keeps round(f·n) rows, ascending, a subset, the same for the same seed', () => {
    const rows = Uint32Array.from({ length: 10_001 }, (_, i) => 3 * i + 1);
    const a = subsampleRows(rows, 0.25, 9);
    expect(a.length).toBe(2500);
    const all = new Set(rows);
    for (let k = 0; k < a.length; k++) {
      expect(all.has(a[k]!)).toBe(true);
      if (k > 0) expect(a[k]!).toBeGreaterThan(a[k - 1]!);
    }
    expect(subsampleRows(rows, 0.25, 9)).toEqual(a);
    expect(subsampleRows(rows, 0.25, 10)).not.toEqual(a);
    // Uniform: the kept rows' mean sits near the mean of all rows (15001; sd of the mean about 150).
    expect(Math.abs(a.reduce((s, x) => s + x, 0) / a.length - 15001)).toBeLessThan(600);
    expect(subsampleRows(rows, 1, 9)).toBe(rows);
  });

  it('trains every model on at most the cap while every event is still scored', async () => {
    const snap = syntheticSnapshot({ nBackground: 12_000, nSignal: 300, seed: 4 });
    const seen: Array<{ train: number; validation: number; scored: number }> = [];
    const train = (job: TrainJob) => {
      seen.push({
        train: job.trainRows.length,
        validation: job.validationRows.length,
        scored: job.scoreRows[0]!.length,
      });
      return runTrainJob(job, {});
    };
    const capped = await selectWithClassifier(
      snap,
      { ensemble: 2, folds: 5, workers: 0, workingPoints: [0.1], hgb: { maxIter: 10 }, maxTrainEvents: 2000 },
      { edges },
      { train },
    );
    expect(seen).toHaveLength(10);
    for (const s of seen) {
      expect(s.train).toBe(2000);
      // Validation keeps the training share's proportion: one fold against three, a third of 2000.
      expect(Math.abs(s.validation - 2000 / 3)).toBeLessThanOrEqual(40);
    }
    // The test folds of a member cover every event of the window.
    expect(seen.slice(0, 5).reduce((a, s) => a + s.scored, 0)).toBe(snap.n);
    const counts = capped[0]!.histogram.counts.reduce((a, b) => a + b, 0);
    expect(counts).toBeGreaterThan(0);
    // The same seed gives the same capped selection.
    const again = await selectWithClassifier(
      snap,
      { ensemble: 2, folds: 5, workers: 0, workingPoints: [0.1], hgb: { maxIter: 10 }, maxTrainEvents: 2000 },
      { edges },
      { train: (job) => runTrainJob(job, {}) },
    );
    expect(again[0]!.histogram.counts).toEqual(capped[0]!.histogram.counts);
  }, 60_000);
});
