/**
 * Seeded mutations of real inputs for the fuzz suite (issue 19): bit flips, truncations, splices (a span copied over
 * another place), and length-field edits (a 4- or 8-byte little-endian word, where lengths and offsets live in
 * Parquet footers and Arrow headers, set to 0, to a huge value, or moved by a few bytes). The same seed gives the
 * same mutants.
 */

/** mulberry32: small, fast, good enough to choose mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type MutationKind = 'bitflip' | 'truncate' | 'splice' | 'length';

export interface Mutant {
  seed: number;
  kind: MutationKind;
  bytes: Uint8Array;
}

/**
 * `count` mutants of `base`, cycling through the kinds. `hot` is a byte range where structure lives (headers,
 * footers): half of the bit flips and length edits land in it.
 */
export function mutants(input: Uint8Array, count: number, seed: number, hot?: [number, number]): Mutant[] {
  // A plain copy: Buffer.prototype.slice is a view, and mutants must not share (or damage) the input's bytes.
  const base = new Uint8Array(input);
  const kinds: MutationKind[] = ['bitflip', 'truncate', 'splice', 'length'];
  const out: Mutant[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng(seed * 100003 + i);
    const kind = kinds[i % kinds.length]!;
    const pick = (n: number) => Math.floor(r() * n);
    const at = (width = 1) => {
      const [lo, hi] = hot && r() < 0.5 ? hot : [0, base.length];
      return lo + pick(Math.max(1, hi - lo - width));
    };
    let bytes: Uint8Array;
    if (kind === 'bitflip') {
      bytes = base.slice();
      for (let k = 1 + pick(4); k > 0; k--) {
        const p = at();
        bytes[p]! ^= 1 << pick(8);
      }
    } else if (kind === 'truncate') {
      bytes = base.slice(0, pick(base.length));
    } else if (kind === 'splice') {
      bytes = base.slice();
      const len = 1 + pick(Math.min(256, base.length >> 2));
      const from = pick(base.length - len);
      const to = pick(base.length - len);
      bytes.set(base.subarray(from, from + len), to);
    } else {
      bytes = base.slice();
      const width = r() < 0.5 ? 4 : 8;
      const p = at(width);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const old = view.getUint32(p, true);
      const choice = pick(4);
      const v = choice === 0 ? 0 : choice === 1 ? 0x7fffffff : choice === 2 ? 0xffffffff : (old + 1 + pick(64)) >>> 0;
      view.setUint32(p, v, true);
      if (width === 8) view.setUint32(p + 4, choice === 1 ? 0x7fff : 0, true);
    }
    out.push({ seed: i, kind, bytes });
  }
  return out;
}
