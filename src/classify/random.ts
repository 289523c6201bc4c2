/**
 * Small seeded pseudo-random generators. Every random step in classify/ (validation splits, fold assignment,
 * bootstrap, network initialisation seeds) takes one of these so that the same seed gives the same result in one
 * process or many.
 */

/** mulberry32: 32-bit state, fast, good enough for shuffling and splits (not for cryptography). */
export function mulberry32(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derive an independent seed for member `k` of something seeded with `seed` (splitmix-style mixing). */
export function deriveSeed(seed: number, k: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(k + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** In-place Fisher–Yates shuffle of an index array. */
export function shuffleInPlace(a: Uint32Array, rand: () => number): Uint32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** 0..n-1 as a Uint32Array. */
export function iota(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}
