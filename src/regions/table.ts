import type { Interval } from '../events/result.js';
import { neighbourWindows, windowId, type SchemeWindow } from './scheme.js';

/**
 * CMS 2024 bin tables (seed 003): two staggered sets of mjj bins, A0–A7 and B0–B7, with a per-bin efficiency
 * cut; bins 1–6 are SRs against their neighbours, bins 0 and 7 serve only as sidebands.
 */
const CMS_A = {
  edges: [1350, 1650, 2017, 2465, 3013, 3682, 4500, 5500, 8000],
  eff: [0, 0.01, 0.01, 0.01, 0.03, 0.03, 0.05, 0],
};
const CMS_B = {
  edges: [1492, 1824, 2230, 2725, 3331, 4071, 4975, 6081, 8000],
  eff: [0, 0.01, 0.01, 0.01, 0.03, 0.03, 0.05, 0],
};
export const CMS2024_TABLES = { A: CMS_A, B: CMS_B } as const;

export interface TableScheme {
  /** A preset ('cms2024-A', 'cms2024-B', 'cms2024' = both) or explicit windows. */
  preset?: 'cms2024-A' | 'cms2024-B' | 'cms2024';
  windows?: Array<{ id?: string; sr: Interval; sb: Interval[]; workingPoints?: number[] }>;
}

export function tableWindows(s: TableScheme): SchemeWindow[] {
  if (s.windows?.length) return s.windows.map((w) => ({ ...w, id: w.id ?? windowId(w.sr) }));
  const sets = s.preset === 'cms2024-A' ? ['A'] : s.preset === 'cms2024-B' ? ['B'] : ['A', 'B'];
  return sets.flatMap((name) => {
    const t = CMS2024_TABLES[name as 'A' | 'B'];
    return neighbourWindows(t.edges, 1, 6, (k) => [t.eff[k]!]).map((w, i) => ({ ...w, id: `${name}${i + 1}` }));
  });
}
