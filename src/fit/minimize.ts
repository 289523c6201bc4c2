/**
 * Damped Newton (Levenberg–Marquardt on the full Hessian) for smooth objectives of a few parameters.
 *
 * Why not a general library: the binned likelihoods here come with exact gradients and Hessians for free
 * (the fit functions are log-linear in their parameters), so Newton converges in a handful of steps, and
 * the damping keeps it safe far from the minimum where the Poisson Hessian can be indefinite. The
 * convergence diagnostic is MINUIT's estimated distance to minimum, EDM = ½ gᵀ H⁻¹ g.
 */
import { cholesky, choleskySolve, invertSpd, quadForm } from './linalg.js';

/**
 * The objective: returns f(x); when `grad`/`hess` are given, also fills the gradient and the (row-major,
 * symmetric) Hessian. Returns a non-finite value where f is undefined (the step is then rejected).
 */
export type Objective = (x: Float64Array, grad: Float64Array | null, hess: Float64Array | null) => number;

export interface NewtonOptions {
  maxIterations?: number;
  /** Stop when EDM falls below this (objective units). */
  edmTolerance?: number;
}

export interface NewtonResult {
  x: Float64Array;
  f: number;
  gradient: Float64Array;
  hessian: Float64Array;
  /** Estimated distance to minimum at the end (∞ when the Hessian is not positive definite). */
  edm: number;
  iterations: number;
  /** EDM below tolerance and the Hessian positive definite. */
  converged: boolean;
  status: string;
}

export function minimizeNewton(objective: Objective, x0: ArrayLike<number>, options: NewtonOptions = {}): NewtonResult {
  const n = x0.length;
  const maxIt = options.maxIterations ?? 200;
  const tol = options.edmTolerance ?? 1e-9;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n),
    h = new Float64Array(n * n);
  let xt = new Float64Array(n),
    gt = new Float64Array(n),
    ht = new Float64Array(n * n);
  const a = new Float64Array(n * n),
    step = new Float64Array(n);
  let f = objective(x, g, h);
  if (!Number.isFinite(f)) {
    return {
      x,
      f,
      gradient: g,
      hessian: h,
      edm: Infinity,
      iterations: 0,
      converged: false,
      status: 'objective not finite at the start point',
    };
  }
  const edmOf = (): number => {
    a.set(h);
    if (!cholesky(a, n)) return Infinity;
    step.set(g);
    choleskySolve(a, n, step);
    let s = 0;
    for (let i = 0; i < n; i++) s += g[i]! * step[i]!;
    return 0.5 * s;
  };
  let edm = edmOf();
  let lambda = 1e-4;
  let it = 0;
  let status = 'max iterations reached';
  while (it < maxIt) {
    if (edm < tol) {
      status = 'converged';
      break;
    }
    it++;
    // Damped system (H + λ D) δ = −g with D = |diag H| (scale-invariant damping, as in Marquardt 1963).
    a.set(h);
    for (let i = 0; i < n; i++) a[i * n + i] = h[i * n + i]! + lambda * (Math.abs(h[i * n + i]!) + 1e-300);
    if (!cholesky(a, n)) {
      lambda = Math.max(lambda * 10, 1e-8);
      if (lambda > 1e16) {
        status = 'Hessian could not be regularised';
        break;
      }
      continue;
    }
    for (let i = 0; i < n; i++) step[i] = -g[i]!;
    choleskySolve(a, n, step);
    for (let i = 0; i < n; i++) xt[i] = x[i]! + step[i]!;
    const ft = objective(xt, gt, ht);
    if (Number.isFinite(ft) && ft <= f) {
      const improvement = f - ft;
      [x, xt] = [xt, x];
      [g, gt] = [gt, g];
      [h, ht] = [ht, h];
      f = ft;
      lambda = Math.max(lambda / 10, 1e-12);
      edm = edmOf();
      // A step that changed nothing at machine precision while EDM stays above tolerance: we are at the
      // floor of what double precision can resolve for this objective.
      if (improvement <= 1e-15 * Math.abs(f) && edm < 1e3 * tol) {
        status = 'converged (precision floor)';
        break;
      }
    } else {
      lambda *= 10;
      if (lambda > 1e16) {
        status = 'no further decrease possible';
        break;
      }
    }
  }
  edm = edmOf();
  // Converged: EDM below tolerance, or stalled at the floor of double precision just above it. Running out of
  // iterations is never convergence, even with a small EDM: that is the signature of a minimum at infinity
  // (e.g. a spectrum of one event, whose likelihood keeps rising as the shape steepens without bound).
  if (edm < tol) status = 'converged';
  const converged = Number.isFinite(f) && status.startsWith('converged');
  return {
    x,
    f,
    gradient: g,
    hessian: h,
    edm,
    iterations: it,
    converged,
    status: converged ? status : `not converged: ${status} (edm ${edm.toExponential(2)})`,
  };
}

/** Covariance = errorDef-scaled inverse Hessian at the minimum (errorDef 0.5 for −ln L, 1 for χ²). */
export function covarianceFromHessian(hessian: Float64Array, n: number, upIsChi2: boolean): Float64Array | null {
  const inv = invertSpd(hessian, n);
  if (!inv) return null;
  if (upIsChi2) for (let i = 0; i < inv.length; i++) inv[i] = 2 * inv[i]!;
  return inv;
}

export { quadForm };
