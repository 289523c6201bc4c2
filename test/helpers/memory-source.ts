import type { EventBatch } from '../../src/events/batch.js';
import type { Source } from '../../src/sources/source.js';

/** In-memory source: a falling mjj spectrum (exponential) with a Gaussian bump, in TeV, with a NaN every 1000th row. */
export function memorySource(n: number, batch: number, seed: number): Source {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    description: 'memory',
    async *batches() {
      for (let start = 0; start < n; start += batch) {
        const len = Math.min(batch, n - start);
        const mjj = new Float64Array(len),
          x = new Float64Array(len),
          label = new Float64Array(len);
        for (let i = 0; i < len; i++) {
          const sig = rnd() < 0.01;
          mjj[i] = sig
            ? 3.5 + 0.05 * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd())
            : 3.0 - 0.4 * Math.log(rnd() + 1e-12);
          x[i] = (start + i) % 1000 === 999 ? NaN : rnd();
          label[i] = sig ? 1 : 0;
        }
        const b: EventBatch = {
          length: len,
          columns: { m: mjj, x, truth: label },
          positions: [{ kind: 'generator', seed, rowStart: start, rowEnd: start + len }],
          rowOffset: start,
        };
        yield b;
      }
    },
  };
}
