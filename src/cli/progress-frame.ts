/**
 * The progress display's picture as a pure function of its state, so it is tested as text: on a terminal two lines
 * (a bar with percentage, counts, rate and ETA for the stage in progress; then the analyses — done, running with
 * their windows, queued — the windows with a result, the cut survivors and the elapsed time), and for logs one
 * plain line. While events are read the bar counts events against the total the source announced (Parquet
 * footers, the generator's count); once the stream has ended it counts the windows' final analyses.
 */

export interface ProgressState {
  /** Seconds since the run started. */
  elapsed: number;
  /** 'reading' while events flow, 'analysing' once the stream ended, then 'closing', 'writing the report'. */
  stage: string;
  read: number;
  /** Events the source will deliver, when it said. */
  total?: number;
  selected: number;
  rejected: number;
  /** Events per second over the last few seconds. */
  rate: number;
  analyses: {
    done: number;
    failed: number;
    /** Windows being analysed now, with what triggered them and for how many seconds they have run. */
    running: Array<{ window: string; trigger: string; seconds: number }>;
    queued: number;
    /** Mean seconds per finished analysis. */
    meanSeconds?: number;
    concurrency: number;
  };
  /** Windows with at least one result, and with their final (end-of-stream) result. */
  windowsWithResult: number;
  windowsFinal: number;
  windowsTotal: number;
}

const BAR_WIDTH = 24;
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of BAR_WIDTH cells filled to `fraction` in eighths of a cell. */
export function bar(fraction: number, width = BAR_WIDTH): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8]!;
  return `${'█'.repeat(full)}${part}${'░'.repeat(width - full - (part ? 1 : 0))}`;
}

export function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(1)}M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}k`;
  return r.toFixed(0);
}

/** 0:07, 1:05:09. */
export function fmtDuration(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600),
    m = Math.floor((t % 3600) / 60),
    sec = t % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return `${h ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/** Seconds left in the stage, when it can be told: events left at the current rate, or analyses left at their mean. */
export function eta(s: ProgressState): number | undefined {
  if (s.stage === 'reading') {
    if (s.total === undefined || !(s.rate > 0)) return undefined;
    return Math.max(0, s.total - s.read) / s.rate;
  }
  if (s.stage === 'analysing') {
    const mean = s.analyses.meanSeconds;
    if (mean === undefined) return undefined;
    const left = Math.max(0, s.windowsTotal - s.windowsFinal);
    return (left * mean) / Math.max(1, s.analyses.concurrency);
  }
  return undefined;
}

function stageLine(s: ProgressState): string {
  const label = s.stage.padEnd(9);
  const e = eta(s);
  const etaText = e === undefined ? '' : `  ETA ${fmtDuration(e)}`;
  if (s.stage === 'reading') {
    if (s.total === undefined || s.total <= 0)
      return `${label} ${fmtCount(s.read)} events  ${fmtRate(s.rate)} ev/s  (total unknown)`;
    const f = s.read / s.total;
    return (
      `${label} [${bar(f)}] ${String(Math.floor(f * 100)).padStart(3)}%  ` +
      `${fmtCount(s.read)} / ${fmtCount(s.total)} events  ${fmtRate(s.rate)} ev/s${etaText}`
    );
  }
  if (s.stage === 'analysing') {
    const f = s.windowsTotal ? s.windowsFinal / s.windowsTotal : 0;
    const mean = s.analyses.meanSeconds === undefined ? '' : ` (${s.analyses.meanSeconds.toFixed(1)} s each)`;
    return (
      `${label} [${bar(f)}] ${String(Math.floor(f * 100)).padStart(3)}%  ` +
      `${s.windowsFinal} / ${s.windowsTotal} windows' final analyses${mean}${etaText}`
    );
  }
  return `${label} ...`;
}

function analysesLine(s: ProgressState): string {
  const a = s.analyses;
  const running = a.running.length
    ? `running ${a.running.map((r) => `${r.window} (${r.trigger}, ${fmtDuration(r.seconds)})`).join(', ')}`
    : 'none running';
  const rejected = s.rejected ? ` · ${fmtCount(s.rejected)} rejected` : '';
  return (
    `analyses  ${a.done} done${a.failed ? ` (${a.failed} failed)` : ''} · ${running} · ${a.queued} queued │ ` +
    `${s.windowsWithResult}/${s.windowsTotal} windows with results │ ${fmtCount(s.selected)} selected${rejected} │ ` +
    `${fmtDuration(s.elapsed)}`
  );
}

/** Cut a line to the terminal's width (by code points; the bar's cells are one column each). */
export function clip(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** The terminal frame: two lines, each at most `width` columns. */
export function renderFrame(s: ProgressState, width: number): string[] {
  return [clip(stageLine(s), width), clip(analysesLine(s), width)];
}

/** The same facts in one plain line, for logs (stderr not a terminal). */
export function renderLogLine(s: ProgressState): string {
  const a = s.analyses;
  const e = eta(s);
  const read =
    s.total !== undefined && s.total > 0
      ? `${fmtCount(s.read)}/${fmtCount(s.total)} events (${Math.floor((100 * s.read) / s.total)}%)`
      : `${fmtCount(s.read)} events`;
  return (
    `progress: ${s.stage}; ${read}, ${fmtRate(s.rate)}/s${e === undefined ? '' : `, ETA ${fmtDuration(e)}`}; ` +
    `analyses ${a.done} done, ${a.running.length} running${a.running.length ? ` (${a.running.map((r) => r.window).join(', ')})` : ''}, ${a.queued} queued; ` +
    `windows with a result ${s.windowsWithResult}/${s.windowsTotal}; selected ${fmtCount(s.selected)}, rejected ${fmtCount(s.rejected)}; ${fmtDuration(s.elapsed)}`
  );
}
