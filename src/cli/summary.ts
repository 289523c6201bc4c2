/**
 * The end-of-run table: status, totals, cut flow, and per window and working point the final fit and significance.
 * Inputs whose row count is unknown (a lost footer) are said to be so, never counted as 0 events.
 */
import type { WindowResult } from '../events/result.js';
import type { RunSummary } from '../run.js';

export function summaryTable(s: RunSummary, results: WindowResult[], outDir?: string): string {
  const out: string[] = [];
  const e = s.events;
  out.push('', `run ${s.runId} (${s.topology}) finished in ${s.seconds.toFixed(1)} s: ${s.status}, ${s.message}`);
  const reasons = Object.entries(e.rejectedByReason).map(([k, v]) =>
    k === 'unreadable' && e.rowsUnknown
      ? `unreadable ${v ? `${v} + ` : ''}${e.rowsUnknown} input${e.rowsUnknown === 1 ? '' : 's'} with rows unknown`
      : `${k} ${v}`,
  );
  out.push(
    `events: read ${e.read}, accepted ${e.accepted}, rejected ${e.rejected}${reasons.length ? ` (${reasons.join(', ')})` : ''}, ` +
      `selected ${e.selected}, buffered ${e.stored} (${s.bytesPerBufferedEvent.toFixed(1)} B/event)`,
  );
  out.push('', 'cut flow:');
  for (const c of s.cutflow) out.push(`  ${c.cut.padEnd(36)} ${String(c.pass).padStart(10)}`);
  const final = results.filter((r) => r.trigger === 'end');
  if (final.length) {
    out.push('', 'windows (end of stream):');
    const rows = [['window', 'SR [GeV]', 'SR', 'SB', 'WP', 'selected', 'fit', 'chi2/ndf', 'p(SB)', 'Z']];
    for (const r of final) {
      rows.push([
        r.window.id,
        `${r.window.sr[0]}-${r.window.sr[1]}`,
        String(r.counts.sr),
        String(r.counts.sbLow + r.counts.sbHigh),
        r.workingPoint === null ? 'incl' : String(r.workingPoint),
        r.counts.selected?.toFixed(0) ?? '-',
        r.fit ? (r.fit.status === 'failed' ? 'failed' : r.fit.function) : r.error ? 'failed' : '-',
        r.fit && r.fit.status === 'ok' ? `${r.fit.chi2.toFixed(1)}/${r.fit.ndf}` : '-',
        r.fit && r.fit.status === 'ok' ? r.fit.pvalue.toFixed(3) : '-',
        r.valid && r.significance?.z !== undefined ? r.significance.z.toFixed(2) : 'invalid',
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) out.push(`  ${row.map((c, i) => c.padStart(widths[i]!)).join('  ')}`);
    for (const r of final.filter((x) => !x.valid)) {
      const wp = r.workingPoint === null ? 'inclusive' : `ε=${r.workingPoint}`;
      const why = (r.invalid ?? []).map((v) => `${v.reason}: ${v.detail}`).join('; ') || r.error || 'invalid';
      out.push(`  ! ${r.window.id} ${wp}: no Z (${why})`);
    }
  }
  const g = s.globalSignificance;
  if (g) {
    const wp = g.workingPoint === null ? 'inclusive' : `ε=${g.workingPoint}`;
    const pe = g.pGlobalIsUpperBound
      ? `p < ${g.pGlobal.toPrecision(2)} (Z > ${g.zGlobal.toFixed(2)}: none of ${g.pseudoExperiments} pseudo-experiments reached it)`
      : `p = ${g.pGlobal.toPrecision(2)}, Z = ${g.zGlobal.toFixed(2)} (${g.exceeded} of ${g.pseudoExperiments} pseudo-experiments)`;
    out.push(
      '',
      `look-elsewhere: largest local Z = ${g.maxLocalZ.toFixed(2)} (${g.window} ${wp}) over ${g.tests} valid tests; global ${pe}; Šidák Z = ${g.asymptotic.zGlobal.toFixed(2)}`,
    );
  }
  out.push(
    '',
    `results: ${s.results} lines in results.jsonl; dead letters: ${s.deadLetters}; alerts: ${s.alerts}${outDir ? `; in ${outDir}` : ''}`,
    '',
  );
  return out.join('\n');
}
