/**
 * alert: the near-online anomaly trigger. Watches the stream of WindowResults and emits an AlertRecord when a
 * window's local significance Z crosses the topology's threshold upwards. One alert per crossing per window and
 * working point: a window that stays above the threshold while it keeps re-analysing (growth triggers) does not
 * page again; it re-arms once its Z falls back below the re-arm level (default: the threshold itself).
 *
 * Why a crossing and not a level: windows are re-analysed as data grows, so a real excess produces a long run of
 * results above threshold; a level trigger would page on every one. The Prometheus rule on
 * sideband_window_significance_z is the level view (for dashboards and paging); this operator is the event view
 * (an alert record in the sinks, next to the results that caused it, and one log line).
 *
 * Side effects per crossing: sideband_alerts_total +1, sideband_anomaly_active = 1 (back to 0 on re-arm), one log
 * line. Results without a finite Z (failed analyses, inclusive histograms without a fit) leave the state unchanged.
 *
 * Which Z (`source`, the topology's ddp.alertOn): the fit-based Z of the merged SR bin (fit, the default), the DDP
 * network's largest per-bin z (ddp, from operators/ddp-scan.ts), or the larger of the two (either).
 */
import type { OperatorFunction } from 'rxjs';
import { SidebandError } from '../events/errors.js';
import type { RunObserver } from '../events/observer.js';
import type { WindowDef, WindowResult } from '../events/result.js';
import { operate, operatorObserver } from './operate.js';

export interface AlertRecord {
  kind: 'anomaly-alert';
  runId: string;
  topology: string;
  window: WindowDef;
  workingPoint: number | null;
  /** Local significance that crossed the threshold (σ): the merged SR bin's (fit) or the DDP network's (ddp). */
  z: number;
  by: 'fit' | 'ddp';
  p: number;
  threshold: number;
  observed: number;
  expected: number;
  expectedErr: number;
  /** What made the window analyse (threshold, growth, end). */
  trigger: WindowResult['trigger'];
  /** createdAt of the WindowResult that crossed. */
  resultCreatedAt: string;
  /**
   * Arrival time of the first event of the batch that raised the alert (the batch after which the analysis was
   * asked for, or the batch whose online scoring crossed), and the latency from it to this alert, seconds.
   */
  firstEventAt?: string;
  latencySeconds?: number;
  createdAt: string;
  /** The log line, human readable. */
  message: string;
  /** The key of the result that crossed (WindowResult.key): consumers of the alerts topic de-duplicate by it. */
  key?: string;
}

export interface AlertOptions {
  /** Z threshold (σ) from the topology; a crossing is z >= threshold. */
  threshold: number;
  /** Which significance is compared with the threshold (default fit). */
  source?: 'fit' | 'ddp' | 'either';
  /** Re-arm once z < rearmBelow; default = threshold. Set lower for hysteresis against flicker around the threshold. */
  rearmBelow?: number;
  /** Receives the threshold, each crossing and the active state (the metrics observer). */
  observer?: RunObserver;
  /** Where the one line per crossing goes; default stderr. Pass null to silence. */
  log?: ((line: string) => void) | null;
  /** Clock for createdAt (tests). */
  now?: () => Date;
}

/**
 * The crossing detector without RxJS, for callers that hold results in a loop (workers, replays).
 * `offer(result)` returns the AlertRecord of a new upward crossing, or undefined.
 */
export class AlertTracker {
  private readonly above = new Set<string>();
  private readonly threshold: number;
  private readonly source: 'fit' | 'ddp' | 'either';
  private readonly rearmBelow: number;
  private readonly observer?: RunObserver;
  private readonly log: ((line: string) => void) | null;
  private readonly now: () => Date;

  constructor(options: AlertOptions) {
    if (!Number.isFinite(options.threshold)) {
      throw new SidebandError(`alert: threshold must be a finite Z, got ${options.threshold}`);
    }
    const rearmBelow = options.rearmBelow ?? options.threshold;
    if (!(rearmBelow <= options.threshold)) {
      throw new SidebandError(`alert: rearmBelow (${rearmBelow}) must not exceed the threshold (${options.threshold})`);
    }
    this.threshold = options.threshold;
    this.source = options.source ?? 'fit';
    this.rearmBelow = rearmBelow;
    this.observer = options.observer;
    this.log = options.log === undefined ? (line) => process.stderr.write(`${line}\n`) : options.log;
    this.now = options.now ?? (() => new Date());
    this.observer?.alertThreshold?.(this.threshold);
  }

  /** The Z this tracker watches in a result (undefined: none that can be trusted). */
  private zOf(result: WindowResult): { z: number; by: 'fit' | 'ddp' } | undefined {
    if (result.error !== undefined) return undefined;
    const sig = result.significance;
    // Invalid windows and failed fits carry no fit Z.
    const fit = result.valid && sig?.z !== undefined && Number.isFinite(sig.z) ? sig.z : undefined;
    // a network scan outside the model's training domain is an extrapolation: no alert from it
    const ddp = result.ddp?.valid && Number.isFinite(result.ddp.zMax) ? result.ddp.zMax : undefined;
    if (this.source === 'fit') return fit === undefined ? undefined : { z: fit, by: 'fit' };
    if (this.source === 'ddp') return ddp === undefined ? undefined : { z: ddp, by: 'ddp' };
    if (fit === undefined && ddp === undefined) return undefined;
    return (ddp ?? -Infinity) > (fit ?? -Infinity) ? { z: ddp!, by: 'ddp' } : { z: fit!, by: 'fit' };
  }

  offer(result: WindowResult): AlertRecord | undefined {
    const picked = this.zOf(result);
    if (!picked) return undefined;
    const sig = result.significance ?? { observed: 0, expected: 0, expectedErr: 0, p: undefined };
    const z = picked.z;
    const key = `${result.window.id}\u0000${result.workingPoint}`;
    if (this.above.has(key)) {
      if (z < this.rearmBelow) {
        this.above.delete(key);
        this.observer?.anomalyActive?.(result.window.id, result.workingPoint, false);
      }
      return undefined;
    }
    if (z < this.threshold) return undefined;
    this.above.add(key);
    this.observer?.alertFired?.(result.window.id, result.workingPoint);
    this.observer?.anomalyActive?.(result.window.id, result.workingPoint, true);
    const eps = result.workingPoint === null ? 'inclusive' : `eps=${result.workingPoint}`;
    const message =
      `sideband: ANOMALY CANDIDATE window ${result.window.id} [${result.window.sr[0]}, ${result.window.sr[1]}) GeV ${eps}: ` +
      `${picked.by === 'ddp' ? `DDP z=${z.toFixed(2)} in [${result.ddp!.mass[0]}, ${result.ddp!.mass[1]}) GeV` : `Z=${z.toFixed(2)}`} >= ${this.threshold} (observed ${sig.observed}, expected ${sig.expected.toFixed(1)} +- ${sig.expectedErr.toFixed(1)}, ` +
      `p=${(sig.p ?? 0.5).toExponential(2)}, run ${result.runId}, trigger ${result.trigger})`;
    this.log?.(message);
    const created = this.now();
    const arrived = result.batchArrivedAt;
    return {
      kind: 'anomaly-alert',
      runId: result.runId,
      topology: result.topology,
      window: result.window,
      workingPoint: result.workingPoint,
      z,
      by: picked.by,
      p: sig.p ?? 0.5,
      threshold: this.threshold,
      observed: sig.observed,
      expected: sig.expected,
      expectedErr: sig.expectedErr,
      trigger: result.trigger,
      resultCreatedAt: result.createdAt,
      ...(arrived !== undefined
        ? {
            firstEventAt: new Date(arrived).toISOString(),
            latencySeconds: Math.max(0, (created.getTime() - arrived) / 1000),
          }
        : {}),
      createdAt: created.toISOString(),
      message,
      ...(result.key ? { key: result.key } : {}),
    };
  }
}

/** RxJS operator: WindowResults in, AlertRecords out (one per upward crossing). State is per subscription. */
export function alert(options: AlertOptions): OperatorFunction<WindowResult, AlertRecord> {
  return operate<WindowResult, AlertRecord>((source, subscriber) => {
    const tracker = new AlertTracker(options);
    return source.subscribe(
      operatorObserver<WindowResult>(subscriber, {
        next: (result) => {
          const record = tracker.offer(result);
          if (record) subscriber.next(record);
        },
      }),
    );
  });
}
