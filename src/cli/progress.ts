import type { WindowResult } from '../events/result.js';
import type { CompiledRun } from '../topology/compile.js';

/**
 * Run progress: on a terminal, one line redrawn four times a second (events read, events/s, selected, windows
 * with a result); otherwise a plain log line every ten seconds, so CI logs and `| tee` stay readable.
 */
export class Progress {
  private readonly timer: NodeJS.Timeout;
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly ready = new Set<string>();
  private lastRead = 0;
  private lastT: number;
  private rate = 0;

  constructor(
    private readonly run: CompiledRun,
    private readonly t0: number,
  ) {
    this.lastT = t0;
    this.timer = setInterval(() => this.draw(), this.tty ? 250 : 10_000);
    this.timer.unref();
  }

  result(r: WindowResult): void {
    this.ready.add(r.window.id);
  }

  private line(): string {
    const c = this.run.counters;
    const now = performance.now();
    const dt = (now - this.lastT) / 1000;
    if (dt > 0.2) {
      this.rate = (c.read - this.lastRead) / dt;
      this.lastRead = c.read;
      this.lastT = now;
    }
    const secs = ((now - this.t0) / 1000).toFixed(0);
    return (
      `events ${c.read.toLocaleString('en-US')} read (${fmtRate(this.rate)}/s), ${c.selected.toLocaleString('en-US')} selected, ` +
      `${c.rejected.toLocaleString('en-US')} rejected | windows ready ${this.ready.size}/${this.run.windows.length} | ${secs}s`
    );
  }

  private draw(): void {
    if (this.tty) process.stderr.write(`\r\x1b[2K${this.line()}`);
    else process.stderr.write(`${new Date().toISOString()} progress: ${this.line()}\n`);
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.tty) process.stderr.write(`\r\x1b[2K${this.line()}\n`);
  }
}

function fmtRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(1)}M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}k`;
  return r.toFixed(0);
}
