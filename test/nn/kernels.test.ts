/**
 * The WebAssembly SIMD kernels against their plain-JS twin (same bits) and against a naive f64 reference (the
 * arithmetic itself), on shapes that exercise every tile and tail path.
 */
import { Heap, wasmAvailable } from '../../src/nn/backend.js';
import { ACT } from '../../src/nn/kernels-api.js';
import { mulberry32 } from '../../src/stats/random.js';

const SIZE = 1 << 16;

function pair(): { w: Heap; j: Heap } {
  const w = new Heap({ backend: 'wasm' });
  const j = new Heap({ backend: 'js' });
  w.alloc(SIZE);
  j.alloc(SIZE);
  const r = mulberry32(7);
  const fw = w.f32;
  const fj = j.f32;
  for (let i = 0; i < SIZE; i++) {
    // mixed signs, some exact zeros (ReLU masks)
    const v = i % 17 === 0 ? 0 : r() * 4 - 2;
    fw[i] = v;
    fj[i] = v;
  }
  return { w, j };
}

function same(w: Heap, j: Heap, off: number, n: number): void {
  const a = w.f32.subarray(off, off + n);
  const b = j.f32.subarray(off, off + n);
  let bad = -1;
  for (let i = 0; i < n; i++) {
    if (!Object.is(a[i], b[i]) && !(a[i] === 0 && b[i] === 0)) {
      bad = i;
      break;
    }
  }
  expect(bad < 0 ? 'same' : `element ${bad}: wasm ${a[bad]} js ${b[bad]}`).toBe('same');
}

const shapes: [number, number, number, number][] = [
  [0, 7, 13, 5],
  [1, 9, 3, 11],
  [0, 64, 1, 64],
  [1, 64, 20, 37],
  [0, 5, 8, 1],
  [0, 33, 92, 17],
  [1, 13, 12, 64],
  [1, 13, 1, 33],
  [0, 9, 1, 7],
];

describe('nn kernels', () => {
  it('runs SIMD WebAssembly here', () => {
    expect(wasmAvailable()).toBe(true);
  });

  it('gemm (both transposes, beta 0 and 1): wasm = js bit for bit, = f64 reference within f32 rounding', () => {
    const { w, j } = pair();
    for (const [t, M, N, K] of shapes) {
      for (const beta of [0, 1]) {
        const lda = t ? M + 3 : K + 2;
        const ldb = N + 1;
        const ldc = N + 5;
        const a = 100;
        const b = 20000;
        const c = 40000;
        const before = Float64Array.from(w.f32.subarray(c, c + M * ldc));
        for (const h of [w, j]) h.k.gemm(t, M, N, K, a, lda, b, ldb, c, ldc, beta);
        same(w, j, c, M * ldc);
        const f = w.f32;
        let worst = 0;
        for (let i = 0; i < M; i++) {
          for (let q = 0; q < N; q++) {
            let s = beta ? before[i * ldc + q]! : 0;
            for (let k = 0; k < K; k++) s += f[t ? a + k * lda + i : a + i * lda + k]! * f[b + k * ldb + q]!;
            worst = Math.max(worst, Math.abs(s - f[c + i * ldc + q]!));
          }
        }
        expect(worst).toBeLessThan(1e-4 * Math.max(1, K));
        // restore C for the next pass (beta = 1 reads it)
        for (const h of [w, j]) h.f32.set(Float32Array.from(before), c);
      }
    }
  });

  it('gemmFwd epilogues (bias, ReLU, LeakyReLU, dropout) and gemmBwd masks agree across backends', () => {
    const { w, j } = pair();
    for (const [, M, N, K] of shapes) {
      for (const act of [ACT.linear, ACT.relu, ACT.leaky]) {
        for (const thr of [0, Math.floor(0.2 * 2 ** 32)]) {
          for (const h of [w, j])
            h.k.gemmFwd(M, N, K, 100, K, 20000, N, 40000, N + 3, 30000, act, 0.01, thr, 1.25, 12345, 7);
          same(w, j, 40000, M * (N + 3));
          for (const h of [w, j]) h.k.gemmBwd(M, N, K, 100, K, 20000, N, 50000, N, 40000, N + 3, 1.25, 0.0125, 0);
          same(w, j, 50000, M * N);
        }
      }
    }
    // dropout keeps about 1 - p of the elements, with ids independent of how rows are split
    const f = w.f32;
    const thr = Math.floor(0.2 * 2 ** 32);
    w.k.gemmFwd(64, 64, 8, 100, 8, 20000, 64, 40000, 64, -1, ACT.linear, 0, thr, 1.25, 99, 0);
    const whole = f.slice(40000, 40000 + 64 * 64);
    w.k.gemmFwd(20, 64, 8, 100, 8, 20000, 64, 40000, 64, -1, ACT.linear, 0, thr, 1.25, 99, 0);
    w.k.gemmFwd(44, 64, 8, 100 + 20 * 8, 8, 20000, 64, 40000 + 20 * 64, 64, -1, ACT.linear, 0, thr, 1.25, 99, 20);
    expect(Array.from(f.subarray(40000, 40000 + 64 * 64))).toEqual(Array.from(whole));
    let zeros = 0;
    for (const v of whole) if (v === 0) zeros++;
    expect(zeros / whole.length).toBeGreaterThan(0.17);
    expect(zeros / whole.length).toBeLessThan(0.23);
  });

  it('per-column reduction ranges (masked layers) skip only zero terms, the same in both backends', () => {
    const { w, j } = pair();
    const M = 13;
    const N = 21;
    const K = 30;
    const a = 100;
    const b = 20000;
    const r = mulberry32(4);
    // a staircase mask on B: column q reads rows [0, kEnd[q]) (mode 1/3) / rows [kStart[q], K) (mode 2)
    const kEnd = Int32Array.from({ length: N }, (_, q) =>
      Math.min(K, 3 + Math.floor((q * K) / N) + Math.floor(r() * 3)),
    );
    const kStart = Int32Array.from({ length: N }, (_, q) => Math.floor((q * K) / (N + 4)));
    for (const [mode, lim] of [
      [1, kEnd],
      [2, kStart],
      [3, kEnd],
    ] as const) {
      for (const h of [w, j]) {
        const f = h.f32;
        // B masked accordingly (modes 1, 2); mode 3 is A^T B with only rows < kEnd of C needed
        for (let k = 0; k < K; k++) {
          for (let q = 0; q < N; q++) {
            const inside = mode === 2 ? k >= lim[q]! : mode === 1 ? k < lim[q]! : true;
            f[b + k * N + q] = inside ? ((k * 31 + q * 7) % 13) / 13 - 0.5 : 0;
          }
        }
        h.i32.set(lim, 60000);
      }
      const full = new Float32Array(M * N);
      w.k.gemm(mode === 3 ? 1 : 0, M, N, K, a, mode === 3 ? M : K, b, N, 40000, N, 0);
      full.set(w.f32.subarray(40000, 40000 + M * N));
      for (const h of [w, j]) {
        h.f32.fill(0, 40000, 40000 + M * N);
        h.k.setRanges(60000, mode);
        h.k.gemm(mode === 3 ? 1 : 0, M, N, K, a, mode === 3 ? M : K, b, N, 40000, N, 0);
      }
      same(w, j, 40000, M * N);
      const got = w.f32.subarray(40000, 40000 + M * N);
      for (let i = 0; i < M; i++) {
        for (let q = 0; q < N; q++) {
          if (mode === 3 && i >= lim[q]!) continue;
          expect(got[i * N + q]).toBe(full[i * N + q]);
        }
      }
      // ranges apply to one call only
      w.k.gemm(0, M, N, K, a, K, b, N, 45000, N, 0);
      w.k.gemm(0, M, N, K, a, K, b, N, 40000, N, 0);
      same(w, w, 40000, M * N);
    }
  });

  it('activations, dropout, column sums, transposes, reductions and Adam agree across backends', () => {
    const { w, j } = pair();
    for (const act of [ACT.linear, ACT.relu, ACT.leaky, ACT.tanh, ACT.sigmoid]) {
      for (const h of [w, j]) h.k.actFwd(1003, 100, 30000, act, 0.2);
      same(w, j, 30000, 1003);
      for (const h of [w, j]) h.k.actBwd(1003, 30000, 2000, 34000, act, 0.2);
      same(w, j, 34000, 1003);
    }
    // tanh and sigmoid are accurate to a few f32 ulps
    const f = w.f32;
    w.k.actFwd(1003, 100, 30000, ACT.tanh, 0);
    for (let i = 0; i < 1003; i++) expect(Math.abs(f[30000 + i]! - Math.tanh(f[100 + i]!))).toBeLessThan(3e-7);
    w.k.actFwd(1003, 100, 30000, ACT.sigmoid, 0);
    for (let i = 0; i < 1003; i++)
      expect(Math.abs(f[30000 + i]! - 1 / (1 + Math.exp(-f[100 + i]!)))).toBeLessThan(3e-7);
    for (const h of [w, j]) h.k.dropout(17, 13, 100, 20, 30000, 15, 1 << 30, 1.5, 4242, 3);
    same(w, j, 30000, 17 * 15);
    for (const h of [w, j]) h.k.colSum(37, 11, 100, 12, 30000, 0);
    same(w, j, 30000, 11);
    for (const h of [w, j]) h.k.colSum(37, 11, 100, 12, 30000, 1);
    same(w, j, 30000, 11);
    for (const h of [w, j]) h.k.transpose(13, 9, 100, 10, 30000, 15);
    same(w, j, 30000, 9 * 15);
    expect(w.f32[30000 + 4 * 15 + 7]).toBe(w.f32[100 + 7 * 10 + 4]);
    for (const h of [w, j]) h.k.mulInPlace(1001, 30000, 100);
    same(w, j, 30000, 1001);
    for (const h of [w, j]) h.k.scale(1001, 30000, 0.3);
    same(w, j, 30000, 1001);
    expect(w.k.sumSq(1001, 100)).toBe(j.k.sumSq(1001, 100));
    for (const h of [w, j]) h.k.sumSlots(1001, 3, 100, 2000, 30000);
    same(w, j, 30000, 1001);
    for (const h of [w, j]) h.k.gradSelect(13, 11, 100, 12, 2000, 14, 30000, 11, 1.5, 0.25, 0.5);
    same(w, j, 30000, 13 * 11);
    for (const h of [w, j]) h.k.addInPlace(1001, 100, 30000);
    same(w, j, 30000, 1001);
    for (const h of [w, j]) h.k.copy2d(7, 5, 100, 9, 30000, 6);
    same(w, j, 30000, 7 * 6);
    for (const h of [w, j]) h.k.fill(7, 30000, 2.5);
    same(w, j, 30000, 8);
    for (const [wd, decay] of [
      [0, 1],
      [0.01, 1],
      [0, 1 - 1e-5],
    ] as const) {
      for (const h of [w, j]) {
        // second moments must be non-negative
        h.f32.fill(0.01, 40000, 41001);
        h.k.adam(
          1001,
          20000,
          100,
          42000,
          40000,
          0.9,
          0.999,
          1e-8,
          1e-3 / (1 - 0.9 ** 3),
          Math.sqrt(1 - 0.999 ** 3),
          wd,
          decay,
        );
      }
      same(w, j, 20000, 1001);
      same(w, j, 42000, 1001);
      same(w, j, 40000, 1001);
    }
  });

  it('grows, and a shared heap is backed by a SharedArrayBuffer', () => {
    for (const backend of ['wasm', 'js'] as const) {
      const h = new Heap({ backend, shared: true });
      expect(h.buffer).toBeInstanceOf(SharedArrayBuffer);
      const a = h.alloc(10);
      h.f32[a] = 3;
      h.alloc(1 << 20);
      expect(h.f32[a]).toBe(3);
      expect(h.f32.length).toBeGreaterThan(1 << 20);
      h.k.scale(1, a, 2);
      expect(h.f32[a]).toBe(6);
    }
  });
});
