import { describe, expect, it } from '@jest/globals';
import { selectWithClassifier } from '../../src/analysis/cwola-selection.js';
import { runTrainJob } from '../../src/classify/train-job.js';
import { syntheticSnapshot } from '../classify/synthetic.js';

const inline = { train: (job: Parameters<typeof runTrainJob>[0]) => runTrainJob(job, {}) };
const edges = Float64Array.from({ length: 31 }, (_, i) => 2600 + 60 * i);

describe('CWoLa ensemble diversity in ModelInfo', () => {
  const snap = syntheticSnapshot({ nBackground: 3000, nSignal: 200, seed: 9 });
  const cfg = { ensemble: 1, cv: 'atlas2020' as const, candidates: 2, workers: 0, workingPoints: [0.1] };

  it("seed 001's candidates are identical without subsampling (correlation 1), distinct with it", async () => {
    const plain = await selectWithClassifier(snap, { ...cfg, hgb: { maxIter: 10, subsample: 1 } }, { edges }, inline);
    expect(plain[0]!.model.candidateCorrelation).toBeCloseTo(1, 12);
    const sub = await selectWithClassifier(
      snap,
      { ...cfg, hgb: { maxIter: 10, subsample: 0.5, colsampleByTree: 0.5 } },
      { edges },
      inline,
    );
    expect(sub[0]!.model.candidateCorrelation).toBeLessThan(0.99);
  });

  it('reports the members’ rank correlation over the SR events', async () => {
    const res = await selectWithClassifier(
      snap,
      { ensemble: 2, folds: 5, workers: 0, workingPoints: [0.1], hgb: { maxIter: 10 } },
      { edges },
      inline,
    );
    const c = res[0]!.model.memberCorrelation!;
    expect(c).toBeGreaterThan(-1);
    expect(c).toBeLessThan(1);
    expect(res[0]!.model.candidateCorrelation).toBeUndefined();
  });
});
