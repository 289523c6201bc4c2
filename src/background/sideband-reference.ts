/**
 * The CWoLa hunting background template (seed 001): the sideband data themselves. Signal-region events are the
 * "data" class (label 1), sideband events the "template" class (label 0); a classifier that separates them finds
 * whatever the SR has that the neighbouring sidebands lack. Assumes the features vary slowly with mjj (decorrelate
 * them first where they do not, see classify/decorrelate.ts).
 */
import type { WindowSnapshot } from '../events/snapshot.js';

/** Role codes: 0 = SR, 1 + s = sideband s (low side first, in window.sb order), 255 = outside the window. */
export const ROLE_SR = 0;
export const ROLE_NONE = 255;

export interface TemplateSample {
  /** Name reported in ModelInfo.background. */
  name: string;
  role: Uint8Array;
  /** Class label for training: 1 = data (SR), 0 = template (SB). Only meaningful where role != 255. */
  y: Uint8Array;
  nData: number;
  nTemplate: number;
}

export function sidebandReference(snapshot: WindowSnapshot): TemplateSample {
  const { mjj, n, window } = snapshot;
  const [srLo, srHi] = window.sr;
  const sb = window.sb;
  const role = new Uint8Array(n);
  const y = new Uint8Array(n);
  let nData = 0;
  let nTemplate = 0;
  for (let i = 0; i < n; i++) {
    const m = mjj[i]!;
    if (m >= srLo && m < srHi) {
      role[i] = ROLE_SR;
      y[i] = 1;
      nData++;
      continue;
    }
    let r = ROLE_NONE;
    for (let s = 0; s < sb.length; s++) {
      if (m >= sb[s]![0] && m < sb[s]![1]) {
        r = 1 + s;
        break;
      }
    }
    role[i] = r;
    if (r !== ROLE_NONE) nTemplate++;
  }
  return { name: 'sideband-reference', role, y, nData, nTemplate };
}
