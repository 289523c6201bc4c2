import { describe, expect, it } from '@jest/globals';
import { validateClassifier } from '../../src/topology/classifier-schema.js';

describe('classifier block of a topology', () => {
  it('fills defaults, takes the topology seed, and rejects bad kinds, ranges and unknown keys with the field path', () => {
    const ok = validateClassifier({ kind: 'hgb' }, 7, 't.yaml');
    expect(ok.ensemble).toBe(10);
    expect(ok.folds).toBe(5);
    expect(ok.seed).toBe(7);
    expect(ok.workingPoints).toEqual([0.1, 0.02, 0.01]);
    expect(() => validateClassifier({ kind: 'svm' }, 1, 't.yaml')).toThrow(
      /t\.yaml: classifier\.kind: must be one of hgb, .*, got 'svm'$/,
    );
    expect(() => validateClassifier({ kind: 'hgb', hgb: { maxBins: 300 } }, 1, 't.yaml')).toThrow(
      /classifier\.hgb\.maxBins/,
    );
    expect(() => validateClassifier({ kind: 'hgb', folds: 5, unknownKey: 1 }, 1, 't.yaml')).toThrow(
      't.yaml: classifier.unknownKey: unknown key (known: kind, ensemble, folds, cv, candidates, combine, workingPoints, thresholdFrom, equalSidebandWeights, ecdfFeatures, ecdfEdges, reweightSidebands, seed, workers, maxQueued, sicMinBackground, maxTrainEvents, hgb, backend, mlp), got 1',
    );
  });
});
