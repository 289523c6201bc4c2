/**
 * The field's formats, written at the end of a run beside results.jsonl (each opt-in in the topology's `sinks`):
 *   workspaces: true   DIR/workspaces/<window>-<wp>.json      pyhf workspace of the result's limit model
 *                      DIR/workspaces/<window>-<wp>.patchset.json   Gaussian signal hypotheses (pyhf patchset)
 *   histograms: true   DIR/histograms.json                    UHI JSON (hist / boost-histogram), observed + background
 *   parquet: true      DIR/results.parquet                    one row per result line (window, working point,
 *                                                             analysis), flat columns, for pandas and DuckDB
 * A window analysed several times (threshold, growth, end) keeps its last result in the workspaces and histograms;
 * the Parquet table keeps every result, as results.jsonl does.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { WindowResult } from '../events/result.js';
import { signalPatchset, windowWorkspace, workspaceName } from '../formats/pyhf-window.js';
import { resultHistograms, type UhiHistogram } from '../formats/uhi.js';

export interface FormatSinks {
  workspaces?: boolean;
  histograms?: boolean;
  parquet?: boolean;
}

/** Last result per window and working point, in first-seen order. */
function latest(results: WindowResult[]): WindowResult[] {
  const by = new Map<string, WindowResult>();
  for (const r of results) if (!r.error) by.set(workspaceName(r), r);
  return [...by.values()];
}

export async function writeWorkspaces(dir: string, results: WindowResult[]): Promise<string[]> {
  const out = path.join(dir, 'workspaces');
  await mkdir(out, { recursive: true });
  const files: string[] = [];
  for (const r of latest(results)) {
    const ws = windowWorkspace(r);
    if (!ws) continue;
    const name = workspaceName(r);
    const file = path.join(out, `${name}.json`);
    await writeFile(file, `${JSON.stringify(ws, null, 2)}\n`);
    await writeFile(path.join(out, `${name}.patchset.json`), `${JSON.stringify(signalPatchset(r, ws), null, 2)}\n`);
    files.push(file);
  }
  return files;
}

export async function writeHistograms(dir: string, results: WindowResult[]): Promise<string> {
  const all: Record<string, UhiHistogram> = {};
  for (const r of latest(results)) Object.assign(all, resultHistograms(r, workspaceName(r)));
  const file = path.join(dir, 'histograms.json');
  await writeFile(file, `${JSON.stringify(all)}\n`);
  return file;
}

const num = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

/** DIR/results.parquet: flat columns, arrays (edges, counts, prediction) as JSON text. */
export async function writeResultsParquet(dir: string, results: WindowResult[]): Promise<string> {
  const col = <T>(f: (r: WindowResult) => T) => results.map(f);
  const limit = (r: WindowResult, k: string, i?: number): number | null => {
    const v = r.limits?.[k];
    return num(Array.isArray(v) ? v[i!] : (v as number | undefined));
  };
  const columnData = [
    { name: 'run_id', data: col((r) => r.runId), type: 'STRING' },
    { name: 'topology', data: col((r) => r.topology), type: 'STRING' },
    { name: 'window_id', data: col((r) => r.window.id), type: 'STRING' },
    { name: 'sr_low_GeV', data: col((r) => r.window.sr[0]), type: 'DOUBLE' },
    { name: 'sr_high_GeV', data: col((r) => r.window.sr[1]), type: 'DOUBLE' },
    { name: 'sb_low_GeV', data: col((r) => num(Math.min(...r.window.sb.map((s) => s[0])))), type: 'DOUBLE' },
    { name: 'sb_high_GeV', data: col((r) => num(Math.max(...r.window.sb.map((s) => s[1])))), type: 'DOUBLE' },
    { name: 'working_point', data: col((r) => r.workingPoint), type: 'DOUBLE' },
    { name: 'trigger', data: col((r) => r.trigger), type: 'STRING' },
    { name: 'n_sr', data: col((r) => r.counts.sr), type: 'DOUBLE' },
    { name: 'n_sb_low', data: col((r) => r.counts.sbLow), type: 'DOUBLE' },
    { name: 'n_sb_high', data: col((r) => r.counts.sbHigh), type: 'DOUBLE' },
    { name: 'n_selected', data: col((r) => num(r.counts.selected)), type: 'DOUBLE' },
    { name: 'fit_function', data: col((r) => r.fit?.function ?? null), type: 'STRING' },
    { name: 'fit_converged', data: col((r) => r.fit?.converged ?? null), type: 'BOOLEAN' },
    { name: 'fit_chi2', data: col((r) => num(r.fit?.chi2)), type: 'DOUBLE' },
    { name: 'fit_ndf', data: col((r) => num(r.fit?.ndf)), type: 'DOUBLE' },
    { name: 'fit_pvalue', data: col((r) => num(r.fit?.pvalue)), type: 'DOUBLE' },
    { name: 'observed', data: col((r) => num(r.significance?.observed)), type: 'DOUBLE' },
    { name: 'expected', data: col((r) => num(r.significance?.expected)), type: 'DOUBLE' },
    { name: 'expected_err', data: col((r) => num(r.significance?.expectedErr)), type: 'DOUBLE' },
    { name: 'z', data: col((r) => num(r.significance?.z)), type: 'DOUBLE' },
    { name: 'p', data: col((r) => num(r.significance?.p)), type: 'DOUBLE' },
    { name: 'limit_signal_obs', data: col((r) => limit(r, 'signalEventsObserved')), type: 'DOUBLE' },
    ...['m2', 'm1', 'med', 'p1', 'p2'].map((s, i) => ({
      name: `limit_signal_exp_${s}`,
      data: col((r) => limit(r, 'signalEventsExpected', i)),
      type: 'DOUBLE',
    })),
    { name: 'auc', data: col((r) => num(r.evaluation?.auc)), type: 'DOUBLE' },
    { name: 'max_sic', data: col((r) => num(r.evaluation?.maxSic)), type: 'DOUBLE' },
    {
      name: 'histogram_edges',
      data: col((r) => (r.histogram ? JSON.stringify(r.histogram.edges) : null)),
      type: 'STRING',
    },
    {
      name: 'histogram_counts',
      data: col((r) => (r.histogram ? JSON.stringify(r.histogram.counts) : null)),
      type: 'STRING',
    },
    { name: 'prediction', data: col((r) => (r.fit ? JSON.stringify(r.fit.prediction) : null)), type: 'STRING' },
    { name: 'prediction_err', data: col((r) => (r.fit ? JSON.stringify(r.fit.predictionErr) : null)), type: 'STRING' },
    { name: 'error', data: col((r) => r.error ?? null), type: 'STRING' },
    { name: 'created_at', data: col((r) => r.createdAt), type: 'STRING' },
  ];
  const file = path.join(dir, 'results.parquet');
  await writeFile(
    file,
    Buffer.from(
      parquetWriteBuffer({ columnData: columnData as Parameters<typeof parquetWriteBuffer>[0]['columnData'] }),
    ),
  );
  return file;
}

/** Write every format sink the topology asks for; returns the files written. */
export async function writeFormatSinks(dir: string, results: WindowResult[], sinks: FormatSinks): Promise<string[]> {
  const files: string[] = [];
  if (sinks.workspaces) files.push(...(await writeWorkspaces(dir, results)));
  if (sinks.histograms) files.push(await writeHistograms(dir, results));
  if (sinks.parquet) files.push(await writeResultsParquet(dir, results));
  return files;
}
