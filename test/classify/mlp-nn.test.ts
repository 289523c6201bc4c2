import { describe, expect, it } from '@jest/globals';
import { mlpPresets } from '../../src/classify/mlp.js';
import { fitMlp, predictMlp } from '../../src/classify/mlp-nn.js';
import { auc, rocCurve } from '../../src/classify/metrics.js';
import { mulberry32 } from '../../src/classify/random.js';

function problem(n: number, seed: number) {
  const rand = mulberry32(seed);
  const a = Float32Array.from({ length: n }, () => rand() * 2 - 1);
  const b = Float32Array.from({ length: n }, () => rand() * 2 - 1);
  const y = Uint8Array.from({ length: n }, (_, i) => (a[i]! * a[i]! + b[i]! * b[i]! < 0.5 ? 1 : 0));
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  return { a, b, y, train: all.filter((i) => i % 4 !== 0), val: all.filter((i) => i % 4 === 0) };
}

describe('MLP on the nn engine', () => {
  it('trains seed 001’s 64-32-8-1 network on a separable problem; same seed, same model', async () => {
    const { a, b, y, train, val } = problem(3000, 3);
    const params = { ...mlpPresets['mlp-atlas2020'], batchSize: 128, maxEpochs: 30 };
    let calls = 0;
    const model = await fitMlp({ columns: [a, b], y, rows: train, validationRows: val }, params, {
      onEpoch: () => calls++,
    });
    expect(model.backend).toBe('nn-wasm');
    expect(model.layers.map((l) => l.units)).toEqual([64, 32, 8, 1]);
    expect(model.layers[0]!.kernel.length).toBe(2 * 64);
    expect(model.validationLoss.length).toBe(model.epochs);
    expect(calls).toBe(model.epochs);
    const p = predictMlp(model, [a, b], val);
    expect(
      auc(
        rocCurve(
          p,
          Array.from(val, (i) => y[i]!),
        ),
      ),
    ).toBeGreaterThan(0.9);
    const again = await fitMlp({ columns: [a, b], y, rows: train, validationRows: val }, params);
    expect(Array.from(again.layers[1]!.kernel)).toEqual(Array.from(model.layers[1]!.kernel));
    expect(again.validationLoss).toEqual(model.validationLoss);
  });

  it('trains seed 000’s 64-64-64-1 network with dropout and event weights, stopping early', async () => {
    const { a, b, y, train, val } = problem(4000, 8);
    const weight = Float32Array.from({ length: y.length }, (_, i) => (y[i] ? 2 : 1));
    const model = await fitMlp(
      { columns: [a, b], y, weight, rows: train, validationRows: val },
      { ...mlpPresets['mlp-atlas2024'], batchSize: 256, maxEpochs: 200, patience: 3 },
    );
    expect(model.layers.map((l) => l.units)).toEqual([64, 64, 64, 1]);
    expect(model.epochs).toBeLessThan(200);
    // the restored weights are those of the best validation epoch: their loss is the minimum of the curve
    const p = predictMlp(model, [a, b], val);
    let num = 0;
    let den = 0;
    val.forEach((r, i) => {
      const q = Math.min(Math.max(p[i]!, 1e-7), 1 - 1e-7);
      num -= weight[r]! * (y[r] ? Math.log(q) : Math.log(1 - q));
      den += weight[r]!;
    });
    expect(num / den).toBeCloseTo(Math.min(...model.validationLoss), 4);
    expect(
      auc(
        rocCurve(
          p,
          Array.from(val, (i) => y[i]!),
        ),
      ),
    ).toBeGreaterThan(0.9);
  });
});
