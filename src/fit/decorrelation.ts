/**
 * The ξ constants of seed 001's decorrelated dijet functions (dijet3d, dijet4d, ua2d), chosen so that the
 * shape parameters come out uncorrelated: "the ξ_i are chosen to ensure that the p_i are uncorrelated".
 *
 * The decorrelated forms are linear reparametrisations of the plain ones: with the ξ = 0 parameters p,
 *   p2' = p2 + ξ1 p3,   p3' = p3,   p4' = p4 + ξ2 p3 + ξ3 p2',
 * so given the covariance C of a ξ = 0 fit, the constants follow in closed form and the decorrelated
 * parameters and covariance are exact transforms (no refit):
 *   ξ1 = −C23/C33,  ξ2 = −C43/C33,  ξ3 = −Cov(p4, p2')/Var(p2').
 */
import type { BinnedFit } from './binned-fit.js';
import type { DecorrelationConstants } from './functions.js';
import { congruence } from './linalg.js';

export interface Decorrelated {
  xi: Required<DecorrelationConstants>;
  params: Float64Array;
  covariance: Float64Array;
}

/** ξ constants and the decorrelated parameters for a fit of dijet3d, dijet4d or ua2d made with ξ = 0. */
export function decorrelate(fit: BinnedFit): Decorrelated {
  const name = fit.fn.name;
  if (name !== 'dijet3d' && name !== 'dijet4d' && name !== 'ua2d') {
    throw new RangeError(`decorrelate: ${name} is not a decorrelated function (dijet3d, dijet4d, ua2d)`);
  }
  const m = fit.fn.nParams;
  const shape = fit.fn.shapeMap;
  // The fit must have been made with ξ = 0: its shape map is then diagonal.
  for (let r = 0; r < m - 1; r++)
    for (let c = 0; c < m - 1; c++) {
      if (r !== c && shape[r * (m - 1) + c] !== 0)
        throw new RangeError(`decorrelate: ${name} fit was not made with ξ = 0`);
    }
  const C = fit.covariance;
  const c = (i: number, j: number) => C[(i - 1) * m + (j - 1)]!; // 1-based p indices as in the paper
  const xi1 = -c(2, 3) / c(3, 3);
  let xi2 = 0,
    xi3 = 0;
  if (m === 4) {
    xi2 = -c(4, 3) / c(3, 3);
    const covP4P2p = c(4, 2) + xi1 * c(4, 3);
    const varP2p = c(2, 2) + 2 * xi1 * c(2, 3) + xi1 * xi1 * c(3, 3);
    xi3 = -covP4P2p / varP2p;
  }
  // p' = A p (row-major m×m).
  const A = new Float64Array(m * m);
  for (let i = 0; i < m; i++) A[i * m + i] = 1;
  A[1 * m + 2] = xi1;
  if (m === 4) {
    A[3 * m + 2] = xi2 + xi3 * xi1;
    A[3 * m + 1] = xi3;
  }
  const params = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += A[i * m + j]! * fit.params[j]!;
    params[i] = s;
  }
  return { xi: { xi1, xi2, xi3 }, params, covariance: congruence(A, C, m) };
}
