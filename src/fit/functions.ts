/**
 * The dijet fit-function families, in x = mjj/√s.
 *
 * Every family used by the ATLAS dijet searches is log-linear in its shape parameters: ln(dn/dx) is a linear
 * combination of fixed features of x (1, ln(1−x), ln x, ln²x, x, x² …). We exploit that: a function is described
 * by its feature list φ_j(x) and a constant linear map between its published parameters (p2…pm) and the feature
 * coefficients β_j, with β_0 = ln p1. The minimizer then works on β (well conditioned after orthonormalising
 * the features, see binned-fit.ts) and gradients/Hessians of bin integrals are exact and cheap.
 *
 *   dijet3  p1 (1−x)^p2 x^−p3
 *   dijet4  p1 (1−x)^p2 x^(−p3 + p4 ln x)
 *   dijet5  p1 (1−x)^p2 x^(−p3 + p4 ln x + p5 ln²x)
 *   ua2     p1 x^−p2 e^(−p3 x − p4 x²)
 *   ATLAS 2020 (seed 001) decorrelated variants, with constants ξ1, ξ2, ξ3 chosen so the p_i are uncorrelated:
 *   dijet3d p1 (1−x)^(p2 − ξ1 p3) x^−p3
 *   dijet4d p1 (1−x)^(p2 − ξ1 p3) x^(−p3 + (p4 − ξ2 p3 − ξ3 p2) ln x)
 *   ua2d    p1 x^(p2 − ξ1 p3) e^(−p3 x + (p4 − ξ2 p3 − ξ3 p2) x²)
 * The decorrelated variants describe the same shapes as dijet3/dijet4/ua2 (same predictions, same χ²); only
 * the parameters reported differ. With ξ = 0 they reduce to a plain reparametrisation.
 */

export type FeatureId = 'one' | 'ln1mx' | 'lnx' | 'ln2x' | 'ln3x' | 'x' | 'x2';

export interface FitFunction {
  readonly name: string;
  readonly formula: string;
  readonly paramNames: readonly string[];
  readonly nParams: number;
  /** Features φ_j(x) with ln f = Σ β_j φ_j; the first is always the constant (β_0 = ln p1). */
  readonly features: readonly FeatureId[];
  /** (m−1)×(m−1) row-major map from (p2…pm) to (β_1…β_{m−1}): β = M p. */
  readonly shapeMap: Float64Array;
  /** Its inverse: p = M⁻¹ β. */
  readonly shapeMapInv: Float64Array;
}

export interface DecorrelationConstants {
  xi1?: number;
  xi2?: number;
  xi3?: number;
}

/** φ(x) for one feature. ln(1−x) needs x < 1; the callers only evaluate inside (0, 1). */
export function featureValue(id: FeatureId, x: number): number {
  switch (id) {
    case 'one':
      return 1;
    case 'ln1mx':
      return Math.log1p(-x);
    case 'lnx':
      return Math.log(x);
    case 'ln2x': {
      const l = Math.log(x);
      return l * l;
    }
    case 'ln3x': {
      const l = Math.log(x);
      return l * l * l;
    }
    case 'x':
      return x;
    case 'x2':
      return x * x;
  }
}

function invert(m: Float64Array, n: number): Float64Array {
  // Gauss–Jordan with partial pivoting; the maps are tiny, constant and well conditioned (entries ±1, ξ).
  const a = Float64Array.from(m);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[piv * n + c]!)) piv = r;
    if (a[piv * n + c] === 0) throw new RangeError(`fit function: singular parameter map`);
    for (let k = 0; k < n; k++) {
      [a[c * n + k], a[piv * n + k]] = [a[piv * n + k]!, a[c * n + k]!];
      [inv[c * n + k], inv[piv * n + k]] = [inv[piv * n + k]!, inv[c * n + k]!];
    }
    const d = a[c * n + c]!;
    for (let k = 0; k < n; k++) {
      a[c * n + k] = a[c * n + k]! / d;
      inv[c * n + k] = inv[c * n + k]! / d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c]!;
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        a[r * n + k] = a[r * n + k]! - f * a[c * n + k]!;
        inv[r * n + k] = inv[r * n + k]! - f * inv[c * n + k]!;
      }
    }
  }
  return inv;
}

function make(name: string, formula: string, features: FeatureId[], map: number[]): FitFunction {
  const m = features.length;
  const shapeMap = Float64Array.from(map);
  if (shapeMap.length !== (m - 1) * (m - 1)) throw new RangeError(`fit function ${name}: map size`);
  return {
    name,
    formula,
    features,
    nParams: m,
    paramNames: Array.from({ length: m }, (_, i) => `p${i + 1}`),
    shapeMap,
    shapeMapInv: invert(shapeMap, m - 1),
  };
}

/** Build a fit function by name. Decorrelated variants take their ξ constants (default 0). */
export function fitFunction(name: string, xi: DecorrelationConstants = {}): FitFunction {
  const x1 = xi.xi1 ?? 0,
    x2 = xi.xi2 ?? 0,
    x3 = xi.xi3 ?? 0;
  switch (name) {
    case 'dijet3':
      return make(name, 'p1 (1-x)^p2 x^-p3', ['one', 'ln1mx', 'lnx'], [1, 0, 0, -1]);
    case 'dijet4':
      return make(name, 'p1 (1-x)^p2 x^(-p3 + p4 ln x)', ['one', 'ln1mx', 'lnx', 'ln2x'], [1, 0, 0, 0, -1, 0, 0, 0, 1]);
    case 'dijet5':
      return make(
        name,
        'p1 (1-x)^p2 x^(-p3 + p4 ln x + p5 ln^2 x)',
        ['one', 'ln1mx', 'lnx', 'ln2x', 'ln3x'],
        [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
      );
    case 'ua2':
      return make(name, 'p1 x^-p2 exp(-p3 x - p4 x^2)', ['one', 'lnx', 'x', 'x2'], [-1, 0, 0, 0, -1, 0, 0, 0, -1]);
    case 'dijet3d':
      return make(name, 'p1 (1-x)^(p2 - xi1 p3) x^-p3', ['one', 'ln1mx', 'lnx'], [1, -x1, 0, -1]);
    case 'dijet4d':
      return make(
        name,
        'p1 (1-x)^(p2 - xi1 p3) x^(-p3 + (p4 - xi2 p3 - xi3 p2) ln x)',
        ['one', 'ln1mx', 'lnx', 'ln2x'],
        [1, -x1, 0, 0, -1, 0, -x3, -x2, 1],
      );
    case 'ua2d':
      return make(
        name,
        'p1 x^(p2 - xi1 p3) exp(-p3 x + (p4 - xi2 p3 - xi3 p2) x^2)',
        ['one', 'lnx', 'x', 'x2'],
        [1, -x1, 0, 0, -1, 0, -x3, -x2, 1],
      );
    default:
      throw new RangeError(`fit function: unknown '${name}' (known: ${FIT_FUNCTION_NAMES.join(', ')})`);
  }
}

export const FIT_FUNCTION_NAMES = ['dijet3', 'dijet4', 'dijet5', 'ua2', 'dijet3d', 'dijet4d', 'ua2d'] as const;

/** Feature coefficients β from published parameters p (p1 > 0). */
export function paramsToBeta(fn: FitFunction, p: ArrayLike<number>): Float64Array {
  const m = fn.nParams,
    k = m - 1;
  const beta = new Float64Array(m);
  beta[0] = Math.log(p[0]!);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += fn.shapeMap[i * k + j]! * p[j + 1]!;
    beta[i + 1] = s;
  }
  return beta;
}

/** Published parameters p from feature coefficients β. */
export function betaToParams(fn: FitFunction, beta: ArrayLike<number>): Float64Array {
  const m = fn.nParams,
    k = m - 1;
  const p = new Float64Array(m);
  p[0] = Math.exp(beta[0]!);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += fn.shapeMapInv[i * k + j]! * beta[j + 1]!;
    p[i + 1] = s;
  }
  return p;
}

/** Jacobian ∂p/∂β (m×m, row-major) at β, to carry a covariance from β to the published parameters. */
export function paramsJacobian(fn: FitFunction, beta: ArrayLike<number>): Float64Array {
  const m = fn.nParams,
    k = m - 1;
  const j = new Float64Array(m * m);
  j[0] = Math.exp(beta[0]!);
  for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) j[(r + 1) * m + (c + 1)] = fn.shapeMapInv[r * k + c]!;
  return j;
}

/** dn/dx at x for published parameters p (for plotting and tests; fits integrate over bins instead). */
export function density(fn: FitFunction, x: number, p: ArrayLike<number>): number {
  const beta = paramsToBeta(fn, p);
  let g = 0;
  for (let j = 0; j < fn.nParams; j++) g += beta[j]! * featureValue(fn.features[j]!, x);
  return Math.exp(g);
}
