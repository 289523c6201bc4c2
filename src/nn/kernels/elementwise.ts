/**
 * Elementwise and reduction kernels of the neural engine (WebAssembly SIMD): activations that the GEMM epilogue
 * does not fuse (tanh, sigmoid), their backward passes, dropout by the counter hash, bias gradients (column sums),
 * transposes for C = A B^T, and the reductions gradient clipping and data-parallel training need. Offsets are in
 * f32 elements. Each has a plain-JS twin in ../kernels-js.ts computing the same bits.
 */
import { dropKeep, dropKeep4 } from './hash';
import { exp4 } from './expf';

// @ts-ignore: decorator
@inline const ACT_LINEAR: i32 = 0;
// @ts-ignore: decorator
@inline const ACT_RELU: i32 = 1;
// @ts-ignore: decorator
@inline const ACT_LEAKY: i32 = 2;
// @ts-ignore: decorator
@inline const ACT_TANH: i32 = 3;
// @ts-ignore: decorator
@inline const ACT_SIGMOID: i32 = 4;

// @ts-ignore: decorator
@inline function p(off: i32): usize {
  return <usize>off << 2;
}

// @ts-ignore: decorator
@inline function act4(act: i32, v: v128, slope: f32): v128 {
  const one = f32x4.splat(1);
  if (act == ACT_RELU) return f32x4.max(v, f32x4.splat(0));
  if (act == ACT_LEAKY) return v128.bitselect(v, f32x4.mul(v, f32x4.splat(slope)), f32x4.gt(v, f32x4.splat(0)));
  if (act == ACT_TANH) {
    // tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|): no overflow for large |x|.
    const ax = f32x4.abs(v);
    const e = exp4(f32x4.mul(ax, f32x4.splat(-2)));
    const t = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
    return v128.bitselect(f32x4.neg(t), t, f32x4.lt(v, f32x4.splat(0)));
  }
  if (act == ACT_SIGMOID) return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(v))));
  return v;
}

/** y = act(x) over n elements (x = y allowed). */
export function actFwd(n: i32, x: i32, y: i32, act: i32, slope: f32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) v128.store(p(y + i), act4(act, v128.load(p(x + i)), slope));
  // tail: one element per vector (lane 0), so every element goes through the same lane arithmetic
  for (; i < n; i++) store<f32>(p(y + i), f32x4.extract_lane(act4(act, f32x4.splat(load<f32>(p(x + i))), slope), 0));
}

// @ts-ignore: decorator
@inline function dact4(act: i32, y: v128, g: v128, slope: f32): v128 {
  const one = f32x4.splat(1);
  if (act == ACT_RELU) return v128.and(g, f32x4.gt(y, f32x4.splat(0)));
  if (act == ACT_LEAKY) return v128.bitselect(g, f32x4.mul(g, f32x4.splat(slope)), f32x4.gt(y, f32x4.splat(0)));
  if (act == ACT_TANH) return f32x4.mul(g, f32x4.sub(one, f32x4.mul(y, y)));
  if (act == ACT_SIGMOID) return f32x4.mul(g, f32x4.mul(y, f32x4.sub(one, y)));
  return g;
}

/** dx = dy * act'(y), from the activation's output y (dx = dy allowed). */
export function actBwd(n: i32, y: i32, dy: i32, dx: i32, act: i32, slope: f32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) v128.store(p(dx + i), dact4(act, v128.load(p(y + i)), v128.load(p(dy + i)), slope));
  for (; i < n; i++) {
    const yv = load<f32>(p(y + i));
    const g = load<f32>(p(dy + i));
    let r = g;
    if (act == ACT_RELU) r = yv > 0 ? g : 0;
    else if (act == ACT_LEAKY) r = yv > 0 ? g : g * slope;
    else if (act == ACT_TANH) r = g * (1 - yv * yv);
    else if (act == ACT_SIGMOID) r = g * (yv * (1 - yv));
    store<f32>(p(dx + i), r);
  }
}

/**
 * Dropout over an M x N block (strides ldx, ldy): y = x * scale where the hash keeps element (rowBase + i) N + j,
 * else 0. The backward pass is the same call on the gradients.
 */
export function dropout(M: i32, N: i32, x: i32, ldx: i32, y: i32, ldy: i32, thr: u32, scale: f32, key: u32,
  rowBase: i32): void {
  const N4 = N & ~3;
  const s = f32x4.splat(scale);
  for (let i = 0; i < M; i++) {
    const id0 = (<u32>(rowBase + i)) * <u32>N;
    const px = x + i * ldx;
    const py = y + i * ldy;
    let j = 0;
    for (; j < N4; j += 4) {
      const keep = dropKeep4(id0 + <u32>j, key, thr);
      v128.store(p(py + j), v128.and(f32x4.mul(v128.load(p(px + j)), s), keep));
    }
    for (; j < N; j++) store<f32>(p(py + j), dropKeep(id0 + <u32>j, key, thr) ? load<f32>(p(px + j)) * scale : 0);
  }
}

/** out[j] = sum_i a[i, j] (beta = 0) or out[j] += that sum (beta = 1); rows summed in order. */
export function colSum(M: i32, N: i32, a: i32, lda: i32, out: i32, beta: i32): void {
  const N4 = N & ~3;
  let j = 0;
  for (; j < N4; j += 4) {
    let s = f32x4.splat(0);
    for (let i = 0; i < M; i++) s = f32x4.add(s, v128.load(p(a + i * lda + j)));
    if (beta) s = f32x4.add(v128.load(p(out + j)), s);
    v128.store(p(out + j), s);
  }
  for (; j < N; j++) {
    let s: f32 = 0;
    for (let i = 0; i < M; i++) s += load<f32>(p(a + i * lda + j));
    store<f32>(p(out + j), beta ? load<f32>(p(out + j)) + s : s);
  }
}

/** b (C x R, stride ldb) = a^T, a R x C with stride lda. */
export function transpose(R: i32, C: i32, a: i32, lda: i32, b: i32, ldb: i32): void {
  // 4 x 4 blocks through registers, scalar edges.
  const R4 = R & ~3;
  const C4 = C & ~3;
  for (let i = 0; i < R4; i += 4) {
    for (let j = 0; j < C4; j += 4) {
      const r0 = v128.load(p(a + i * lda + j));
      const r1 = v128.load(p(a + (i + 1) * lda + j));
      const r2 = v128.load(p(a + (i + 2) * lda + j));
      const r3 = v128.load(p(a + (i + 3) * lda + j));
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      v128.store(p(b + j * ldb + i), i64x2.shuffle(t0, t1, 0, 2));
      v128.store(p(b + (j + 1) * ldb + i), i64x2.shuffle(t0, t1, 1, 3));
      v128.store(p(b + (j + 2) * ldb + i), i64x2.shuffle(t2, t3, 0, 2));
      v128.store(p(b + (j + 3) * ldb + i), i64x2.shuffle(t2, t3, 1, 3));
    }
    for (let j = C4; j < C; j++) {
      for (let r = i; r < i + 4; r++) store<f32>(p(b + j * ldb + r), load<f32>(p(a + r * lda + j)));
    }
  }
  for (let i = R4; i < R; i++) {
    for (let j = 0; j < C; j++) store<f32>(p(b + j * ldb + i), load<f32>(p(a + i * lda + j)));
  }
}

/** x[i] *= y[i] (gradient masks of autoregressive layers). */
export function mulInPlace(n: i32, x: i32, y: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) v128.store(p(x + i), f32x4.mul(v128.load(p(x + i)), v128.load(p(y + i))));
  for (; i < n; i++) store<f32>(p(x + i), load<f32>(p(x + i)) * load<f32>(p(y + i)));
}

/** x[i] *= s. */
export function scale(n: i32, x: i32, s: f32): void {
  const n4 = n & ~3;
  const v = f32x4.splat(s);
  let i = 0;
  for (; i < n4; i += 4) v128.store(p(x + i), f32x4.mul(v128.load(p(x + i)), v));
  for (; i < n; i++) store<f32>(p(x + i), load<f32>(p(x + i)) * s);
}

/** Sum of squares, accumulated in f64 in index order (gradient-norm clipping). */
export function sumSq(n: i32, x: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(p(x + i));
    s += v * v;
  }
  return s;
}

/** dst[i] = src[i] + src[stride + i] + ... over T slots, summed in slot order (deterministic reduction). */
export function sumSlots(n: i32, T: i32, src: i32, stride: i32, dst: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    let s = v128.load(p(src + i));
    for (let t = 1; t < T; t++) s = f32x4.add(s, v128.load(p(src + t * stride + i)));
    v128.store(p(dst + i), s);
  }
  for (; i < n; i++) {
    let s = load<f32>(p(src + i));
    for (let t = 1; t < T; t++) s += load<f32>(p(src + t * stride + i));
    store<f32>(p(dst + i), s);
  }
}

/** out = g * s(Y), s = pos (Y > 0), neg (Y < 0), zero (Y = 0): the backward of ReLU / LeakyReLU / dropout read
 *  off the layer's output (the standalone form of the GEMM's BWD epilogue; out = g allowed). M x N, strided. */
export function gradSelect(M: i32, N: i32, y: i32, ldy: i32, g: i32, ldg: i32, out: i32, ldo: i32, pos: f32,
  neg: f32, zero: f32): void {
  const N4 = N & ~3;
  const vp = f32x4.splat(pos), vn = f32x4.splat(neg), vz = f32x4.splat(zero), z = f32x4.splat(0);
  for (let i = 0; i < M; i++) {
    let j = 0;
    for (; j < N4; j += 4) {
      const yv = v128.load(p(y + i * ldy + j));
      const s = v128.bitselect(vp, v128.bitselect(vn, vz, f32x4.lt(yv, z)), f32x4.gt(yv, z));
      v128.store(p(out + i * ldo + j), f32x4.mul(v128.load(p(g + i * ldg + j)), s));
    }
    for (; j < N; j++) {
      const yv = load<f32>(p(y + i * ldy + j));
      store<f32>(p(out + i * ldo + j), load<f32>(p(g + i * ldg + j)) * (yv > 0 ? pos : yv < 0 ? neg : zero));
    }
  }
}

/** y[i] += x[i]. */
export function addInPlace(n: i32, x: i32, y: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) v128.store(p(y + i), f32x4.add(v128.load(p(y + i)), v128.load(p(x + i))));
  for (; i < n; i++) store<f32>(p(y + i), load<f32>(p(y + i)) + load<f32>(p(x + i)));
}

/** Copy an M x N block between strides (gathers into concatenations, padded sequence buffers). */
export function copy2d(M: i32, N: i32, x: i32, ldx: i32, y: i32, ldy: i32): void {
  for (let i = 0; i < M; i++) memory.copy(p(y + i * ldy), p(x + i * ldx), <usize>N << 2);
}

/** x[i] = v for n elements. */
export function fill(n: i32, x: i32, v: f32): void {
  const n4 = n & ~3;
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i < n4; i += 4) v128.store(p(x + i), vv);
  for (; i < n; i++) store<f32>(p(x + i), v);
}
