/**
 * Seeded randomness of the neural engine. Uniform streams are the project's mulberry32 (src/stats/random.ts):
 * weight initialisation, batch shuffles, flow samples. Dropout masks use a counter-based hash of
 * (key, element id) instead (kernels/hash.ts), so a mask never depends on thread count or evaluation order; keys
 * are derived here with the same murmur3 finaliser.
 */
import { mulberry32 } from '../stats/random.js';

export { mulberry32 };

/** murmur3 fmix32 of a 32-bit value. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit key mixed from integers (seed, layer id, step ...): order matters, any count. */
export function mixKey(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) h = fmix32((h ^ (p >>> 0)) + 0x9e3779b9 + ((h << 6) >>> 0) + (h >>> 2));
  return h >>> 0;
}

/** Standard normal deviates from a seeded uniform stream (Box-Muller, both values used). */
export function normalStream(seed: number): () => number {
  const u = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let a = u();
    while (a <= 0) a = u();
    const b = u();
    const r = Math.sqrt(-2 * Math.log(a));
    spare = r * Math.sin(2 * Math.PI * b);
    return r * Math.cos(2 * Math.PI * b);
  };
}

/** In-place Fisher-Yates shuffle of an index array. */
export function shuffle(a: Uint32Array, rand: () => number): Uint32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}
