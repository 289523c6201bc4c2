/**
 * Run progress for `sideband run`. On a terminal: a two-line display redrawn four times a second (the picture is
 * src/cli/progress-frame.ts), with log lines (dead letters, alerts, skipped analyses) printed above it so they
 * never glue onto it. Otherwise: a plain log line every ten seconds, so CI logs and `| tee` stay readable. The event
 * rate is taken over a sliding window of the last five seconds, so it falls to zero when reading stops instead of
 * averaging over the run; training progress comes from the stages' RunObserver calls.
 */
import type { RunObserver } from '../events/observer.js';
import type { WindowResult } from '../events/result.js';
import type { ProgressDisplay } from '../run.js';
import type { CompiledRun } from '../topology/compile.js';
import { type ProgressState, renderFrame, renderLogLine } from './progress-frame.js';

/** Seconds of history behind the displayed rate. */
const RATE_WINDOW_S = 5;

/** The event rate over a sliding window of (time, count) samples. */
export class SlidingRate {
  private readonly samples: Array<[number, number]> = [];
  constructor(private readonly windowSeconds = RATE_WINDOW_S) {}

  /** Add a sample (time in seconds, cumulative count) and return the rate over the window. */
  sample(t: number, count: number): number {
    this.samples.push([t, count]);
    while (this.samples.length > 2 && this.samples[1]![0] <= t - this.windowSeconds) this.samples.shift();
    const [t0, c0] = this.samples[0]!;
    return t > t0 ? (count - c0) / (t - t0) : 0;
  }
}

export class Progress implements ProgressDisplay {
  private readonly timer: NodeJS.Timeout;
  private readonly tty: boolean;
  private readonly out: NodeJS.WriteStream;
  private readonly rate = new SlidingRate();
  private readonly withResult = new Set<string>();
  private readonly final = new Set<string>();
  private running: Array<{ window: string; trigger: string; t: number }> = [];
  private done = 0;
  private failed = 0;
  private queued = 0;
  private trainSeconds = 0;
  private finished = 0;
  private stageName = 'reading';
  private endSeen = false;
  private drawnLines = 0;
  private lastRate = 0;
  private stopped = false;
  readonly observer: RunObserver;

  constructor(
    private readonly run: CompiledRun,
    private readonly t0: number,
    private readonly info: { total?: number } = {},
    opts: { out?: NodeJS.WriteStream; tty?: boolean } = {},
  ) {
    this.out = opts.out ?? process.stderr;
    this.tty = opts.tty ?? Boolean(this.out.isTTY);
    this.observer = {
      analysisStarted: (window, trigger) => {
        if (trigger === 'end') this.endSeen = true;
        this.running.push({ window, trigger, t: performance.now() });
      },
      trainingFinished: (_model, seconds) => {
        this.done++;
        this.finished++;
        this.trainSeconds += seconds;
      },
      trainingFailed: () => {
        this.done++;
        this.failed++;
      },
      queueDepth: (n) => {
        this.queued = n;
      },
    };
    this.timer = setInterval(() => this.draw(), this.tty ? 250 : 10_000);
    this.timer.unref();
  }

  result(r: WindowResult): void {
    this.withResult.add(r.window.id);
    if (r.trigger === 'end') this.final.add(r.window.id);
    const i = this.running.findIndex((x) => x.window === r.window.id);
    if (i >= 0) this.running.splice(i, 1);
  }

  stage(name: string): void {
    this.stageName = name;
    // Off a terminal a stage change is not worth a log line: the summary follows.
    if (this.tty) this.draw();
  }

  /** The display's state now (also what the tests read). */
  state(): ProgressState {
    const c = this.run.counters;
    const now = performance.now();
    const elapsed = (now - this.t0) / 1000;
    this.lastRate = this.rate.sample(elapsed, c.read);
    const total = this.info.total;
    let stage = this.stageName;
    if (stage === 'reading' && (this.endSeen || (total !== undefined && total > 0 && c.read >= total)))
      stage = 'analysing';
    return {
      elapsed,
      stage,
      read: c.read,
      ...(total === undefined ? {} : { total }),
      selected: c.selected,
      rejected: c.rejected,
      rate: this.lastRate,
      analyses: {
        done: this.done,
        failed: this.failed,
        running: this.running.map(({ window, trigger, t }) => ({ window, trigger, seconds: (now - t) / 1000 })),
        queued: this.queued,
        ...(this.finished ? { meanSeconds: this.trainSeconds / this.finished } : {}),
        concurrency: this.run.plan.concurrency,
      },
      windowsWithResult: this.withResult.size,
      windowsFinal: this.final.size,
      windowsTotal: this.run.windows.length,
    };
  }

  /** Print a log line above the display (or as is, off a terminal). */
  log(message: string): void {
    const line = `${new Date().toISOString()} ${message}`;
    if (!this.tty || this.stopped) {
      this.out.write(`${line}\n`);
      return;
    }
    this.out.write(`${this.clear()}${line}\n`);
    this.drawnLines = 0;
    this.draw();
  }

  /** Escape codes that move to the start of the drawn frame and clear it. */
  private clear(): string {
    return this.drawnLines ? `\r${'\x1b[1A'.repeat(this.drawnLines - 1)}\x1b[0J` : '';
  }

  private draw(): void {
    if (this.stopped) return;
    const s = this.state();
    if (!this.tty) {
      this.out.write(`${new Date().toISOString()} ${renderLogLine(s)}\n`);
      return;
    }
    const lines = renderFrame(s, Math.max(40, this.out.columns ?? 120));
    this.out.write(`${this.clear()}${lines.join('\n')}`);
    this.drawnLines = lines.length;
  }

  stop(): void {
    if (this.stopped) return;
    clearInterval(this.timer);
    if (this.tty) {
      this.draw();
      this.out.write('\n');
    }
    this.stopped = true;
  }
}
