/**
 * GEMM for the neural engine, in AssemblyScript compiled to WebAssembly SIMD (128-bit; V8 11.3 in Node 20 enables
 * SIMD by default, relaxed-simd (fused multiply-add) only behind a flag, so every product is a rounded f32x4.mul
 * followed by a rounded f32x4.add, exactly as the plain-JS fallback computes it with Math.fround).
 *
 * One register-blocked micro-kernel computes a 4 x 8 tile of C = op(A) B with eight f32x4 accumulators (12 of the
 * 16 xmm registers V8 can use on x64: larger 6 x 8 and 4 x 12 tiles spill and measured 25-29 GFLOP/s against 35-50
 * for 4 x 8 on the 2-core EPYC this was written on). A is read through two strides, one per row of C and one per
 * step of the reduction, so the same kernel serves C = A B (forward, A row-major) and C = A^T B (weight gradients,
 * A stored reduction-major) without a transpose. Each C element sums its products in reduction order k = 0, 1, ...
 * so results are bit-identical to the plain-JS fallback and independent of the tiling.
 *
 * Epilogues are fused into the tile store (hot path: saves one pass over C per layer):
 *   STORE  C = acc
 *   ACC    C = C + acc
 *   FWD    C = dropout(act(acc + bias))        act: linear, ReLU, LeakyReLU; dropout by a counter-based hash
 *   BWD    C = acc * g(Y), g = gPos (Y > 0), gNeg (Y < 0), gZero (Y = 0): the activation/dropout backward of the
 *          layer that produced Y, read off its output.
 * All offsets and strides are in f32 elements.
 */
import { dropKeep, dropKeep4 } from './hash';

export const MODE_STORE: i32 = 0;
export const MODE_ACC: i32 = 1;
export const MODE_FWD: i32 = 2;
export const MODE_BWD: i32 = 3;

export const ACT_LINEAR: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_LEAKY: i32 = 2;

// Epilogue parameters, set by the exported entry points before the tile loops (module globals: the inlined
// epilogue reads them once per tile).
let gBias: usize = 0;
let gAct: i32 = 0;
let gSlope: f32 = 0;
let gDrop: bool = false;
let gThr: u32 = 0;
let gScale: f32 = 1;
let gKey: u32 = 0;
let gRowBase: u32 = 0;
let gIdN: u32 = 0;
let gY: usize = 0;
let gLdy: usize = 0;
let gPos: f32 = 1;
let gNeg: f32 = 1;
let gZero: f32 = 1;

@inline function epiFwd4(v: v128, i: i32, j: i32): v128 {
  if (gBias) v = f32x4.add(v, v128.load(gBias + (<usize>j << 2)));
  if (gAct == ACT_RELU) v = f32x4.max(v, f32x4.splat(0));
  else if (gAct == ACT_LEAKY) v = v128.bitselect(v, f32x4.mul(v, f32x4.splat(gSlope)), f32x4.gt(v, f32x4.splat(0)));
  if (gDrop) {
    const id = (gRowBase + <u32>i) * gIdN + <u32>j;
    const keep = dropKeep4(id, gKey, gThr);
    v = v128.and(f32x4.mul(v, f32x4.splat(gScale)), keep);
  }
  return v;
}

@inline function epiFwd1(v: f32, i: i32, j: i32): f32 {
  if (gBias) v = v + load<f32>(gBias + (<usize>j << 2));
  if (gAct == ACT_RELU) v = max<f32>(v, 0);
  else if (gAct == ACT_LEAKY) v = v > 0 ? v : v * gSlope;
  if (gDrop) {
    const id = (gRowBase + <u32>i) * gIdN + <u32>j;
    v = dropKeep(id, gKey, gThr) ? v * gScale : 0;
  }
  return v;
}

@inline function gradOf4(y: v128): v128 {
  const z = f32x4.splat(0);
  return v128.bitselect(
    f32x4.splat(gPos),
    v128.bitselect(f32x4.splat(gNeg), f32x4.splat(gZero), f32x4.lt(y, z)),
    f32x4.gt(y, z),
  );
}

@inline function gradOf1(y: f32): f32 {
  return y > 0 ? gPos : y < 0 ? gNeg : gZero;
}

@inline function put4(mode: i32, p: usize, v: v128, i: i32, j: i32): void {
  if (mode == MODE_STORE) v128.store(p, v);
  else if (mode == MODE_ACC) v128.store(p, f32x4.add(v128.load(p), v));
  else if (mode == MODE_FWD) v128.store(p, epiFwd4(v, i, j));
  else v128.store(p, f32x4.mul(v, gradOf4(v128.load(gY + ((<usize>i * gLdy + <usize>j) << 2)))));
}

@inline function put1(mode: i32, p: usize, v: f32, i: i32, j: i32): void {
  if (mode == MODE_STORE) store<f32>(p, v);
  else if (mode == MODE_ACC) store<f32>(p, load<f32>(p) + v);
  else if (mode == MODE_FWD) store<f32>(p, epiFwd1(v, i, j));
  else store<f32>(p, v * gradOf1(load<f32>(gY + ((<usize>i * gLdy + <usize>j) << 2))));
}

/** 4 x 8 tile. sar: bytes between rows of op(A); sak: bytes between reduction steps; ldb, ldc in bytes. */
@inline function tile4x8(mode: i32, K: i32, a: usize, sar: usize, sak: usize, b: usize, ldb: usize,
  c: usize, ldc: usize, i: i32, j: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let pa = a;
  let pb = b;
  const s2 = sar << 1;
  const s3 = s2 + sar;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(pa + sar);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(pa + s2);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(pa + s3);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    pa += sak;
    pb += ldb;
  }
  put4(mode, c, c00, i, j);
  put4(mode, c + 16, c01, i, j + 4);
  put4(mode, c + ldc, c10, i + 1, j);
  put4(mode, c + ldc + 16, c11, i + 1, j + 4);
  put4(mode, c + 2 * ldc, c20, i + 2, j);
  put4(mode, c + 2 * ldc + 16, c21, i + 2, j + 4);
  put4(mode, c + 3 * ldc, c30, i + 3, j);
  put4(mode, c + 3 * ldc + 16, c31, i + 3, j + 4);
}

@inline function tile1x8(mode: i32, K: i32, a: usize, sak: usize, b: usize, ldb: usize, c: usize,
  i: i32, j: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let pa = a;
  let pb = b;
  for (let k = 0; k < K; k++) {
    const x = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(x, v128.load(pb)));
    c01 = f32x4.add(c01, f32x4.mul(x, v128.load(pb, 16)));
    pa += sak;
    pb += ldb;
  }
  put4(mode, c, c00, i, j);
  put4(mode, c + 16, c01, i, j + 4);
}

@inline function tile4x4(mode: i32, K: i32, a: usize, sar: usize, sak: usize, b: usize, ldb: usize,
  c: usize, ldc: usize, i: i32, j: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let pa = a;
  let pb = b;
  const s2 = sar << 1;
  const s3 = s2 + sar;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(pa), b0));
    c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(pa + sar), b0));
    c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(pa + s2), b0));
    c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(pa + s3), b0));
    pa += sak;
    pb += ldb;
  }
  put4(mode, c, c0, i, j);
  put4(mode, c + ldc, c1, i + 1, j);
  put4(mode, c + 2 * ldc, c2, i + 2, j);
  put4(mode, c + 3 * ldc, c3, i + 3, j);
}

@inline function tile1x4(mode: i32, K: i32, a: usize, sak: usize, b: usize, ldb: usize, c: usize,
  i: i32, j: i32): void {
  let c0 = f32x4.splat(0);
  let pa = a;
  let pb = b;
  for (let k = 0; k < K; k++) {
    c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(pa), v128.load(pb)));
    pa += sak;
    pb += ldb;
  }
  put4(mode, c, c0, i, j);
}

/** Columns that do not fill a vector: four rows at a time, four independent scalar sums (latency hidden). */
@inline function tile4x1(mode: i32, K: i32, a: usize, sar: usize, sak: usize, b: usize, ldb: usize,
  c: usize, ldc: usize, i: i32, j: i32): void {
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  let pa = a;
  let pb = b;
  for (let k = 0; k < K; k++) {
    const bv = load<f32>(pb);
    s0 += load<f32>(pa) * bv;
    s1 += load<f32>(pa + sar) * bv;
    s2 += load<f32>(pa + 2 * sar) * bv;
    s3 += load<f32>(pa + 3 * sar) * bv;
    pa += sak;
    pb += ldb;
  }
  put1(mode, c, s0, i, j);
  put1(mode, c + ldc, s1, i + 1, j);
  put1(mode, c + 2 * ldc, s2, i + 2, j);
  put1(mode, c + 3 * ldc, s3, i + 3, j);
}

@inline function tile1x1(mode: i32, K: i32, a: usize, sak: usize, b: usize, ldb: usize, c: usize,
  i: i32, j: i32): void {
  let s: f32 = 0;
  let pa = a;
  let pb = b;
  for (let k = 0; k < K; k++) {
    s += load<f32>(pa) * load<f32>(pb);
    pa += sak;
    pb += ldb;
  }
  put1(mode, c, s, i, j);
}

// Per-column reduction ranges (masked autoregressive layers: structurally zero weights skipped). gRanges points at
// one i32 per output column; gRMode 1: reduction prefix [0, r_j) (forward, A B), 2: suffix [r_j, K) (input
// gradients, A B^T), 3: rows [0, r_j) of C only (weight gradients, A^T B). A panel takes the widest range of its
// columns, so skipped terms are always exact zeros (or, in mode 3, entries the caller masks to zero).
let gRanges: usize = 0;
let gRMode: i32 = 0;

@inline function rangeMax(j: i32, w: i32): i32 {
  let r = load<i32>(gRanges + (<usize>j << 2));
  for (let q = 1; q < w; q++) r = max<i32>(r, load<i32>(gRanges + (<usize>(j + q) << 2)));
  return r;
}

@inline function rangeMin(j: i32, w: i32): i32 {
  let r = load<i32>(gRanges + (<usize>j << 2));
  for (let q = 1; q < w; q++) r = min<i32>(r, load<i32>(gRanges + (<usize>(j + q) << 2)));
  return r;
}

/**
 * One output column with A rows and B contiguous (an output unit: the classifier's logit, a per-bin head):
 * dot products vectorised along k, four rows at a time. Lane l sums k = l mod 4 in order; the total is
 * (lane0 + lane1) + (lane2 + lane3), then the remaining k in order (the JS twin adds in the same order).
 */
@inline function dotRow(K: i32, a: usize, b: usize): f32 {
  const K4 = K & ~3;
  let acc = f32x4.splat(0);
  for (let k = 0; k < K4; k += 4) {
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>k << 2)), v128.load(b + (<usize>k << 2))));
  }
  const l01: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1);
  const l23: f32 = f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  let s: f32 = l01 + l23;
  for (let k = K4; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return s;
}

@inline function runDot(mode: i32, M: i32, K: i32, a: usize, sar: usize, b: usize, c: usize, ldc: usize): void {
  for (let i = 0; i < M; i++) put1(mode, c + <usize>i * ldc, dotRow(K, a + <usize>i * sar, b), i, 0);
}

/** One output column of A^T B: four rows of C as one vector, each lane summing the reduction in order. */
@inline function runColumnT(mode: i32, M: i32, K: i32, a: usize, sak: usize, b: usize, ldb: usize, c: usize,
  ldc: usize): void {
  const M4 = M & ~3;
  let i = 0;
  for (; i < M4; i += 4) {
    let acc = f32x4.splat(0);
    let pa = a + (<usize>i << 2);
    let pb = b;
    for (let k = 0; k < K; k++) {
      acc = f32x4.add(acc, f32x4.mul(v128.load(pa), v128.load32_splat(pb)));
      pa += sak;
      pb += ldb;
    }
    put1(mode, c + <usize>i * ldc, f32x4.extract_lane(acc, 0), i, 0);
    put1(mode, c + <usize>(i + 1) * ldc, f32x4.extract_lane(acc, 1), i + 1, 0);
    put1(mode, c + <usize>(i + 2) * ldc, f32x4.extract_lane(acc, 2), i + 2, 0);
    put1(mode, c + <usize>(i + 3) * ldc, f32x4.extract_lane(acc, 3), i + 3, 0);
  }
  for (; i < M; i++) tile1x1(mode, K, a + (<usize>i << 2), sak, b, ldb, c + <usize>i * ldc, i, 0);
}

/** The tile loops: column panels of 8 outside (the K x 8 panel of B stays in L1), rows of 4 inside. */
@inline function run(mode: i32, M: i32, N: i32, K: i32, a: usize, sar: usize, sak: usize, b: usize, ldb: usize,
  c: usize, ldc: usize): void {
  if (N == 1) {
    let k0 = 0;
    let k1 = K;
    let m1 = M;
    if (gRMode == 1) k1 = min<i32>(K, rangeMax(0, 1));
    else if (gRMode == 2) k0 = max<i32>(0, rangeMin(0, 1));
    else if (gRMode == 3) m1 = min<i32>(M, (rangeMax(0, 1) + 3) & ~3);
    const Kp = max<i32>(0, k1 - k0);
    if (sak == 4 && ldb == 4) {
      runDot(mode, m1, Kp, a + (<usize>k0 << 2), sar, b + (<usize>k0 << 2), c, ldc);
      return;
    }
    if (sar == 4) {
      runColumnT(mode, m1, Kp, a + <usize>k0 * sak, sak, b + <usize>k0 * ldb, ldb, c, ldc);
      return;
    }
  }
  const N8 = N & ~7;
  let j = 0;
  while (j < N) {
    let w = j < N8 ? 8 : N - j >= 4 ? 4 : 1;
    if (w == 1 && mode != MODE_ACC && N >= 4) {
      // the last 1-3 columns as one 4-wide panel ending at N: its first columns are recomputed with the same
      // sums in the same order, so storing them again changes no bit (not done when accumulating into C)
      j = N - 4;
      w = 4;
    }
    let k0 = 0;
    let k1 = K;
    let m1 = M;
    if (gRMode == 1) k1 = min<i32>(K, rangeMax(j, w));
    else if (gRMode == 2) k0 = max<i32>(0, rangeMin(j, w));
    else if (gRMode == 3) m1 = min<i32>(M, (rangeMax(j, w) + 3) & ~3);
    const Kp = max<i32>(0, k1 - k0);
    const pa = a + <usize>k0 * sak;
    const pb = b + (<usize>j << 2) + <usize>k0 * ldb;
    const M4 = m1 & ~3;
    const pc = c + (<usize>j << 2);
    let i = 0;
    if (w == 8) {
      for (; i < M4; i += 4) tile4x8(mode, Kp, pa + <usize>i * sar, sar, sak, pb, ldb, pc + <usize>i * ldc, ldc, i, j);
      for (; i < m1; i++) tile1x8(mode, Kp, pa + <usize>i * sar, sak, pb, ldb, pc + <usize>i * ldc, i, j);
    } else if (w == 4) {
      for (; i < M4; i += 4) tile4x4(mode, Kp, pa + <usize>i * sar, sar, sak, pb, ldb, pc + <usize>i * ldc, ldc, i, j);
      for (; i < m1; i++) tile1x4(mode, Kp, pa + <usize>i * sar, sak, pb, ldb, pc + <usize>i * ldc, i, j);
    } else {
      for (; i < M4; i += 4) tile4x1(mode, Kp, pa + <usize>i * sar, sar, sak, pb, ldb, pc + <usize>i * ldc, ldc, i, j);
      for (; i < m1; i++) tile1x1(mode, Kp, pa + <usize>i * sar, sak, pb, ldb, pc + <usize>i * ldc, i, j);
    }
    j += w;
  }
}

/** Use per-column ranges (element offset of N i32 values, see above) for the next GEMM call only. */
export function setRanges(ranges: i32, rmode: i32): void {
  gRanges = <usize>ranges << 2;
  gRMode = rmode;
}

@inline function dispatch(mode: i32, trans: i32, M: i32, N: i32, K: i32, a: i32, lda: i32, b: i32, ldb: i32,
  c: i32, ldc: i32): void {
  // trans = 0: op(A) = A, M x K row-major; trans = 1: op(A) = A^T with A stored K x M row-major.
  const sar: usize = trans ? 4 : <usize>lda << 2;
  const sak: usize = trans ? <usize>lda << 2 : 4;
  run(mode, M, N, K, <usize>a << 2, sar, sak, <usize>b << 2, <usize>ldb << 2, <usize>c << 2, <usize>ldc << 2);
}

/** C = op(A) B (beta = 0) or C += op(A) B (beta = 1). */
export function gemm(trans: i32, M: i32, N: i32, K: i32, a: i32, lda: i32, b: i32, ldb: i32, c: i32, ldc: i32,
  beta: i32): void {
  if (beta) dispatch(MODE_ACC, trans, M, N, K, a, lda, b, ldb, c, ldc);
  else dispatch(MODE_STORE, trans, M, N, K, a, lda, b, ldb, c, ldc);
  gRMode = 0;
}

/**
 * Dense forward with fused epilogue: C = dropout(act(A B + bias)). bias = -1: none. drop = keep threshold as a
 * u32 (0: no dropout); element ids for the dropout hash are (rowBase + i) * N + j, so a mask does not depend on
 * how a batch is split over threads.
 */
export function gemmFwd(M: i32, N: i32, K: i32, a: i32, lda: i32, b: i32, ldb: i32, c: i32, ldc: i32,
  bias: i32, act: i32, slope: f32, thr: u32, scale: f32, key: u32, rowBase: i32): void {
  gBias = bias < 0 ? 0 : <usize>bias << 2;
  gAct = act;
  gSlope = slope;
  gDrop = thr != 0;
  gThr = thr;
  gScale = scale;
  gKey = key;
  gRowBase = <u32>rowBase;
  gIdN = <u32>N;
  dispatch(MODE_FWD, 0, M, N, K, a, lda, b, ldb, c, ldc);
  gRMode = 0;
}

/** Backward through a dense layer's input: C = (A B) * g(Y) elementwise, Y with stride ldy (see header). */
export function gemmBwd(M: i32, N: i32, K: i32, a: i32, lda: i32, b: i32, ldb: i32, c: i32, ldc: i32,
  y: i32, ldy: i32, pos: f32, neg: f32, zero: f32): void {
  gY = <usize>y << 2;
  gLdy = <usize>ldy;
  gPos = pos;
  gNeg = neg;
  gZero = zero;
  dispatch(MODE_BWD, 0, M, N, K, a, lda, b, ldb, c, ldc);
  gRMode = 0;
}
