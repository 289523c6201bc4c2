import type { Column, EventBatch } from './batch.js';

/**
 * Derived features, computed column-wise from the two leading jets. Each kernel is a plain loop over typed arrays
 * (hot: runs on every event). Names follow the LHCO / ATLAS conventions: mj_min and mj_max are the lighter and
 * heavier jet masses, delta_mj = mj_max - mj_min, tau21_lighter is tau2/tau1 of the lighter jet.
 */
export type MjjMode = 'fourvector' | 'massless' | 'column';

export const DERIVED_FEATURES = [
  'mjj', 'delta_y', 'jet1_tau21', 'jet2_tau21', 'jet1_tau32', 'jet2_tau32',
  'mj_min', 'mj_max', 'delta_mj', 'tau21_lighter', 'tau21_heavier', 'tau32_lighter', 'tau32_heavier',
] as const;
export type DerivedFeature = (typeof DERIVED_FEATURES)[number];

const JET = ['pt', 'eta', 'phi', 'm'] as const;

function col(b: EventBatch, name: string): Column {
  const c = b.columns[name];
  if (!c) throw new Error(`derive: needs column '${name}' (have: ${Object.keys(b.columns).join(', ')})`);
  return c;
}

/**
 * Put the higher-pT jet first (jet1), swapping every jet1_* / jet2_* column where needed. Sources that already
 * order jets (the generator, most ntuples) cost one compare per event.
 */
export function orderJetsByPt(b: EventBatch): void {
  const pt1 = b.columns.jet1_pt, pt2 = b.columns.jet2_pt;
  if (!pt1 || !pt2) return;
  const pairs = Object.keys(b.columns).filter((k) => k.startsWith('jet1_') && b.columns[`jet2_${k.slice(5)}`]);
  for (let i = 0; i < b.length; i++) {
    if (pt2[i]! <= pt1[i]!) continue;
    for (const k of pairs) {
      const a = b.columns[k]!, c = b.columns[`jet2_${k.slice(5)}`]!;
      const t = a[i]!; a[i] = c[i]!; c[i] = t;
    }
  }
}

/**
 * Dijet invariant mass from the jets' (pt, eta, phi, m). 'massless' is seed 000's variant,
 * mjj² = 2(|p1||p2| − p1·p2), which sets the jet masses to zero to reduce the correlation of mjj with the jet
 * masses used as classifier features.
 */
export function dijetMass(b: EventBatch, mode: Exclude<MjjMode, 'column'>): Float32Array {
  const [pt1, eta1, phi1, m1] = JET.map((f) => col(b, `jet1_${f}`));
  const [pt2, eta2, phi2, m2] = JET.map((f) => col(b, `jet2_${f}`));
  const out = new Float32Array(b.length);
  const massless = mode === 'massless';
  for (let i = 0; i < b.length; i++) {
    const a = pt1![i]!, c = pt2![i]!;
    const sh1 = Math.sinh(eta1![i]!), sh2 = Math.sinh(eta2![i]!);
    // p1·p2 = pt1 pt2 (cos Δφ + sinh η1 sinh η2); |p| = pt cosh η.
    const dot = a * c * (Math.cos(phi1![i]! - phi2![i]!) + sh1 * sh2);
    const p1sq = a * a * (1 + sh1 * sh1), p2sq = c * c * (1 + sh2 * sh2);
    let m2sum: number;
    if (massless) {
      m2sum = 2 * (Math.sqrt(p1sq * p2sq) - dot);
    } else {
      const ma = m1![i]!, mb = m2![i]!;
      m2sum = ma * ma + mb * mb + 2 * (Math.sqrt((p1sq + ma * ma) * (p2sq + mb * mb)) - dot);
    }
    out[i] = m2sum > 0 ? Math.sqrt(m2sum) : 0;
  }
  return out;
}

/** |Δy| between the two jets, with rapidity y = asinh(pz / mT) (massive jets: y ≠ η). */
export function rapidityGap(b: EventBatch): Float32Array {
  const [pt1, eta1, , m1] = JET.map((f) => b.columns[`jet1_${f}`]);
  const [pt2, eta2, , m2] = JET.map((f) => b.columns[`jet2_${f}`]);
  if (!pt1 || !eta1 || !pt2 || !eta2) throw new Error('derive: delta_y needs jet1_pt, jet1_eta, jet2_pt, jet2_eta');
  const out = new Float32Array(b.length);
  for (let i = 0; i < b.length; i++) {
    const a = pt1[i]!, c = pt2[i]!;
    const ma = m1 ? m1[i]! : 0, mb = m2 ? m2[i]! : 0;
    const y1 = Math.asinh((a * Math.sinh(eta1[i]!)) / Math.sqrt(a * a + ma * ma));
    const y2 = Math.asinh((c * Math.sinh(eta2[i]!)) / Math.sqrt(c * c + mb * mb));
    out[i] = Math.abs(y1 - y2);
  }
  return out;
}

function ratio(num: Column, den: Column): Float32Array {
  const out = new Float32Array(num.length);
  // A jet with tau1 = 0 has no substructure to speak of; 0 keeps the value finite and in range.
  for (let i = 0; i < num.length; i++) out[i] = den[i]! > 0 ? num[i]! / den[i]! : 0;
  return out;
}

/**
 * Compute the requested derived features into the batch (in place; existing columns are kept, so a source that
 * already carries e.g. mj_min is not recomputed). Dependencies are resolved here, in dependency order.
 */
export function deriveFeatures(b: EventBatch, wanted: readonly string[], mjjMode: MjjMode): void {
  const need = new Set(wanted);
  const has = (k: string) => b.columns[k] !== undefined;
  const put = (k: string, f: () => Column) => { if (!has(k)) b.columns[k] = f(); };
  if (need.has('mjj') && mjjMode !== 'column') b.columns.mjj = dijetMass(b, mjjMode);
  if (need.has('delta_y')) put('delta_y', () => rapidityGap(b));
  const tauRatio = (jet: 1 | 2, hi: 2 | 3) => put(`jet${jet}_tau${hi}${hi - 1}`, () => ratio(col(b, `jet${jet}_tau${hi}`), col(b, `jet${jet}_tau${hi - 1}`)));
  const byMass = ['mj_min', 'mj_max', 'delta_mj', 'tau21_lighter', 'tau21_heavier', 'tau32_lighter', 'tau32_heavier'];
  if (need.has('jet1_tau21') || need.has('tau21_lighter') || need.has('tau21_heavier')) tauRatio(1, 2);
  if (need.has('jet2_tau21') || need.has('tau21_lighter') || need.has('tau21_heavier')) tauRatio(2, 2);
  if (need.has('jet1_tau32') || need.has('tau32_lighter') || need.has('tau32_heavier')) tauRatio(1, 3);
  if (need.has('jet2_tau32') || need.has('tau32_lighter') || need.has('tau32_heavier')) tauRatio(2, 3);
  if (!byMass.some((k) => need.has(k) && !has(k))) return;
  const m1 = col(b, 'jet1_m'), m2 = col(b, 'jet2_m');
  const n = b.length;
  const lighterFirst = (a: Column | undefined, c: Column | undefined, heavier: boolean): Float32Array => {
    const out = new Float32Array(n);
    if (!a || !c) return out;
    for (let i = 0; i < n; i++) out[i] = (m1[i]! <= m2[i]!) !== heavier ? a[i]! : c[i]!;
    return out;
  };
  if (need.has('mj_min')) put('mj_min', () => lighterFirst(m1, m2, false));
  if (need.has('mj_max')) put('mj_max', () => lighterFirst(m1, m2, true));
  if (need.has('delta_mj')) put('delta_mj', () => { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = Math.abs(m1[i]! - m2[i]!); return o; });
  if (need.has('tau21_lighter')) put('tau21_lighter', () => lighterFirst(b.columns.jet1_tau21, b.columns.jet2_tau21, false));
  if (need.has('tau21_heavier')) put('tau21_heavier', () => lighterFirst(b.columns.jet1_tau21, b.columns.jet2_tau21, true));
  if (need.has('tau32_lighter')) put('tau32_lighter', () => lighterFirst(b.columns.jet1_tau32, b.columns.jet2_tau32, false));
  if (need.has('tau32_heavier')) put('tau32_heavier', () => lighterFirst(b.columns.jet1_tau32, b.columns.jet2_tau32, true));
}
