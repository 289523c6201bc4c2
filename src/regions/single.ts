import type { Interval } from '../events/result.js';
import { windowId, type SchemeWindow } from './scheme.js';

/**
 * One fixed window, e.g. the LHC Olympics R&D signal region used by CATHODE: SR 3.3–3.7 TeV, SB the rest of the
 * spectrum (bounded here by `sb`, default everything from 0 to √s beside the SR).
 */
export interface SingleScheme {
  sr?: Interval;
  sb?: Interval[];
}

export function singleWindow(s: SingleScheme = {}): SchemeWindow[] {
  const sr = s.sr ?? [3300, 3700];
  const sb = s.sb ?? [
    [0, sr[0]],
    [sr[1], 13000],
  ];
  return [{ id: windowId(sr), sr, sb }];
}
