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

/** Workspace for one spline evaluation with K bins (reused across elements: no allocation per element). */
export class SplineScratch {
  readonly sw: Float64Array;
  readonly sh: Float64Array;
  readonly cw: Float64Array;
  readonly ch: Float64Array;
  readonly d: Float64Array;
  readonly gw: Float64Array;
  readonly gh: Float64Array;
  constructor(readonly K: number) {
    this.sw = new Float64Array(K);
    this.sh = new Float64Array(K);
    this.cw = new Float64Array(K + 1);
    this.ch = new Float64Array(K + 1);
    this.d = new Float64Array(K + 1);
    this.gw = new Float64Array(K);
    this.gh = new Float64Array(K);
  }
}

function softplus(x: number): number {
  return x > 20 ? x : log1p(exp(x));
}

/** softmax of p[o + 0..K-1] * scale into s. */
function softmax(p: ArrayLike<number>, o: number, K: number, scale: number, s: Float64Array): void {
  let mx = NEG_INF;
  for (let i = 0; i < K; i++) mx = max(mx, p[o + i]! * scale);
  let z = 0;
  for (let i = 0; i < K; i++) {
    const e = exp(p[o + i]! * scale - mx);
    s[i] = e;
    z += e;
  }
  for (let i = 0; i < K; i++) s[i] = s[i]! / z;
}

/**
 * Knots from the unnormalised parameters p[o ...] (widths K, heights K, derivatives K - 1; widths and heights
 * multiplied by `scale`, as nflows divides them by sqrt(hidden features)).
 */
export function knots(p: ArrayLike<number>, o: number, K: number, B: number, scale: number, w: SplineScratch): void {
  softmax(p, o, K, scale, w.sw);
  softmax(p, o + K, K, scale, w.sh);
  const aw = 1 - MIN_BIN_WIDTH * K;
  const ah = 1 - MIN_BIN_HEIGHT * K;
  let cw = 0;
  let ch = 0;
  w.cw[0] = -B;
  w.ch[0] = -B;
  for (let i = 0; i < K; i++) {
    cw += MIN_BIN_WIDTH + aw * w.sw[i]!;
    ch += MIN_BIN_HEIGHT + ah * w.sh[i]!;
    w.cw[i + 1] = 2 * B * cw - B;
    w.ch[i + 1] = 2 * B * ch - B;
  }
  w.cw[K] = B;
  w.ch[K] = B;
  w.d[0] = 1;
  w.d[K] = 1;
  for (let i = 1; i < K; i++) w.d[i] = MIN_DERIVATIVE + softplus(p[o + 2 * K + i - 1]!);
}

/** Bin of x among the knots (x inside [-B, B]). */
function binOf(c: Float64Array, K: number, x: number): number {
  let k = 0;
  while (k < K - 1 && x >= c[k + 1]!) k++;
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
  const k = binOf(w.cw, K, x);
  const cw = w.cw[k]!;
  const bw = w.cw[k + 1]! - cw;
  const ch = w.ch[k]!;
  const bh = w.ch[k + 1]! - ch;
  const dk = w.d[k]!;
  const dk1 = w.d[k + 1]!;
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
  const k = binOf(w.ch, K, y);
  const cw = w.cw[k]!;
  const bw = w.cw[k + 1]! - cw;
  const ch = w.ch[k]!;
  const bh = w.ch[k + 1]! - ch;
  const dk = w.d[k]!;
  const dk1 = w.d[k + 1]!;
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
 * adds dL/dp into g[go ...] (same layout as the parameters). Knots must be set by knots() for these parameters.
 */
export function splineBackward(
  x: number,
  gy: number,
  gl: number,
  p: ArrayLike<number>,
  o: number,
  K: number,
  B: number,
  scale: number,
  w: SplineScratch,
  g: Float32Array,
  go: number,
): number {
  if (!(x >= -B && x <= B)) return gy;
  const k = binOf(w.cw, K, x);
  const cw = w.cw[k]!;
  const bw = w.cw[k + 1]! - cw;
  const ch = w.ch[k]!;
  const bh = w.ch[k + 1]! - ch;
  const dk = w.d[k]!;
  const dk1 = w.d[k + 1]!;
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
  softmaxBackward(w.sw, gw, K, (1 - MIN_BIN_WIDTH * K) * scale, g, go);
  softmaxBackward(w.sh, gh, K, (1 - MIN_BIN_HEIGHT * K) * scale, g, go + K);
  // interior derivatives d_k = min + softplus(p), boundary ones constant
  if (k >= 1) g[go + 2 * K + k - 1] = g[go + 2 * K + k - 1]! + Gdk * sigmoid(p[o + 2 * K + k - 1]!);
  if (k + 1 <= K - 1) g[go + 2 * K + k] = g[go + 2 * K + k]! + Gdk1 * sigmoid(p[o + 2 * K + k]!);
  return gx;
}

function sigmoid(x: number): number {
  return 1 / (1 + exp(-x));
}

/** g[go + i] += c * s_i (gs_i - sum_j s_j gs_j). */
function softmaxBackward(s: Float64Array, gs: Float64Array, K: number, c: number, g: Float32Array, go: number): void {
  let dot = 0;
  for (let i = 0; i < K; i++) dot += s[i]! * gs[i]!;
  for (let i = 0; i < K; i++) g[go + i] = g[go + i]! + c * s[i]! * (gs[i]! - dot);
}
