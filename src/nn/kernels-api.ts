/**
 * The kernel interface of the neural engine: what the WebAssembly module (src/nn/kernels/*.ts, AssemblyScript)
 * exports and what the plain-JS fallback (kernels-js.ts) implements with the same signatures and the same bits.
 * Every pointer is an offset in f32 elements into the heap the kernels are bound to; strides are in elements.
 */

/** Activation codes shared by the GEMM epilogue and the elementwise kernels. */
export const ACT = { linear: 0, relu: 1, leaky: 2, tanh: 3, sigmoid: 4 } as const;
export type Activation = keyof typeof ACT;

export interface Kernels {
  /**
   * Per-column reduction ranges for the next GEMM call only (masked layers): `ranges` is the element offset of N
   * i32 values; mode 1: reduction prefix [0, r_j) (gemmFwd / gemm A B), 2: suffix [r_j, K) (gemmBwd / input
   * gradients), 3: only rows [0, r_j) of C (gemm A^T B, weight gradients). Values outside the ranges must be zero
   * weights (or, in mode 3, entries the caller masks afterwards).
   */
  setRanges(ranges: number, mode: number): void;
  /** C = op(A) B (beta = 0) or C += op(A) B (beta = 1); trans = 1: A is stored K x M (op(A) = A^T). */
  gemm(
    trans: number,
    M: number,
    N: number,
    K: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    beta: number,
  ): void;
  /**
   * C = dropout(act(A B + bias)); bias < 0: none; act: ACT.linear, ACT.relu or ACT.leaky; thr: dropout keep
   * threshold as a u32 (0 = no dropout); hash ids (rowBase + i) * N + j.
   */
  gemmFwd(
    M: number,
    N: number,
    K: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    bias: number,
    act: number,
    slope: number,
    thr: number,
    scale: number,
    key: number,
    rowBase: number,
  ): void;
  /** C = (A B) * g(Y): g = pos where Y > 0, neg where Y < 0, zero where Y = 0. */
  gemmBwd(
    M: number,
    N: number,
    K: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    y: number,
    ldy: number,
    pos: number,
    neg: number,
    zero: number,
  ): void;
  actFwd(n: number, x: number, y: number, act: number, slope: number): void;
  actBwd(n: number, y: number, dy: number, dx: number, act: number, slope: number): void;
  dropout(
    M: number,
    N: number,
    x: number,
    ldx: number,
    y: number,
    ldy: number,
    thr: number,
    scale: number,
    key: number,
    rowBase: number,
  ): void;
  colSum(M: number, N: number, a: number, lda: number, out: number, beta: number): void;
  transpose(R: number, C: number, a: number, lda: number, b: number, ldb: number): void;
  mulInPlace(n: number, x: number, y: number): void;
  scale(n: number, x: number, s: number): void;
  sumSq(n: number, x: number): number;
  sumSlots(n: number, T: number, src: number, stride: number, dst: number): void;
  /** Adam / AdamW step; see kernels/optim.ts for the operation order. */
  adam(
    n: number,
    w: number,
    g: number,
    m: number,
    v: number,
    b1: number,
    b2: number,
    eps: number,
    step: number,
    bc2s: number,
    wd: number,
    decay: number,
  ): void;
  gradSelect(
    M: number,
    N: number,
    y: number,
    ldy: number,
    g: number,
    ldg: number,
    out: number,
    ldo: number,
    pos: number,
    neg: number,
    zero: number,
  ): void;
  addInPlace(n: number, x: number, y: number): void;
  copy2d(M: number, N: number, x: number, ldx: number, y: number, ldy: number): void;
  fill(n: number, x: number, v: number): void;
}
