/** A flattened HGB model scores exactly as the model it came from (same comparisons, same order of additions). */
import { describe, expect, it } from '@jest/globals';
import { flattenHgb, forestNodes, scoreForest } from '../../src/classify/forest.js';
import { fitHgb, predictRaw } from '../../src/classify/hgb.js';
import { mulberry32 } from '../../src/classify/random.js';

describe('flattenHgb / scoreForest', () => {
  it('gives the logits predictRaw gives, bit for bit, NaN features included', () => {
    const n = 3000;
    const rand = mulberry32(11);
    const cols = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = rand() < 0.5 ? 1 : 0;
      cols[0]![i] = rand() + 0.3 * y[i]!;
      cols[1]![i] = rand() * (1 + y[i]!);
      cols[2]![i] = i % 97 === 0 ? Number.NaN : rand();
    }
    const model = fitHgb({ columns: cols, y }, { maxIter: 25, maxLeafNodes: 8, minSamplesLeaf: 10, seed: 3 });
    const forest = flattenHgb(model);
    expect(forest.roots.length).toBe(model.trees.length);
    expect(forestNodes(forest)).toBe(model.trees.reduce((a, t) => a + t.feature.length, 0));
    const out = new Float64Array(n);
    scoreForest(forest, cols, n, out);
    expect(Array.from(out)).toEqual(Array.from(predictRaw(model, cols)));
  });

  it('names a feature-count mismatch', () => {
    const cols = [Float32Array.of(0, 1, 0, 1), Float32Array.of(1, 0, 1, 0)];
    const model = fitHgb({ columns: cols, y: Uint8Array.of(0, 1, 0, 1) }, { maxIter: 2, minSamplesLeaf: 1 });
    expect(() => scoreForest(flattenHgb(model), [cols[0]!], 4, new Float64Array(4))).toThrow(/2 features, got 1/);
  });
});
