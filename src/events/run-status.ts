/**
 * What a finished run produced, judged from its event totals and its results, so that an exit code of 0 means the
 * run delivered what it promised: events read and accepted, and at least one window with a valid result.
 *   ok               at least one end-of-stream result with a converged fit and no error
 *   no-input         nothing usable was read: no events, every event rejected, or every input unreadable
 *   analysis-failed  events were accepted, but no window produced a valid result (every fit or training failed)
 * The verdict's message says which and why, in one line, for the terminal and for summary.json.
 */
import type { WindowResult } from './result.js';

export type RunStatus = 'ok' | 'no-input' | 'analysis-failed';

export interface RunTotals {
  read: number;
  accepted: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Files or row groups that could not be read at all. */
  unreadable?: number;
  /** Of those, how many without a row count (footer lost): their events are not in `read`. */
  rowsUnknown?: number;
}

export interface RunVerdict {
  status: RunStatus;
  /** One line: what the run produced or why it produced nothing. */
  message: string;
}

/**
 * A result that counts as delivered: valid (an accepted fit, or a tail search's ABCD estimate, no error, none of the
 * validity checks failed).
 */
export function isValidResult(r: WindowResult): boolean {
  return r.valid && !r.error && (r.fit?.converged === true || r.abcd !== undefined);
}

export function judgeRun(e: RunTotals, results: WindowResult[]): RunVerdict {
  if (e.accepted === 0) return { status: 'no-input', message: `no usable input: ${whyNoInput(e)}` };
  const final = results.filter((r) => r.trigger === 'end');
  const judged = final.length ? final : results;
  const valid = judged.filter(isValidResult);
  const windows = new Set(judged.map((r) => r.window.id));
  if (valid.length === 0) {
    if (!judged.length) return { status: 'analysis-failed', message: 'analysis failed: no window was analysed' };
    // Windows grouped by why they failed, so seven windows failing alike read as one reason.
    const byReason = new Map<string, Set<string>>();
    for (const r of judged) {
      const why = failureReason(r);
      byReason.set(why, (byReason.get(why) ?? new Set()).add(r.window.id));
    }
    const groups = [...byReason.entries()];
    const shown = groups
      .slice(0, 3)
      .map(([why, ws]) => `${ws.size === windows.size && ws.size > 1 ? 'all' : [...ws].join(', ')}: ${why}`)
      .join('; ');
    const more = groups.length > 3 ? `; and ${groups.length - 3} other reasons` : '';
    return {
      status: 'analysis-failed',
      message: `analysis failed: none of ${windows.size} window${windows.size === 1 ? '' : 's'} produced a valid result (${shown}${more})`,
    };
  }
  const okWindows = new Set(valid.map((r) => r.window.id)).size;
  return {
    status: 'ok',
    message: `${okWindows} of ${windows.size} window${windows.size === 1 ? '' : 's'} with a valid result`,
  };
}

function whyNoInput(e: RunTotals): string {
  const unknown = e.rowsUnknown ?? 0;
  const unreadable = e.unreadable ?? 0;
  const files = unknown
    ? `${unreadable} input${unreadable === 1 ? '' : 's'} unreadable (${unknown === unreadable ? '' : `${unknown} with `}rows unknown)`
    : '';
  if (e.read === 0) return files || 'the source delivered no events';
  const reasons = Object.entries(e.rejectedByReason)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return `all ${e.read} events read were rejected (${reasons || 'no reason recorded'})${files ? `; ${files}` : ''}`;
}

/** Why one window's result does not count, shortest first: its error, an empty sideband, the fit's status. */
function failureReason(r: WindowResult): string {
  if (r.error) return r.error;
  const sb = r.counts.sbLow + r.counts.sbHigh;
  if (sb === 0 && r.counts.sr === 0)
    return 'no events in the window at all (check the mjj unit in columns and the window range)';
  if (sb === 0)
    return 'no events in the sidebands, so no background fit can be made (does the input hold only signal-region events?)';
  const invalid = (r.invalid ?? []).map((v) => `${v.reason}: ${v.detail}`).join('; ');
  return invalid || (r.fit?.status === 'failed' ? r.fit.reason : 'fit did not converge');
}
