import { neighbourWindows, type SchemeWindow } from './scheme.js';
import { SidebandError } from '../events/errors.js';

/**
 * ATLAS 2020 CWoLa hunting (seed 001): bins of width ~20 % of mjj; SR k is trained against its two neighbours.
 * Edges in GeV; regions 1–6 of the default edges are the SRs.
 */
export const ATLAS2020_EDGES = [1900, 2280, 2740, 3280, 3940, 4730, 5680, 6810, 8170];

export interface EdgeScheme {
  edges?: number[];
  /** First and last SR bin index (0-based into the bins); default 1 .. nbins−2. */
  first?: number;
  last?: number;
}

export function edgeWindows(s: EdgeScheme = {}): SchemeWindow[] {
  const edges = s.edges ?? ATLAS2020_EDGES;
  for (let i = 1; i < edges.length; i++)
    if (!(edges[i]! > edges[i - 1]!)) throw new SidebandError(`edges must increase (edges[${i}] = ${edges[i]})`);
  return neighbourWindows(edges, s.first ?? 1, s.last ?? edges.length - 3);
}
