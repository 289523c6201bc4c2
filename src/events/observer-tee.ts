/**
 * One RunObserver that forwards every call to several: the metrics instruments and the terminal's progress
 * display hear the same stages. A target may be a getter, for an observer that exists only once the run is
 * compiled (the progress display needs the compiled windows, the stages need the observer to compile).
 */
import type { RunObserver } from './observer.js';

type Target = RunObserver | (() => RunObserver | undefined);

export function teeObservers(...targets: Target[]): RunObserver {
  const resolve = (t: Target) => (typeof t === 'function' ? t() : t);
  return new Proxy({} as RunObserver, {
    get: (_, key) => {
      if (typeof key !== 'string') return undefined;
      return (...args: unknown[]) => {
        for (const t of targets) {
          const o = resolve(t) as Record<string, unknown> | undefined;
          const f = o?.[key];
          if (typeof f === 'function') (f as (...a: unknown[]) => void).apply(o, args);
        }
      };
    },
  });
}
