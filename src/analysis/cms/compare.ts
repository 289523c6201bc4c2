/**
 * Seed 003's comparison of methods on one stream, the pure parts: the window's events with a nested amount of
 * generated signal added (the classifiers are retrained on each: a weakly supervised selection depends on what it
 * was trained on), the signal + background fit of a selected spectrum with the double-crystal-ball shape, the
 * injected amount at which the fitted Z crosses 3 and 5, and how alike two methods' selections are.
 */
import type { HistogramResult, WindowResult } from '../../events/result.js';
import type { WindowSnapshot } from '../../events/snapshot.js';
import { fitFunction } from '../../fit/functions.js';
import { fitSignalPlusBackground } from '../../fit/signal-fit.js';
import type { DoubleCrystalBall } from '../../stats/crystal-ball.js';

/** Generated signal events through the topology's cuts: columns in the snapshot's feature order, and mjj. */
export interface SignalPool {
  features: string[];
  columns: Float32Array[];
  mjj: Float32Array;
  /** Each event's position among the generated events (before the cuts): the first k generated are amount k. */
  generated: Uint32Array;
  n: number;
}

/**
 * The snapshot plus the pool's first `amount` generated signal events that passed the cuts and fall inside the
 * snapshot's mjj span, labelled 1 (weight 1). Nested: amount k's events are a subset of amount k' > k's.
 */
export function withInjectedSignal(
  snap: WindowSnapshot,
  pool: SignalPool,
  amount: number,
  span: [number, number],
): WindowSnapshot {
  const cols = snap.features.map((f) => {
    const i = pool.features.indexOf(f);
    if (i < 0) throw new RangeError(`injection: the signal pool lacks feature '${f}'`);
    return pool.columns[i]!;
  });
  const rows: number[] = [];
  for (let i = 0; i < pool.n; i++)
    if (pool.generated[i]! < amount && pool.mjj[i]! >= span[0] && pool.mjj[i]! < span[1]) rows.push(i);
  const n = snap.n + rows.length;
  const grow = (a: Float32Array, b: Float32Array) => {
    const out = new Float32Array(n);
    out.set(a.subarray(0, snap.n));
    rows.forEach((r, k) => {
      out[snap.n + k] = b[r]!;
    });
    return out;
  };
  const label = new Uint8Array(n);
  if (snap.label) label.set(snap.label.subarray(0, snap.n));
  label.fill(1, snap.n);
  const [lo, hi] = snap.window.sr;
  let sr = 0,
    sbLow = 0,
    sbHigh = 0;
  for (const r of rows) {
    const m = pool.mjj[r]!;
    if (m >= lo && m < hi) sr++;
    else if (m < lo && snap.window.sb.some(([a, b]) => m >= a && m < b)) sbLow++;
    else if (m >= hi && snap.window.sb.some(([a, b]) => m >= a && m < b)) sbHigh++;
  }
  return {
    ...snap,
    columns: snap.columns.map((c, j) => grow(c, cols[j]!)),
    mjj: grow(snap.mjj, pool.mjj),
    ...(snap.weight ? { weight: grow(snap.weight, new Float32Array(pool.n).fill(1)) } : {}),
    label,
    n,
    counts: { sr: snap.counts.sr + sr, sbLow: snap.counts.sbLow + sbLow, sbHigh: snap.counts.sbHigh + sbHigh },
  };
}

/** The snapshot's columns for a subset of its features (no copy). */
export function withFeatures(snap: WindowSnapshot, features: string[] | undefined): WindowSnapshot {
  if (!features) return snap;
  const columns = features.map((f) => {
    const i = snap.features.indexOf(f);
    if (i < 0) throw new RangeError(`comparison: feature '${f}' is not stored (add it to the topology's features)`);
    return snap.columns[i]!;
  });
  return { ...snap, features, columns };
}

export interface CompareSignalFit {
  valid: boolean;
  reason?: string;
  function?: string;
  z?: number;
  signal?: number;
  signalErr?: number;
  /** 95 % CL upper limit on the signal yield inside the fitted bins (profile likelihood). */
  upperLimit?: number;
  /** The S+B fit's merged χ² p-value (what validity is judged on), and the background-only fit's (kept function's,
   * or when none is kept the first function's). */
  pvalue?: number;
  backgroundPValue?: number;
}

/**
 * The signal + background fit of a selected spectrum with the double crystal ball at the signal's shape
 * (fit/signal-fit.ts): the first of the dijet functions whose S+B fit has a merged-χ² p > 0.05; none such, and the
 * fit is invalid (a sculpted or poorly described spectrum yields no Z).
 */
export function compareSignalFit(
  h: Pick<HistogramResult, 'edges' | 'counts'>,
  shape: DoubleCrystalBall,
  opts: { sqrtS: number; functions?: string[]; fitFrom?: number },
): CompareSignalFit {
  const edges = h.edges;
  const use = new Uint8Array(h.counts.length);
  for (let i = 0; i < use.length; i++) use[i] = opts.fitFrom === undefined || edges[i]! >= opts.fitFrom ? 1 : 0;
  const total = h.counts.reduce((a, b, i) => a + (use[i] ? b : 0), 0);
  if (total < 20) return { valid: false, reason: `too few selected events (${total})` };
  const spec = {
    lo: Float64Array.from(edges.slice(0, -1)),
    hi: Float64Array.from(edges.slice(1)),
    counts: Float64Array.from(h.counts),
  };
  let last = 'no fit function';
  // The first function's background-only p-value, valid fit or not: the closure's "no sculpting" test reads it.
  let firstP: number | undefined;
  for (const name of opts.functions ?? ['dijet3', 'dijet4', 'ua2']) {
    const f = fitSignalPlusBackground(fitFunction(name), spec, shape, { sqrtS: opts.sqrtS, use });
    if (!f.converged) {
      last = `${name}: ${f.status}`;
      continue;
    }
    firstP ??= f.background.merged.pvalue;
    const p = f.gof.pvalue;
    if (!(p > 0.05)) {
      last = `${name}: S+B fit χ² p = ${p.toExponential(2)}`;
      continue;
    }
    return {
      valid: true,
      function: name,
      z: f.z,
      signal: f.signal,
      signalErr: f.signalErr,
      upperLimit: f.upperLimitInRange,
      pvalue: p,
      backgroundPValue: f.background.merged.pvalue,
    };
  }
  return {
    valid: false,
    reason: `no dijet function describes the selected spectrum (${last})`,
    ...(firstP !== undefined ? { backgroundPValue: firstP } : {}),
  };
}

/**
 * The injected amount at which Z first reaches `target`, linear between the scanned amounts (invalid points
 * skipped); null when the scan never reaches it.
 */
export function injectedAt(points: Array<{ amount: number; z: number | null }>, target: number): number | null {
  const ok = points.filter((p) => p.z !== null) as Array<{ amount: number; z: number }>;
  if (ok.length && ok[0]!.z >= target) return ok[0]!.amount;
  for (let k = 1; k < ok.length; k++) {
    const a = ok[k - 1]!,
      b = ok[k]!;
    if (a.z < target && b.z >= target) return a.amount + ((target - a.z) / (b.z - a.z)) * (b.amount - a.amount);
  }
  return null;
}

/**
 * Pearson correlation of two methods' selections (the φ coefficient of their 0/1 picks) over the events with
 * within[i] set, and the fraction of the events either keeps that both keep. NaN where a method keeps all or none.
 */
export function selectionCorrelation(
  a: Uint8Array,
  b: Uint8Array,
  within: Uint8Array,
): { phi: number; overlap: number; n: number } {
  let n = 0,
    na = 0,
    nb = 0,
    nab = 0;
  for (let i = 0; i < within.length; i++) {
    if (!within[i]) continue;
    n++;
    const x = a[i]!,
      y = b[i]!;
    na += x;
    nb += y;
    nab += x & y;
  }
  const cov = nab / n - (na / n) * (nb / n);
  const va = (na / n) * (1 - na / n),
    vb = (nb / n) * (1 - nb / n);
  const either = na + nb - nab;
  return {
    phi: va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : Number.NaN,
    overlap: either ? nab / either : Number.NaN,
    n,
  };
}

export interface MethodComparison {
  method: string;
  points: Array<{
    amount: number;
    injectedInSr: number;
    sOverSqrtB: number;
    /** Z of the signal + background fit (null: no valid fit, `reason` says why). */
    z: number | null;
    /** Z of the stream's sideband fit of the same selection (null: invalid window). */
    zSideband: number | null;
    selected: number | null;
    /**
     * Limit by injection: the injected signal this selection kept (truth), and the 95 % CL upper limit on a signal
     * in the data alone selected the same way (the selection trained with the injection, applied to the stream's
     * events only). The injection is excluded where kept ≥ limit.
     */
    keptSignal: number | null;
    dataUpperLimit: number | null;
    /** The background-only dijet fit's χ² p-value on the selected spectrum (first function; null: no fit). */
    backgroundPValue: number | null;
    reason?: string;
  }>;
  injectedFor3Sigma: number | null;
  injectedFor5Sigma: number | null;
  /** S/√B before the selection at those amounts (linear between the scanned points). */
  sOverSqrtBFor3Sigma: number | null;
  sOverSqrtBFor5Sigma: number | null;
  /** The 95 % CL limit on the injected amount: where the kept injected signal reaches the data's upper limit. */
  injectedLimit95: number | null;
  /** Median training (and selection) time over the amounts, seconds; null for a selection that trains nothing. */
  trainSeconds: number | null;
  correlation?: Record<string, { phi: number | null; overlap: number | null }>;
}

export interface WindowComparison {
  window: string;
  sr: [number, number];
  workingPoint: number | null;
  shape: NonNullable<WindowResult['comparison']>['shape'];
  methods: MethodComparison[];
}

/** The comparison's results gathered per window and method, with the 3σ and 5σ crossings of the injection scan. */
export function comparisonSummary(results: WindowResult[]): WindowComparison[] {
  const out = new Map<string, WindowComparison>();
  const times = new Map<MethodComparison, number[]>();
  for (const r of results) {
    const c = r.comparison;
    if (!c) continue;
    let w = out.get(r.window.id);
    if (!w) {
      w = { window: r.window.id, sr: r.window.sr, workingPoint: r.workingPoint, shape: c.shape, methods: [] };
      out.set(r.window.id, w);
    }
    if (r.workingPoint !== null) w.workingPoint = r.workingPoint;
    let m = w.methods.find((x) => x.method === c.method);
    if (!m) {
      m = {
        method: c.method,
        points: [],
        injectedFor3Sigma: null,
        injectedFor5Sigma: null,
        sOverSqrtBFor3Sigma: null,
        sOverSqrtBFor5Sigma: null,
        injectedLimit95: null,
        trainSeconds: null,
      };
      w.methods.push(m);
    }
    m.points.push({
      amount: c.injected,
      injectedInSr: c.injectedInSr,
      sOverSqrtB: c.sOverSqrtB,
      z: c.signalFit.valid && c.signalFit.z !== undefined ? c.signalFit.z : null,
      zSideband: r.valid && r.significance?.z !== undefined ? r.significance.z : null,
      selected: r.counts.selected ?? null,
      backgroundPValue: c.signalFit.backgroundPValue ?? null,
      keptSignal: c.limit?.keptSignal ?? null,
      dataUpperLimit: c.limit?.dataUpperLimit ?? null,
      ...(c.signalFit.valid ? {} : { reason: c.signalFit.reason ?? r.error ?? 'invalid' }),
    });
    if (c.correlation) m.correlation = c.correlation;
    const ts = r.model?.trainSeconds;
    if (ts !== undefined && ts > 0) times.set(m, [...(times.get(m) ?? []), ts]);
  }
  for (const w of out.values())
    for (const m of w.methods) {
      m.points.sort((a, b) => a.amount - b.amount);
      const at = (target: number) => injectedAt(m.points, target);
      const s = (n: number | null) => {
        if (n === null) return null;
        const p = m.points;
        for (let k = 1; k < p.length; k++)
          if (p[k]!.amount >= n) {
            const a = p[k - 1]!,
              b = p[k]!;
            return a.sOverSqrtB + ((n - a.amount) / (b.amount - a.amount || 1)) * (b.sOverSqrtB - a.sOverSqrtB);
          }
        return p[p.length - 1]?.sOverSqrtB ?? null;
      };
      m.injectedFor3Sigma = at(3);
      m.injectedFor5Sigma = at(5);
      m.sOverSqrtBFor3Sigma = s(m.injectedFor3Sigma);
      m.sOverSqrtBFor5Sigma = s(m.injectedFor5Sigma);
      m.injectedLimit95 = injectedLimit(m.points);
      const t = [...(times.get(m) ?? [])].sort((a, b) => a - b);
      if (t.length) m.trainSeconds = t[(t.length - 1) >> 1]!;
    }
  return [...out.values()];
}

/**
 * Seed 003's limit for a weakly supervised method: at each injected amount k the method is retrained on data + k
 * signal events; the injected signal it keeps, S(k), against the 95 % CL upper limit U(k) on a signal in the data
 * alone selected by that training. The limit is the smallest k with S(k) ≥ U(k), linear in S − U between the
 * scanned amounts (amount 0 has S = 0); null when no scanned amount reaches it or a point has no limit.
 */
export function injectedLimit(
  points: Array<{ amount: number; keptSignal: number | null; dataUpperLimit: number | null }>,
): number | null {
  let prev: { amount: number; d: number } | undefined;
  for (const p of points) {
    if (p.keptSignal === null || p.dataUpperLimit === null) return null;
    const d = p.keptSignal - p.dataUpperLimit;
    if (d >= 0) return prev ? prev.amount + (-prev.d / (d - prev.d)) * (p.amount - prev.amount) : p.amount;
    prev = { amount: p.amount, d };
  }
  return null;
}
