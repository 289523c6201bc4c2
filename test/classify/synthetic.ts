/** A synthetic window snapshot for classifier tests: smooth background in mjj, a localized signal in the SR. */
import type { WindowSnapshot } from '../../src/events/snapshot.js';
import { mulberry32 } from '../../src/classify/random.js';

export function syntheticSnapshot(opts: { nBackground: number; nSignal: number; seed: number }): WindowSnapshot {
  const rand = mulberry32(opts.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const n = opts.nBackground + opts.nSignal;
  const f0 = new Float32Array(n);
  const f1 = new Float32Array(n);
  const mjj = new Float32Array(n);
  const label = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const sig = i >= opts.nBackground;
    label[i] = sig ? 1 : 0;
    if (sig) {
      mjj[i] = 3500 + 100 * gauss();
      f0[i] = 0.5 + 0.03 * gauss();
      f1[i] = 0.2 + 0.03 * gauss();
    } else {
      // Falling spectrum over [2600, 4400) GeV, features independent of mjj.
      mjj[i] = 2600 + -600 * Math.log(1 - rand() * (1 - Math.exp(-3)));
      f0[i] = rand();
      f1[i] = rand();
    }
  }
  let sr = 0;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    if (mjj[i]! >= 3200 && mjj[i]! < 3800) sr++;
    else if (mjj[i]! >= 2600 && mjj[i]! < 3200) lo++;
    else if (mjj[i]! >= 3800 && mjj[i]! < 4400) hi++;
  }
  return {
    window: {
      id: 'sr-3200-3800',
      sr: [3200, 3800],
      sb: [
        [2600, 3200],
        [3800, 4400],
      ],
    },
    trigger: 'end',
    features: ['f0', 'f1'],
    columns: [f0, f1],
    mjj,
    label,
    n,
    counts: { sr, sbLow: lo, sbHigh: hi },
    cutflow: [],
  };
}

/** Three labelled feature columns for tree tests: two that separate the classes, one with a NaN every 97th event. */
export function labelledColumns(n: number, seed: number): { cols: Float32Array[]; y: Uint8Array } {
  const rand = mulberry32(seed);
  const cols = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rand() < 0.5 ? 1 : 0;
    cols[0]![i] = rand() + 0.3 * y[i]!;
    cols[1]![i] = rand() * (1 + y[i]!);
    cols[2]![i] = i % 97 === 0 ? Number.NaN : rand();
  }
  return { cols, y };
}
