/**
 * Small dense linear algebra for fits with a handful of parameters (≤ 8): row-major Float64Array matrices.
 * Hand-written because the matrices are tiny and allocated once per fit; a general matrix library would
 * cost more in object churn than the arithmetic itself (hot path: every Newton step of every window fit).
 */

/**
 * In-place Cholesky factorisation of a symmetric positive-definite n×n matrix A = L Lᵀ (lower triangle of `a`
 * overwritten by L). Returns false when A is not positive definite, which the minimizer reads as "damp more".
 */
export function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! * a[j * n + k]!;
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / ljj;
    }
  }
  return true;
}

/** Solve L Lᵀ x = b given the Cholesky factor in the lower triangle of `l`; b is overwritten by x. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
}

/** Inverse of a symmetric positive-definite matrix, or null when it is not positive definite. */
export function invertSpd(a: Float64Array, n: number): Float64Array | null {
  const l = Float64Array.from(a);
  if (!cholesky(l, n)) return null;
  const inv = new Float64Array(n * n);
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    col.fill(0);
    col[j] = 1;
    choleskySolve(l, n, col);
    for (let i = 0; i < n; i++) inv[i * n + j] = col[i]!;
  }
  // Symmetrise against rounding so covariances are exactly symmetric downstream.
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (inv[i * n + j]! + inv[j * n + i]!);
      inv[i * n + j] = v;
      inv[j * n + i] = v;
    }
  return inv;
}

/** xᵀ A x for a symmetric n×n matrix. */
export function quadForm(a: Float64Array, n: number, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let j = 0; j < n; j++) r += a[i * n + j]! * x[j]!;
    s += x[i]! * r;
  }
  return s;
}

/** B = T A Tᵀ for n×n matrices (covariance under a linear change of parameters). */
export function congruence(t: Float64Array, a: Float64Array, n: number): Float64Array {
  const ta = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += t[i * n + k]! * a[k * n + j]!;
      ta[i * n + j] = s;
    }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += ta[i * n + k]! * t[j * n + k]!;
      out[i * n + j] = s;
    }
  return out;
}

/** Inverse of an upper-triangular n×n matrix (row-major). */
export function invertUpper(r: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    inv[j * n + j] = 1 / r[j * n + j]!;
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += r[i * n + k]! * inv[k * n + j]!;
      inv[i * n + j] = -s / r[i * n + i]!;
    }
  }
  return inv;
}

/** Square matrix (row-major, n×n) to nested arrays, for JSON results. */
export function toNested(a: Float64Array, n: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(Array.from(a.subarray(i * n, i * n + n)));
  return out;
}
