/**
 * The fair DuckDB peer of bench:ingest: DuckDB doing in SQL what our ingest does on the same Parquet file —
 * validate (every jet column finite), order the jets by pT, the ATLAS 2024 cuts (cheap ones first, then |Δy| from
 * rapidities of massive jets), the stored features (mjj from four-vectors, jet-mass ordering, τ ratios), the events
 * that fall in any window materialised into a table (our window store), and the per-window SR / SB counts.
 * Formulas are those of src/events/derive.ts, evaluated in DOUBLE, and cuts compare the FLOAT values, like ours:
 * lo <= x < hi.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { SchemeWindow } from '../src/regions/scheme.js';
import { windowSpan } from '../src/regions/scheme.js';

export interface DuckdbSqlRun {
  seconds: number;
  read: number;
  selected: number;
  stored: number;
  /** Per window id: SR, low SB and high SB counts. */
  counts: Record<string, { sr: number; sbLow: number; sbHigh: number }>;
}

const FIELDS = ['pt', 'eta', 'phi', 'm', 'tau1', 'tau2', 'tau3'];

/** The SQL of the whole ingest path, as run (printed by the bench with its configuration). */
export function ingestSql(file: string, windows: SchemeWindow[]): { store: string; counts: string } {
  const lit = `'${file.replace(/'/g, "''")}'`;
  const cols = FIELDS.flatMap((f) => [`jet1_${f}`, `jet2_${f}`]);
  const finite = cols.map((c) => `isfinite(${c})`).join(' AND ');
  // Jets ordered by pT (derive's orderJetsByPt swaps every jet1_/jet2_ pair when jet2 is harder).
  const ordered = FIELDS.flatMap((f) => [
    `CASE WHEN jet2_pt > jet1_pt THEN jet2_${f} ELSE jet1_${f} END::DOUBLE AS a_${f}`,
    `CASE WHEN jet2_pt > jet1_pt THEN jet1_${f} ELSE jet2_${f} END::DOUBLE AS b_${f}`,
  ]).join(', ');
  const lo = Math.min(...windows.map((w) => windowSpan(w)[0]));
  const hi = Math.max(...windows.map((w) => windowSpan(w)[1]));
  const store = `
CREATE OR REPLACE TEMP TABLE store AS
WITH valid AS (SELECT ${cols.join(', ')} FROM read_parquet(${lit}) WHERE ${finite}),
ordered AS (SELECT ${ordered} FROM valid),
cheap AS (
  SELECT * FROM ordered
  WHERE a_pt >= 500 AND b_pt >= 200 AND abs(a_eta) < 2.0 AND abs(b_eta) < 2.0
    AND a_m >= 30 AND a_m < 3500 AND b_m >= 30 AND b_m < 3500),
kin AS (
  SELECT *, a_pt * sinh(a_eta) AS pz1, b_pt * sinh(b_eta) AS pz2,
         a_pt * a_pt + a_m * a_m AS mt1sq, b_pt * b_pt + b_m * b_m AS mt2sq
  FROM cheap),
gap AS (
  SELECT *,
    abs(sign(pz1) * ln((abs(pz1) + sqrt(pz1 * pz1 + mt1sq)) / sqrt(mt1sq))
      - sign(pz2) * ln((abs(pz2) + sqrt(pz2 * pz2 + mt2sq)) / sqrt(mt2sq))) AS delta_y
  FROM kin),
selected AS (SELECT * FROM gap WHERE delta_y::FLOAT::DOUBLE < 1.2),
derived AS (
  SELECT
    sqrt(greatest(a_m * a_m + b_m * b_m + 2 * (sqrt((pz1 * pz1 + mt1sq) * (pz2 * pz2 + mt2sq))
      - (a_pt * b_pt * cos(a_phi - b_phi) + pz1 * pz2)), 0)) AS mjj,
    a_m <= b_m AS a_lighter, *
  FROM selected)
SELECT
  mjj::FLOAT AS mjj,
  least(a_m, b_m)::FLOAT AS mj_min,
  greatest(a_m, b_m)::FLOAT AS mj_max,
  abs(a_m - b_m)::FLOAT AS delta_mj,
  (CASE WHEN a_lighter THEN (CASE WHEN a_tau1 > 0 THEN a_tau2 / a_tau1 ELSE 0 END)
        ELSE (CASE WHEN b_tau1 > 0 THEN b_tau2 / b_tau1 ELSE 0 END) END)::FLOAT AS tau21_lighter,
  (CASE WHEN a_lighter THEN (CASE WHEN b_tau1 > 0 THEN b_tau2 / b_tau1 ELSE 0 END)
        ELSE (CASE WHEN a_tau1 > 0 THEN a_tau2 / a_tau1 ELSE 0 END) END)::FLOAT AS tau21_heavier,
  (CASE WHEN a_lighter THEN (CASE WHEN a_tau2 > 0 THEN a_tau3 / a_tau2 ELSE 0 END)
        ELSE (CASE WHEN b_tau2 > 0 THEN b_tau3 / b_tau2 ELSE 0 END) END)::FLOAT AS tau32_lighter,
  (CASE WHEN a_lighter THEN (CASE WHEN b_tau2 > 0 THEN b_tau3 / b_tau2 ELSE 0 END)
        ELSE (CASE WHEN a_tau2 > 0 THEN a_tau3 / a_tau2 ELSE 0 END) END)::FLOAT AS tau32_heavier,
  delta_y::FLOAT AS delta_y,
  a_pt::FLOAT AS jet1_pt,
  1.0::FLOAT AS weight,
  count(*) OVER () AS n_selected
FROM derived
QUALIFY mjj::FLOAT::DOUBLE >= ${lo} AND mjj::FLOAT::DOUBLE < ${hi}`;
  // n_selected is computed before QUALIFY drops the events outside every window: the selected count.
  const regions = windows.flatMap((w) => {
    const low = w.sb.filter(([, b]) => b <= w.sr[0]);
    const high = w.sb.filter(([a]) => a >= w.sr[1]);
    const span = (ivs: Array<[number, number]>) =>
      ivs.length ? [Math.min(...ivs.map((i) => i[0])), Math.max(...ivs.map((i) => i[1]))] : [0, 0];
    return [
      [w.id, 'sr', ...w.sr],
      [w.id, 'sbLow', ...span(low)],
      [w.id, 'sbHigh', ...span(high)],
    ];
  });
  const values = regions.map(([id, role, a, b]) => `('${id}', '${role}', ${a}, ${b})`).join(', ');
  const counts = `
SELECT r.id, r.role, count(s.mjj)::INTEGER AS n
FROM (VALUES ${values}) AS r(id, role, lo, hi)
LEFT JOIN store s ON s.mjj >= r.lo AND s.mjj < r.hi
GROUP BY r.id, r.role ORDER BY r.id, r.role`;
  return { store, counts };
}

/** One timed run of the SQL ingest on `threads` DuckDB threads (the instance is created outside the timing). */
export async function duckdbSqlIngest(file: string, windows: SchemeWindow[], threads: number): Promise<DuckdbSqlRun> {
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const con = await db.connect();
  const sql = ingestSql(file, windows);
  const t0 = performance.now();
  const read = Number(
    (await con.runAndReadAll(`SELECT count(*) FROM read_parquet('${file.replace(/'/g, "''")}')`)).getRows()[0]![0],
  );
  await con.run(sql.store);
  const summary = (await con.runAndReadAll('SELECT count(*), max(n_selected) FROM store')).getRows()[0]!;
  const rows = (await con.runAndReadAll(sql.counts)).getRows();
  const seconds = (performance.now() - t0) / 1000;
  const counts: DuckdbSqlRun['counts'] = {};
  for (const [id, role, n] of rows) {
    const key = String(id);
    counts[key] ??= { sr: 0, sbLow: 0, sbHigh: 0 };
    const c = counts[key]!;
    c[role as 'sr' | 'sbLow' | 'sbHigh'] = Number(n);
  }
  con.closeSync();
  return { seconds, read, stored: Number(summary[0]), selected: Number(summary[1] ?? 0), counts };
}
