/**
 * Small seeded pseudo-random generators. Every random step in classify/ (validation splits, fold assignment,
 * bootstrap, network initialisation seeds) takes one of these so that the same seed gives the same result in one
 * process or many.
 */
import { mulberry32 as statsMulberry32 } from '../stats/random.js';

/**
 * mulberry32 (src/stats/random.ts) started from the seed mixed with the golden-ratio constant, so that classify's
 * streams stay apart from the statistics engine's for the same topology seed.
 */
export function mulberry32(seed: number): () => number {
  return statsMulberry32((seed >>> 0) ^ 0x9e3779b9);
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
