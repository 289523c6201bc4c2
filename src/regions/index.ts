import { edgeWindows, type EdgeScheme } from './edges.js';
import type { SchemeWindow } from './scheme.js';
import { singleWindow, type SingleScheme } from './single.js';
import { slidingWindows, type SlidingScheme } from './sliding.js';
import { tableWindows, type TableScheme } from './table.js';

export type WindowsConfig =
  | ({ scheme: 'sliding' } & SlidingScheme)
  | ({ scheme: 'edges' } & EdgeScheme)
  | ({ scheme: 'table' } & TableScheme)
  | ({ scheme: 'single' } & SingleScheme);

/** Registry of window schemes by the name a topology uses. */
export function buildWindows(cfg: WindowsConfig): SchemeWindow[] {
  switch (cfg.scheme) {
    case 'sliding':
      return slidingWindows(cfg);
    case 'edges':
      return edgeWindows(cfg);
    case 'table':
      return tableWindows(cfg);
    case 'single':
      return singleWindow(cfg);
  }
}

export type { SchemeWindow } from './scheme.js';
export { windowSpan } from './scheme.js';
