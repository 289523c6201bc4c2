/**
 * Plain-JS twin of the WebAssembly kernels (src/nn/kernels/*.ts), for runtimes without WebAssembly SIMD. Every
 * f32 operation is rounded with Math.fround (or by a Float32Array store) in the order the SIMD code performs it;
 * since f64 holds any f32 sum or product before rounding (53 >= 2 * 24 + 2 bits), this gives the same bits as the
 * wasm build, which the kernel tests check. It runs at 0.4-1 GFLOP/s against 25-50 for the SIMD GEMM.
 */
import type { Kernels } from './kernels-api.js';

// Math functions bound once: hot loops read module constants instead of the global object (much slower where
// code runs in a vm context, as under jest).
const { abs, imul, max, min, round, sqrt } = Math;

const fr = Math.fround;
const INF = 1 / 0;

const ACT_RELU = 1;
const ACT_LEAKY = 2;
const ACT_TANH = 3;
const ACT_SIGMOID = 4;

/** murmur3 fmix32 of id * golden + key; the dropout hash of kernels/hash.ts. */
export function dropKeep(id: number, key: number, thr: number): boolean {
  let h = (imul(id, 0x9e3779b1) + key) >>> 0;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 >= thr;
}

const EXP_HI = fr(88.3762626647949);
const EXP_LO = fr(-87.3365447504);
// The float32 rounding of log2(e), as the wasm kernel's literal (the two must give the same bits).
const LOG2E = fr(Math.LOG2E);
const LN2_HI = fr(0.693359375);
const LN2_LO = fr(-2.1219444e-4);
const P0 = fr(1.98756915e-4);
const P1 = fr(1.3981999507e-3);
const P2 = fr(8.3334519073e-3);
const P3 = fr(4.1665795894e-2);
const P4 = fr(1.6666665459e-1);
const P5 = fr(5.0000001201e-1);

/** Round half to even (f32x4.nearest). */
function nearest(x: number): number {
  const r = round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The f32 exp of kernels/expf.ts, operation for operation. */
export function expf(x: number): number {
  x = min(max(x, EXP_LO), EXP_HI);
  const n = nearest(fr(x * LOG2E));
  let r = fr(x - fr(n * LN2_HI));
  r = fr(r - fr(n * LN2_LO));
  const r2 = fr(r * r);
  let p = fr(fr(P0 * r) + P1);
  p = fr(fr(p * r) + P2);
  p = fr(fr(p * r) + P3);
  p = fr(fr(p * r) + P4);
  p = fr(fr(p * r) + P5);
  p = fr(fr(fr(p * r2) + r) + 1);
  return fr(p * (n >= 128 ? INF : 2 ** n));
}

function act1(act: number, v: number, slope: number): number {
  if (act === ACT_RELU) return max(v, 0);
  if (act === ACT_LEAKY) return v > 0 ? v : fr(v * slope);
  if (act === ACT_TANH) {
    const e = expf(fr(abs(v) * -2));
    const t = fr(fr(1 - e) / fr(1 + e));
    return v < 0 ? -t : t;
  }
  if (act === ACT_SIGMOID) return fr(1 / fr(1 + expf(-v)));
  return v;
}

/** Kernels over the f32 view that `view()` returns (re-read per call: the heap may have grown). */
export function jsKernels(view: () => Float32Array): Kernels {
  let row = new Float32Array(64);
  const accRow = (n: number): Float32Array => {
    if (row.length < n) row = new Float32Array(n);
    return row;
  };

  // per-column reduction ranges for the next GEMM call (see kernels/gemm.ts)
  let rOff = -1;
  let rMode = 0;

  /**
   * The column panels and reduction ranges the SIMD tile loops use: panels of 8, then one of 4, then single
   * columns; fn(j0, w, k0, k1, m1) per panel. Sums run in k order within [k0, k1) as the tiles do.
   */
  function panels(
    M: number,
    N: number,
    K: number,
    fn: (j0: number, w: number, k0: number, k1: number, m1: number) => void,
  ): void {
    const iv = rMode ? new Int32Array(view().buffer, view().byteOffset) : undefined;
    const N8 = N & ~7;
    let j = 0;
    while (j < N) {
      const w = j < N8 ? 8 : N - j >= 4 ? 4 : 1;
      let k0 = 0;
      let k1 = K;
      let m1 = M;
      if (iv) {
        let mx = -2147483648;
        let mn = 2147483647;
        for (let q = 0; q < w; q++) {
          mx = max(mx, iv[rOff + j + q]!);
          mn = min(mn, iv[rOff + j + q]!);
        }
        if (rMode === 1) k1 = min(K, mx);
        else if (rMode === 2) k0 = max(0, mn);
        else if (rMode === 3) m1 = min(M, (mx + 3) & ~3);
      }
      fn(j, w, k0, k1, m1);
      j += w;
    }
    rMode = 0;
  }

  /** acc[0..w) = row i of op(A) B over columns j0..j0+w, reduction [k0, k1), summed in k order. */
  function rowPanel(
    f: Float32Array,
    acc: Float32Array,
    trans: number,
    i: number,
    j0: number,
    w: number,
    k0: number,
    k1: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    N = 0,
  ): void {
    if (N === 1 && !trans && ldb === 1) {
      // the SIMD kernel's single-column dot product: four lanes over k mod 4, then (l0 + l1) + (l2 + l3), then the rest
      const K4 = (k1 - k0) & ~3;
      const lane = [0, 0, 0, 0];
      const ai = a + i * lda + k0;
      const bk = b + k0;
      for (let k = 0; k < K4; k += 4)
        for (let l = 0; l < 4; l++) lane[l] = fr(lane[l]! + fr(f[ai + k + l]! * f[bk + k + l]!));
      let sum = fr(fr(lane[0]! + lane[1]!) + fr(lane[2]! + lane[3]!));
      for (let k = K4; k < k1 - k0; k++) sum = fr(sum + fr(f[ai + k]! * f[bk + k]!));
      acc[0] = sum;
      return;
    }
    acc.fill(0, 0, w);
    for (let k = k0; k < k1; k++) {
      const x = f[trans ? a + k * lda + i : a + i * lda + k]!;
      const bk = b + k * ldb + j0;
      for (let q = 0; q < w; q++) acc[q] = acc[q]! + fr(x * f[bk + q]!);
    }
  }

  return {
    setRanges(ranges, mode) {
      rOff = ranges;
      rMode = mode;
    },
    gemm(trans, M, N, K, a, lda, b, ldb, c, ldc, beta) {
      const f = view();
      const acc = accRow(8);
      panels(M, N, K, (j0, w, k0, k1, m1) => {
        for (let i = 0; i < m1; i++) {
          rowPanel(f, acc, trans, i, j0, w, k0, k1, a, lda, b, ldb, N);
          const ci = c + i * ldc + j0;
          if (beta) for (let q = 0; q < w; q++) f[ci + q] = f[ci + q]! + acc[q]!;
          else for (let q = 0; q < w; q++) f[ci + q] = acc[q]!;
        }
      });
    },
    gemmFwd(M, N, K, a, lda, b, ldb, c, ldc, bias, act, slope, thr, scale, key, rowBase) {
      const f = view();
      const acc = accRow(8);
      slope = fr(slope);
      scale = fr(scale);
      panels(M, N, K, (j0, w, k0, k1, m1) => {
        for (let i = 0; i < m1; i++) {
          rowPanel(f, acc, 0, i, j0, w, k0, k1, a, lda, b, ldb, N);
          const ci = c + i * ldc;
          const id0 = Math.imul(rowBase + i, N);
          for (let q = 0; q < w; q++) {
            const j = j0 + q;
            let v = acc[q]!;
            if (bias >= 0) v = fr(v + f[bias + j]!);
            if (act === ACT_RELU) v = max(v, 0);
            else if (act === ACT_LEAKY) v = v > 0 ? v : fr(v * slope);
            if (thr !== 0) v = dropKeep((id0 + j) >>> 0, key, thr) ? fr(v * scale) : 0;
            f[ci + j] = v;
          }
        }
      });
    },
    gemmBwd(M, N, K, a, lda, b, ldb, c, ldc, y, ldy, pos, neg, zero) {
      const f = view();
      const acc = accRow(8);
      pos = fr(pos);
      neg = fr(neg);
      zero = fr(zero);
      panels(M, N, K, (j0, w, k0, k1, m1) => {
        for (let i = 0; i < m1; i++) {
          rowPanel(f, acc, 0, i, j0, w, k0, k1, a, lda, b, ldb, N);
          const ci = c + i * ldc;
          const yi = y + i * ldy;
          for (let q = 0; q < w; q++) {
            const yv = f[yi + j0 + q]!;
            f[ci + j0 + q] = acc[q]! * (yv > 0 ? pos : yv < 0 ? neg : zero);
          }
        }
      });
    },
    actFwd(n, x, y, act, slope) {
      const f = view();
      slope = fr(slope);
      for (let i = 0; i < n; i++) f[y + i] = act1(act, f[x + i]!, slope);
    },
    actBwd(n, y, dy, dx, act, slope) {
      const f = view();
      slope = fr(slope);
      for (let i = 0; i < n; i++) {
        const yv = f[y + i]!;
        const g = f[dy + i]!;
        let r = g;
        if (act === ACT_RELU) r = yv > 0 ? g : 0;
        else if (act === ACT_LEAKY) r = yv > 0 ? g : fr(g * slope);
        else if (act === ACT_TANH) r = fr(g * fr(1 - fr(yv * yv)));
        else if (act === ACT_SIGMOID) r = fr(g * fr(yv * fr(1 - yv)));
        f[dx + i] = r;
      }
    },
    dropout(M, N, x, ldx, y, ldy, thr, scale, key, rowBase) {
      const f = view();
      scale = fr(scale);
      for (let i = 0; i < M; i++) {
        const id0 = imul(rowBase + i, N);
        for (let j = 0; j < N; j++) {
          f[y + i * ldy + j] = dropKeep((id0 + j) >>> 0, key, thr) ? fr(f[x + i * ldx + j]! * scale) : 0;
        }
      }
    },
    colSum(M, N, a, lda, out, beta) {
      const f = view();
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let i = 0; i < M; i++) s = fr(s + f[a + i * lda + j]!);
        f[out + j] = beta ? f[out + j]! + s : s;
      }
    },
    transpose(R, C, a, lda, b, ldb) {
      const f = view();
      for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) f[b + j * ldb + i] = f[a + i * lda + j]!;
    },
    mulInPlace(n, x, y) {
      const f = view();
      for (let i = 0; i < n; i++) f[x + i] = f[x + i]! * f[y + i]!;
    },
    scale(n, x, s) {
      const f = view();
      s = fr(s);
      for (let i = 0; i < n; i++) f[x + i] = f[x + i]! * s;
    },
    sumSq(n, x) {
      const f = view();
      let s = 0;
      for (let i = 0; i < n; i++) s += f[x + i]! * f[x + i]!;
      return s;
    },
    sumSlots(n, T, src, stride, dst) {
      const f = view();
      for (let i = 0; i < n; i++) {
        let s = f[src + i]!;
        for (let t = 1; t < T; t++) s = fr(s + f[src + t * stride + i]!);
        f[dst + i] = s;
      }
    },
    adam(n, w, g, m, v, b1, b2, eps, step, bc2s, wd, decay) {
      const f = view();
      b1 = fr(b1);
      b2 = fr(b2);
      eps = fr(eps);
      step = fr(step);
      bc2s = fr(bc2s);
      wd = fr(wd);
      decay = fr(decay);
      const a1 = fr(1 - b1);
      const a2 = fr(1 - b2);
      for (let i = 0; i < n; i++) {
        let wv = f[w + i]!;
        let gv = f[g + i]!;
        if (decay !== 1) wv = fr(wv * decay);
        if (wd !== 0) gv = fr(gv + fr(wv * wd));
        const mv = fr(fr(f[m + i]! * b1) + fr(gv * a1));
        const vv = fr(fr(f[v + i]! * b2) + fr(fr(gv * a2) * gv));
        f[m + i] = mv;
        f[v + i] = vv;
        f[w + i] = fr(wv - fr(fr(step * mv) / fr(fr(fr(sqrt(vv)) / bc2s) + eps)));
      }
    },
    gradSelect(M, N, y, ldy, g, ldg, out, ldo, pos, neg, zero) {
      const f = view();
      pos = fr(pos);
      neg = fr(neg);
      zero = fr(zero);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          const yv = f[y + i * ldy + j]!;
          f[out + i * ldo + j] = f[g + i * ldg + j]! * (yv > 0 ? pos : yv < 0 ? neg : zero);
        }
      }
    },
    addInPlace(n, x, y) {
      const f = view();
      for (let i = 0; i < n; i++) f[y + i] = f[y + i]! + f[x + i]!;
    },
    copy2d(M, N, x, ldx, y, ldy) {
      const f = view();
      for (let i = 0; i < M; i++) f.copyWithin(y + i * ldy, x + i * ldx, x + i * ldx + N);
    },
    fill(n, x, v) {
      view().fill(v, x, x + n);
    },
  };
}
