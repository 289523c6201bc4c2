/**
 * Monotonic rational-quadratic splines with linear tails (Durkan, Bekasov, Murray, Papamakarios, "Neural Spline
 * Flows", 2019), in the parameterisation of nflows' unconstrained_rational_quadratic_spline: K bins on
 * [-B, B], unnormalised widths and heights through softmax with minimum bin size, K - 1 interior derivatives
 * through softplus with a minimum, boundary derivatives 1 so the identity tails join smoothly. Outside [-B, B] the
 * map is the identity.
 *
 * Per element: forward (x -> y, log dy/dx), inverse (y -> x), and the backward pass of the forward map with
 * respect to x and the 3K - 1 unnormalised parameters, derived by hand (chain rule through the bin formula,
 * cumulative sums and softmax; tested against finite differences).
 */

// Math functions bound once: hot loops then read module constants, not the global object (much slower where
// code runs in a vm context, as under jest).
const { exp, log, log1p, sqrt, max } = Math;
const NEG_INF = -1 / 0;

export const MIN_BIN_WIDTH = 1e-3;
export const MIN_BIN_HEIGHT = 1e-3;
export const MIN_DERIVATIVE = 1e-3;

/**
 * The knots of one spline evaluation with K bins, at offset o of a Float64Array: normalised widths sw[K] and
 * heights sh[K], knot positions cw[K + 1] and ch[K + 1], derivatives d[K + 1], and the sigmoids of the interior
 * derivative parameters (the softplus derivative, for the backward pass). A flow step keeps one slot per element
 * from the forward pass, so the backward pass reuses the knots instead of recomputing them (the exp/log calls
 * dominate a spline flow's time). `at` points the view at another slot without allocating.
 */
export class SplineScratch {
  /** f64 values per slot. */
  readonly stride: number;
  buf: Float64Array;
  o = 0;
  readonly gw: Float64Array;
  readonly gh: Float64Array;
  constructor(readonly K: number) {
    this.stride = 6 * K + 2;
    this.buf = new Float64Array(this.stride);
    this.gw = new Float64Array(K);
    this.gh = new Float64Array(K);
  }
  at(buf: Float64Array, o: number): this {
    this.buf = buf;
    this.o = o;
    return this;
  }
}

// offsets within a slot
const SW = (_K: number) => 0;
const SH = (K: number) => K;
const CW = (K: number) => 2 * K;
const CH = (K: number) => 3 * K + 1;
const DV = (K: number) => 4 * K + 2;
const SG = (K: number) => 5 * K + 3;

/** softmax of p[o + 0..K-1] * scale into s[so ...]. */
function softmax(p: ArrayLike<number>, o: number, K: number, scale: number, s: Float64Array, so: number): void {
  let mx = NEG_INF;
  for (let i = 0; i < K; i++) mx = max(mx, p[o + i]! * scale);
  let z = 0;
  for (let i = 0; i < K; i++) {
    const e = exp(p[o + i]! * scale - mx);
    s[so + i] = e;
    z += e;
  }
  for (let i = 0; i < K; i++) s[so + i] = s[so + i]! / z;
}

/**
 * Knots from the unnormalised parameters p[o ...] (widths K, heights K, derivatives K - 1; widths and heights
 * multiplied by `scale`, as nflows divides them by sqrt(hidden features)).
 */
export function knots(p: ArrayLike<number>, o: number, K: number, B: number, scale: number, w: SplineScratch): void {
  const b = w.buf;
  const at = w.o;
  softmax(p, o, K, scale, b, at + SW(K));
  softmax(p, o + K, K, scale, b, at + SH(K));
  const aw = 1 - MIN_BIN_WIDTH * K;
  const ah = 1 - MIN_BIN_HEIGHT * K;
  const cwo = at + CW(K);
  const cho = at + CH(K);
  let cw = 0;
  let ch = 0;
  b[cwo] = -B;
  b[cho] = -B;
  for (let i = 0; i < K; i++) {
    cw += MIN_BIN_WIDTH + aw * b[at + i]!;
    ch += MIN_BIN_HEIGHT + ah * b[at + K + i]!;
    b[cwo + i + 1] = 2 * B * cw - B;
    b[cho + i + 1] = 2 * B * ch - B;
  }
  b[cwo + K] = B;
  b[cho + K] = B;
  const dvo = at + DV(K);
  const sgo = at + SG(K);
  b[dvo] = 1;
  b[dvo + K] = 1;
  for (let i = 1; i < K; i++) {
    // softplus and its derivative from one exp
    const u = p[o + 2 * K + i - 1]!;
    if (u > 20) {
      b[dvo + i] = MIN_DERIVATIVE + u;
      b[sgo + i - 1] = 1;
    } else {
      const e = exp(u);
      b[dvo + i] = MIN_DERIVATIVE + log1p(e);
      b[sgo + i - 1] = e / (1 + e);
    }
  }
}

/** Bin of x among the knots (x inside [-B, B]). */
function binOf(c: Float64Array, co: number, K: number, x: number): number {
  let k = 0;
  while (k < K - 1 && x >= c[co + k + 1]!) k++;
  return k;
}

export interface SplineOut {
  y: number;
  logdet: number;
}

/** Forward map y = s(x) and log dy/dx; knots must be set by knots(). */
export function splineForward(x: number, K: number, B: number, w: SplineScratch, out: SplineOut): void {
  if (!(x >= -B && x <= B)) {
    out.y = x;
    out.logdet = 0;
    return;
  }
  const b = w.buf;
  const cwo = w.o + CW(K);
  const cho = w.o + CH(K);
  const dvo = w.o + DV(K);
  const k = binOf(b, cwo, K, x);
  const cw = b[cwo + k]!;
  const bw = b[cwo + k + 1]! - cw;
  const ch = b[cho + k]!;
  const bh = b[cho + k + 1]! - ch;
  const dk = b[dvo + k]!;
  const dk1 = b[dvo + k + 1]!;
  const delta = bh / bw;
  const th = (x - cw) / bw;
  const t = th * (1 - th);
  const den = delta + (dk + dk1 - 2 * delta) * t;
  out.y = ch + (bh * (delta * th * th + dk * t)) / den;
  const q = dk1 * th * th + 2 * delta * t + dk * (1 - th) * (1 - th);
  out.logdet = log(delta * delta * q) - 2 * log(den);
}

/** Inverse map x = s^-1(y) and log dx/dy (= -log dy/dx at x). */
export function splineInverse(y: number, K: number, B: number, w: SplineScratch, out: SplineOut): void {
  if (!(y >= -B && y <= B)) {
    out.y = y;
    out.logdet = 0;
    return;
  }
  const b0 = w.buf;
  const cwo = w.o + CW(K);
  const cho = w.o + CH(K);
  const dvo = w.o + DV(K);
  const k = binOf(b0, cho, K, y);
  const cw = b0[cwo + k]!;
  const bw = b0[cwo + k + 1]! - cw;
  const ch = b0[cho + k]!;
  const bh = b0[cho + k + 1]! - ch;
  const dk = b0[dvo + k]!;
  const dk1 = b0[dvo + k + 1]!;
  const delta = bh / bw;
  const dy = y - ch;
  const s = dk1 + dk - 2 * delta;
  const a = bh * (delta - dk) + dy * s;
  const b = bh * dk - dy * s;
  const c = -delta * dy;
  const disc = max(b * b - 4 * a * c, 0);
  const root = (2 * c) / (-b - sqrt(disc));
  out.y = root * bw + cw;
  const t = root * (1 - root);
  const den = delta + s * t;
  const q = dk1 * root * root + 2 * delta * t + dk * (1 - root) * (1 - root);
  out.logdet = -(log(delta * delta * q) - 2 * log(den));
}

/**
 * Backward pass of splineForward at x with upstream gradients gy (dL/dy) and gl (dL/dlogdet): returns dL/dx and
 * adds dL/dp into g[go ...] (same layout as the parameters). w must hold the knots knots() set for them.
 */
export function splineBackward(
  x: number,
  gy: number,
  gl: number,
  K: number,
  B: number,
  scale: number,
  w: SplineScratch,
  g: Float32Array,
  go: number,
): number {
  if (!(x >= -B && x <= B)) return gy;
  const b = w.buf;
  const cwo = w.o + CW(K);
  const cho = w.o + CH(K);
  const dvo = w.o + DV(K);
  const k = binOf(b, cwo, K, x);
  const cw = b[cwo + k]!;
  const bw = b[cwo + k + 1]! - cw;
  const ch = b[cho + k]!;
  const bh = b[cho + k + 1]! - ch;
  const dk = b[dvo + k]!;
  const dk1 = b[dvo + k + 1]!;
  const delta = bh / bw;
  const th = (x - cw) / bw;
  const t = th * (1 - th);
  const s = dk + dk1 - 2 * delta;
  const den = delta + s * t;
  const n1 = delta * th * th + dk * t;
  const q = dk1 * th * th + 2 * delta * t + dk * (1 - th) * (1 - th);
  const den2 = den * den;
  // partials of y
  const dn1dth = 2 * delta * th + dk * (1 - 2 * th);
  const ddendth = s * (1 - 2 * th);
  const yth = (bh * (dn1dth * den - n1 * ddendth)) / den2;
  const ydelta = (bh * (th * th * den - n1 * (1 - 2 * t))) / den2;
  const ydk = (bh * (t * den - n1 * t)) / den2;
  const ydk1 = (bh * (-n1 * t)) / den2;
  const ybh = n1 / den;
  // partials of log dy/dx
  const dqdth = 2 * dk1 * th + 2 * delta * (1 - 2 * th) - 2 * dk * (1 - th);
  const lth = dqdth / q - (2 * ddendth) / den;
  const ldelta = 2 / delta + (2 * t) / q - (2 * (1 - 2 * t)) / den;
  const ldk = ((1 - th) * (1 - th)) / q - (2 * t) / den;
  const ldk1 = (th * th) / q - (2 * t) / den;
  const Gth = gy * yth + gl * lth;
  const Gdelta = gy * ydelta + gl * ldelta;
  const Gdk = gy * ydk + gl * ldk;
  const Gdk1 = gy * ydk1 + gl * ldk1;
  const gx = Gth / bw;
  const gcw = -Gth / bw;
  const gbw = (-Gth * th) / bw - (Gdelta * delta) / bw;
  const gbh = gy * ybh + Gdelta / bw;
  const gch = gy;
  // knots -> normalised widths/heights: cw_k = -B + 2B sum_{i<k} w_i, bw_k = 2B w_k (same for heights)
  const gw = w.gw;
  const gh = w.gh;
  for (let i = 0; i < K; i++) {
    gw[i] = 2 * B * (i < k ? gcw : i === k ? gbw : 0);
    gh[i] = 2 * B * (i < k ? gch : i === k ? gbh : 0);
  }
  // w_i = min + (1 - min K) softmax_i; softmax backward; then the 1/sqrt(hidden) scale
  softmaxBackward(b, w.o + SW(K), gw, K, (1 - MIN_BIN_WIDTH * K) * scale, g, go);
  softmaxBackward(b, w.o + SH(K), gh, K, (1 - MIN_BIN_HEIGHT * K) * scale, g, go + K);
  // interior derivatives d_k = min + softplus(p) (the sigmoid kept from the forward pass), boundary ones constant
  const sgo = w.o + SG(K);
  if (k >= 1) g[go + 2 * K + k - 1] = g[go + 2 * K + k - 1]! + Gdk * b[sgo + k - 1]!;
  if (k + 1 <= K - 1) g[go + 2 * K + k] = g[go + 2 * K + k]! + Gdk1 * b[sgo + k]!;
  return gx;
}

/** g[go + i] += c * s_i (gs_i - sum_j s_j gs_j), s at s[so ...]. */
function softmaxBackward(
  s: Float64Array,
  so: number,
  gs: Float64Array,
  K: number,
  c: number,
  g: Float32Array,
  go: number,
): void {
  let dot = 0;
  for (let i = 0; i < K; i++) dot += s[so + i]! * gs[i]!;
  for (let i = 0; i < K; i++) g[go + i] = g[go + i]! + c * s[so + i]! * (gs[i]! - dot);
}
