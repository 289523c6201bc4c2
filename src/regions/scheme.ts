import type { Interval, WindowDef } from '../events/result.js';
import { SidebandError } from '../events/errors.js';

/** A window scheme turns its topology block into the list of mass hypotheses (windows) of a search. */
export interface SchemeWindow extends WindowDef {
  /** Scheme-specific selection efficiency (CMS 2024 bins carry their own ε); overrides the topology default. */
  workingPoints?: number[];
}

export function windowId(sr: Interval): string {
  return `sr-${Math.round(sr[0])}-${Math.round(sr[1])}`;
}

/** Full mass range a window reads: lowest sideband edge to highest. */
export function windowSpan(w: Pick<WindowDef, 'sr' | 'sb'>): Interval {
  let lo = w.sr[0],
    hi = w.sr[1];
  for (const [a, b] of w.sb) {
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  }
  return [lo, hi];
}

/** Neighbouring-bin windows over an edge list: SR k against bins k−1 and k+1 (seed 001, CMS 2024). */
export function neighbourWindows(
  edges: number[],
  first: number,
  last: number,
  workingPoints?: (k: number) => number[] | undefined,
): SchemeWindow[] {
  const out: SchemeWindow[] = [];
  for (let k = first; k <= last; k++) {
    if (k < 1 || k + 2 >= edges.length)
      throw new SidebandError(`window ${k} needs neighbouring bins on both sides (edges has ${edges.length - 1} bins)`);
    const sr: Interval = [edges[k]!, edges[k + 1]!];
    const wp = workingPoints?.(k);
    out.push({
      id: windowId(sr),
      sr,
      sb: [
        [edges[k - 1]!, edges[k]!],
        [edges[k + 1]!, edges[k + 2]!],
      ],
      ...(wp ? { workingPoints: wp } : {}),
    });
  }
  return out;
}
