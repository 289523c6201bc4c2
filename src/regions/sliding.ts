import type { Interval } from '../events/result.js';
import { windowId, type SchemeWindow } from './scheme.js';
import { SidebandError } from '../events/errors.js';

/**
 * ATLAS 2024 sliding windows (seed 000 §V.A): SRs of fixed width whose centres step across the spectrum, each
 * with sidebands of fixed width directly below and above. Default: SR 600 GeV, SBs 600 GeV, centres 2.9–4.7 TeV
 * in 300 GeV steps, so SRs [2.6, 3.2] … [4.4, 5.0] TeV and an event sits in up to four windows.
 */
export interface SlidingScheme {
  srWidth?: number;
  sbWidth?: number;
  firstCentre?: number;
  lastCentre?: number;
  step?: number;
}

export function slidingWindows(s: SlidingScheme = {}): SchemeWindow[] {
  const srWidth = s.srWidth ?? 600,
    sbWidth = s.sbWidth ?? 600,
    step = s.step ?? 300;
  const first = s.firstCentre ?? 2900,
    last = s.lastCentre ?? 4700;
  if (!(srWidth > 0 && sbWidth >= 0 && step > 0 && last >= first))
    throw new SidebandError('sliding windows: widths and step must be positive and lastCentre >= firstCentre');
  const out: SchemeWindow[] = [];
  // Integer step count avoids accumulating floating-point error in the centres.
  for (let k = 0; first + k * step <= last + 1e-9; k++) {
    const c = first + k * step;
    const sr: Interval = [c - srWidth / 2, c + srWidth / 2];
    const sb: Interval[] =
      sbWidth > 0
        ? [
            [sr[0] - sbWidth, sr[0]],
            [sr[1], sr[1] + sbWidth],
          ]
        : [];
    out.push({ id: windowId(sr), sr, sb });
  }
  return out;
}
