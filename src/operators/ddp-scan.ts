/**
 * ddpScan: the DDP neural bump hunter (seed 002) on every histogram update of a window. Each WindowResult that
 * carries an mjj histogram (inclusive or at a working point, from a threshold, growth, time, end or online
 * analysis) gets a `ddp` block: the trained Znet3's per-bin z (max over signal widths) and background, its largest
 * z with the bin, and beside them the fit-based per-bin z_PL over the window's own fitted background, so a result
 * carries both significances. One forward pass per histogram (milliseconds), so it runs inline, on the event loop.
 *
 * Why beside and not instead: the network needs no fit and sees every bin, the fit-based Z is the calibrated
 * merged-SR test; the topology's `ddp.alertOn` chooses which raises alerts (operators/alert.ts).
 * Side effects: one RunObserver.ddpScanned(window, seconds) per scan (the scan-latency histogram).
 */
import type { OperatorFunction } from 'rxjs';
import { zPlTargets } from '../analysis/ddp-targets.js';
import type { Znet3 } from '../analysis/ddp-znet3.js';
import type { RunObserver } from '../events/observer.js';
import type { DdpResult, WindowResult } from '../events/result.js';
import { operate, operatorObserver } from './operate.js';

export interface DdpScanOptions {
  model: Znet3;
  /** The model's name in the results (the topology's path). */
  label: string;
  observer?: RunObserver;
}

/** The ddp block of one result (undefined when it has no histogram). */
export function ddpOf(result: WindowResult, o: DdpScanOptions): DdpResult | undefined {
  const h = result.histogram;
  if (!h || h.counts.length === 0) return undefined;
  const t0 = performance.now();
  const counts = Float64Array.from(h.counts);
  const p = o.model.predict({ counts, offsets: Int32Array.from([0, counts.length]) });
  const seconds = (performance.now() - t0) / 1000;
  o.observer?.ddpScanned?.(result.window.id, seconds);
  let bin = 0;
  for (let j = 1; j < p.z.length; j++) if (p.z[j]! > p.z[bin]!) bin = j;
  const outside = o.model.outsideDomain(counts);
  const out: DdpResult = {
    model: o.label,
    valid: outside === undefined,
    ...(outside ? { invalid: `outside the training domain: ${outside}` } : {}),
    zMax: p.z[bin]!,
    bin,
    mass: [h.edges[bin]!, h.edges[bin + 1]!],
    z: Array.from(p.z),
    background: Array.from(p.background),
    seconds,
  };
  const fit = result.fit;
  if (fit?.status === 'ok' && fit.prediction.length === counts.length && fit.prediction.every((b) => b > 0)) {
    const fz = zPlTargets(counts, Float64Array.from(fit.prediction)).zMixed;
    out.fitZ = Array.from(fz);
    out.fitZMax = fz.reduce((a, b) => Math.max(a, b), 0);
  }
  return out;
}

/** RxJS operator: WindowResults in, the same results with their `ddp` block out. */
export function ddpScan(o: DdpScanOptions): OperatorFunction<WindowResult, WindowResult> {
  return operate<WindowResult, WindowResult>((source, subscriber) =>
    source.subscribe(
      operatorObserver<WindowResult>(subscriber, {
        next: (result) => {
          const ddp = ddpOf(result, o);
          subscriber.next(ddp ? { ...result, ddp } : result);
        },
      }),
    ),
  );
}
