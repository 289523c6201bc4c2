/**
 * Counter-based hash for dropout masks: keep(id) = fmix32(id * 0x9e3779b1 + key) >= threshold (unsigned), with
 * fmix32 the murmur3 finaliser. A mask bit depends only on (key, element id), never on a generator's state, so the
 * same seed gives the same mask for any split of a batch over threads and in any order of evaluation. The JS
 * fallback (../kernels-js.ts) computes the same bits with Math.imul.
 */
@inline export function mix(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

@inline export function dropKeep(id: u32, key: u32, thr: u32): bool {
  return mix(id * 0x9e3779b1 + key) >= thr;
}

/** Keep mask (all ones / all zeros per lane) for ids id, id + 1, id + 2, id + 3. */
@inline export function dropKeep4(id: u32, key: u32, thr: u32): v128 {
  let h = i32x4.add(i32x4.mul(i32x4.add(i32x4.splat(id), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0)),
    i32x4.splat(0x9e3779b1)), i32x4.splat(key));
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(0x85ebca6b));
  h = v128.xor(h, i32x4.shr_u(h, 13));
  h = i32x4.mul(h, i32x4.splat(0xc2b2ae35));
  h = v128.xor(h, i32x4.shr_u(h, 16));
  return i32x4.ge_u(h, i32x4.splat(thr));
}
