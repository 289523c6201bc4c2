/**
 * Seeded randomness for pseudo-experiments. Every random step in sideband takes a seed so that the same
 * topology and seed give identical results; the Poisson sampler is @stdlib's (MT19937 underneath), seeded here.
 */
import poisson from '@stdlib/random-base-poisson';

/** One draw from Poisson(λ). λ = 0 gives 0. */
export type PoissonSampler = (lambda: number) => number;

/** A Poisson sampler with its own generator state, reproducible for a given integer seed. */
export function seededPoisson(seed: number): PoissonSampler {
  // MT19937 seeds are uint32; fold any integer (or negative) seed into that range deterministically.
  const s = Math.trunc(seed) >>> 0 || 1;
  const draw = poisson.factory({ seed: s });
  return (lambda: number) => (lambda > 0 ? draw(lambda) : 0);
}

/** mulberry32: a tiny seeded uniform generator for tests and toy spectra (not for cryptography). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
