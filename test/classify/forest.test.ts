/** A flattened HGB model scores exactly as the model it came from (same comparisons, same order of additions). */
import { describe, expect, it } from '@jest/globals';
import { binForForest, flattenHgb, forestNodes, scoreBinned, scoreForest } from '../../src/classify/forest.js';
import { fitHgb, predictRaw } from '../../src/classify/hgb.js';
import { labelledColumns } from './synthetic.js';

describe('flattenHgb / scoreBinned', () => {
  it('gives the logits the reference tree walk (predictRaw) gives, bit for bit, NaN features included', () => {
    const n = 3000;
    const { cols, y } = labelledColumns(n, 11);
    const model = fitHgb({ columns: cols, y }, { maxIter: 25, maxLeafNodes: 16, minSamplesLeaf: 10, seed: 3 });
    const forest = flattenHgb(model);
    expect(forest.roots.length).toBe(model.trees.length);
    expect(forestNodes(forest)).toBe(model.trees.reduce((a, t) => a + t.feature.length, 0));
    // Fresh events the model never saw, some outside the training range (first and last bins).
    const fresh = labelledColumns(n, 12).cols;
    fresh[0]![5] = -10;
    fresh[1]![6] = 1e9;
    const out = new Float64Array(n);
    scoreForest(forest, fresh, n, out);
    const ref = predictRaw(model, fresh);
    expect(out.every((v, k) => Object.is(v, ref[k]))).toBe(true);
    // A prefix of a batch (scoring n < column length) and a shared binning give the same bits.
    const bins = binForForest(forest, fresh, 1000);
    const part = new Float64Array(1000);
    scoreBinned(forest, bins, 1000, part);
    expect(part.every((v, k) => Object.is(v, ref[k]))).toBe(true);
  });

  it('is deterministic: the same seed gives the same packed forest and scores', () => {
    const { cols, y } = labelledColumns(2000, 21);
    const a = flattenHgb(fitHgb({ columns: cols, y }, { maxIter: 10, seed: 5 }));
    const b = flattenHgb(fitHgb({ columns: cols, y }, { maxIter: 10, seed: 5 }));
    expect(Array.from(a.nodes)).toEqual(Array.from(b.nodes));
    expect(Array.from(a.value)).toEqual(Array.from(b.value));
    const sa = new Float64Array(2000);
    const sb = new Float64Array(2000);
    scoreForest(a, cols, 2000, sa);
    scoreForest(b, cols, 2000, sb);
    expect(Array.from(sa)).toEqual(Array.from(sb));
  });

  it('names a feature-count mismatch and a short bin buffer', () => {
    const cols = [Float32Array.of(0, 1, 0, 1), Float32Array.of(1, 0, 1, 0)];
    const model = fitHgb({ columns: cols, y: Uint8Array.of(0, 1, 0, 1) }, { maxIter: 2, minSamplesLeaf: 1 });
    expect(() => scoreForest(flattenHgb(model), [cols[0]!], 4, new Float64Array(4))).toThrow(/2 features, got 1/);
    expect(() => scoreBinned(flattenHgb(model), new Uint8Array(3), 4, new Float64Array(4))).toThrow(/need 8 bins/);
  });
});
