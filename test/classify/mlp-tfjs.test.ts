import { describe, expect, it } from '@jest/globals';
import { mlpPresets } from '../../src/classify/mlp.js';
import { fitMlp, predictMlp } from '../../src/classify/mlp-tfjs.js';
import { loadTf } from '../../src/training/tfjs-backend.js';
import { auc, rocCurve } from '../../src/classify/metrics.js';
import { mulberry32 } from '../../src/classify/random.js';

describe('MLP on TensorFlow.js', () => {
  it('trains seed 001’s 64-32-8-1 network on a separable problem and reports its backend', async () => {
    const rand = mulberry32(3);
    const n = 3000;
    const a = Float32Array.from({ length: n }, () => rand() * 2 - 1);
    const b = Float32Array.from({ length: n }, () => rand() * 2 - 1);
    const y = Uint8Array.from({ length: n }, (_, i) => (a[i]! * a[i]! + b[i]! * b[i]! < 0.5 ? 1 : 0));
    const all = Uint32Array.from({ length: n }, (_, i) => i);
    const model = await fitMlp(
      { columns: [a, b], y, rows: all.filter((i) => i % 4 !== 0), validationRows: all.filter((i) => i % 4 === 0) },
      { ...mlpPresets['mlp-atlas2020'], batchSize: 128, maxEpochs: 30 },
      await loadTf(),
    );
    expect(['tensorflow', 'wasm', 'cpu']).toContain(model.backend);
    expect(model.layers.map((l) => l.units)).toEqual([64, 32, 8, 1]);
    expect(model.validationLoss.length).toBe(model.epochs);
    const test = all.filter((i) => i % 4 === 0);
    const p = predictMlp(model, [a, b], test);
    expect(
      auc(
        rocCurve(
          p,
          Array.from(test, (i) => y[i]!),
        ),
      ),
    ).toBeGreaterThan(0.9);
  });
});
