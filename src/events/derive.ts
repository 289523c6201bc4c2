import type { Column, EventBatch } from './batch.js';
import { SidebandError } from './errors.js';

/**
 * Derived features, computed column-wise from the two leading jets. Names follow the LHCO / ATLAS conventions:
 * mj_min and mj_max are the lighter and heavier jet masses, delta_mj = mj_max − mj_min, tau21_lighter is τ2/τ1 of
 * the lighter jet.
 *
 * Hot: every kernel loops over an index list (the events still selected), so expensive features (|Δy| and mjj
 * need sinh, asinh, cos, sqrt) are computed only for events that survived the cheap cuts before them. Output
 * columns have the batch's full length; entries of unselected events are left at 0 and never read.
 */
export type MjjMode = 'fourvector' | 'massless' | 'column';

export const DERIVED_FEATURES = [
  'mjj',
  'delta_y',
  'jet1_tau21',
  'jet2_tau21',
  'jet1_tau32',
  'jet2_tau32',
  'mj_min',
  'mj_max',
  'delta_mj',
  'tau21_lighter',
  'tau21_heavier',
  'tau32_lighter',
  'tau32_heavier',
  // Seed 003 (CMS 2024): per-jet tau4/tau3, |eta1 - eta2| and the control region's balance condition.
  'jet1_tau43',
  'jet2_tau43',
  'delta_eta',
  'cms_unbalanced',
] as const;
export type DerivedFeature = (typeof DERIVED_FEATURES)[number];

const JET = ['pt', 'eta', 'phi', 'm'] as const;

function col(b: EventBatch, name: string): Column {
  const c = b.columns[name];
  if (!c) throw new SidebandError(`derive: needs column '${name}' (have: ${Object.keys(b.columns).join(', ')})`);
  return c;
}

function all(n: number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return idx;
}

/**
 * Put the higher-pT jet first (jet1), swapping every jet1_* / jet2_* column where needed. Sources that already
 * order jets (the generator, most ntuples) cost one compare per event.
 */
export function orderJetsByPt(b: EventBatch): void {
  const pt1 = b.columns.jet1_pt,
    pt2 = b.columns.jet2_pt;
  if (!pt1 || !pt2) return;
  let pairs: string[] | undefined;
  for (let i = 0; i < b.length; i++) {
    if (pt2[i]! <= pt1[i]!) continue;
    pairs ??= Object.keys(b.columns).filter((k) => k.startsWith('jet1_') && b.columns[`jet2_${k.slice(5)}`]);
    for (const k of pairs) {
      const a = b.columns[k]!,
        c = b.columns[`jet2_${k.slice(5)}`]!;
      const t = a[i]!;
      a[i] = c[i]!;
      c[i] = t;
    }
  }
}

/**
 * Dijet invariant mass from the jets' (pt, eta, phi, m). 'massless' is seed 000's variant,
 * mjj² = 2(|p1||p2| − p1·p2), which sets the jet masses to zero to reduce the correlation of mjj with the jet
 * masses used as classifier features.
 */
export function dijetMass(
  b: EventBatch,
  mode: Exclude<MjjMode, 'column'>,
  idx: Uint32Array = all(b.length),
): Float32Array {
  const [pt1, eta1, phi1, m1] = JET.map((f) => col(b, `jet1_${f}`));
  const [pt2, eta2, phi2, m2] = JET.map((f) => col(b, `jet2_${f}`));
  const out = new Float32Array(b.length);
  const massless = mode === 'massless';
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    const a = pt1![i]!,
      c = pt2![i]!;
    const e1 = Math.exp(eta1![i]!),
      e2 = Math.exp(eta2![i]!);
    const sh1 = 0.5 * (e1 - 1 / e1),
      sh2 = 0.5 * (e2 - 1 / e2);
    // p1·p2 = pt1 pt2 (cos Δφ + sinh η1 sinh η2); |p|² = pt² cosh² η = pt² (1 + sinh² η).
    const dot = a * c * (Math.cos(phi1![i]! - phi2![i]!) + sh1 * sh2);
    const p1sq = a * a * (1 + sh1 * sh1),
      p2sq = c * c * (1 + sh2 * sh2);
    let m2sum: number;
    if (massless) {
      m2sum = 2 * (Math.sqrt(p1sq * p2sq) - dot);
    } else {
      const ma = m1![i]!,
        mb = m2![i]!;
      m2sum = ma * ma + mb * mb + 2 * (Math.sqrt((p1sq + ma * ma) * (p2sq + mb * mb)) - dot);
    }
    out[i] = m2sum > 0 ? Math.sqrt(m2sum) : 0;
  }
  return out;
}

/**
 * |Δy| between the two jets, with rapidity y = sign(pz)·ln((|pz| + E)/mT) (massive jets: y ≠ η), from the jets'
 * pT, mass, pz = pT sinh η and E = sqrt(pz² + mT²). One log per event (y1 − y2 is the log of one ratio); the one
 * formula both rapidityGap and cutRapidityGap use, so both give the same value to the last bit.
 */
function gap(pz1: number, e1: number, mt1sq: number, pz2: number, e2: number, mt2sq: number): number {
  // e^{|y|} = (|pz| + E) / mT; e^{y} is that or its inverse by the sign of pz.
  const g1 = (Math.abs(pz1) + e1) / Math.sqrt(mt1sq);
  const g2 = (Math.abs(pz2) + e2) / Math.sqrt(mt2sq);
  const r = (pz1 >= 0 ? g1 : 1 / g1) * (pz2 >= 0 ? 1 / g2 : g2);
  return Math.abs(Math.log(r));
}

function jetColumns(b: EventBatch): { pt1: Column; eta1: Column; m1?: Column; pt2: Column; eta2: Column; m2?: Column } {
  const [pt1, eta1, , m1] = JET.map((f) => b.columns[`jet1_${f}`]);
  const [pt2, eta2, , m2] = JET.map((f) => b.columns[`jet2_${f}`]);
  if (!pt1 || !eta1 || !pt2 || !eta2)
    throw new SidebandError('derive: delta_y needs jet1_pt, jet1_eta, jet2_pt, jet2_eta');
  return { pt1, eta1, m1, pt2, eta2, m2 };
}

/** |Δy| between the two jets for the events `idx` (see gap). Hot: two exp, four sqrt and one log per event. */
export function rapidityGap(b: EventBatch, idx: Uint32Array = all(b.length)): Float32Array {
  const { pt1, eta1, m1, pt2, eta2, m2 } = jetColumns(b);
  const out = new Float32Array(b.length);
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    const a = pt1[i]!,
      c = pt2[i]!;
    const ma = m1 ? m1[i]! : 0,
      mb = m2 ? m2[i]! : 0;
    const x1 = Math.exp(eta1[i]!),
      x2 = Math.exp(eta2[i]!);
    const pz1 = 0.5 * a * (x1 - 1 / x1),
      pz2 = 0.5 * c * (x2 - 1 / x2);
    const mt1sq = a * a + ma * ma,
      mt2sq = c * c + mb * mb;
    out[i] = gap(pz1, Math.sqrt(pz1 * pz1 + mt1sq), mt1sq, pz2, Math.sqrt(pz2 * pz2 + mt2sq), mt2sq);
  }
  return out;
}

/** Relative margin around a tanh bound inside which cutRapidityGap computes |Δy| itself to decide. */
const GAP_MARGIN = 1e-6;

/**
 * The cut lo <= |Δy| < hi on the batch's selection, narrowed in place, with delta_y written for the events that pass
 * only. Returns how many pass. Cheaper kinematics: tanh(y) = pz / E, so tanh|y1 − y2| = |pz1 E2 − pz2 E1| /
 * (E1 E2 − pz1 pz2), and the cut is a bound on that ratio (tanh is increasing): no log and two sqrt fewer for the
 * events that fail. Within a relative 1e-6 of a bound (about 2e-6 in |Δy|, thirty float32 steps) the event is
 * decided on |Δy| itself, rounded to float32 as the delta_y column stores it, so the selection is exactly that of
 * rapidityGap followed by the cut (test/events/derive.test.ts compares the two).
 */
export function cutRapidityGap(b: EventBatch, lo = -Infinity, hi = Infinity): number {
  const { pt1, eta1, m1, pt2, eta2, m2 } = jetColumns(b);
  const sel = b.selection ? b.selection.slice() : all(b.length);
  const out = new Float32Array(b.length);
  const tlo = lo > 0 ? Math.tanh(lo) : -1,
    thi = Math.tanh(hi);
  const passLo = lo > 0 ? tlo * (1 + GAP_MARGIN) : -1,
    failLo = lo > 0 ? tlo * (1 - GAP_MARGIN) : -1;
  const passHi = thi * (1 - GAP_MARGIN),
    failHi = hi < Infinity ? thi * (1 + GAP_MARGIN) : 2;
  let k = 0;
  for (let j = 0; j < sel.length; j++) {
    const i = sel[j]!;
    const a = pt1[i]!,
      c = pt2[i]!;
    const ma = m1 ? m1[i]! : 0,
      mb = m2 ? m2[i]! : 0;
    const x1 = Math.exp(eta1[i]!),
      x2 = Math.exp(eta2[i]!);
    const pz1 = 0.5 * a * (x1 - 1 / x1),
      pz2 = 0.5 * c * (x2 - 1 / x2);
    const mt1sq = a * a + ma * ma,
      mt2sq = c * c + mb * mb;
    const e1 = Math.sqrt(pz1 * pz1 + mt1sq),
      e2 = Math.sqrt(pz2 * pz2 + mt2sq);
    const den = e1 * e2 - pz1 * pz2;
    const t = Math.abs(pz1 * e2 - pz2 * e1) / den;
    // What rounding can cost t beyond the margin: the difference in its numerator cancels for forward jets.
    const slack = (1e-13 * (e1 * e2 + Math.abs(pz1 * pz2))) / den;
    // NaN (a jet without pT or mass) is never surely out: the exact value decides, as in rapidityGap.
    if (t - slack >= failHi || t + slack <= failLo) continue;
    const v = Math.fround(gap(pz1, e1, mt1sq, pz2, e2, mt2sq));
    if ((t + slack < passHi && t - slack > passLo) || (v >= lo && v < hi)) {
      out[i] = v;
      sel[k++] = i;
    }
  }
  b.columns.delta_y = out;
  b.selection = sel.subarray(0, k);
  return k;
}

/**
 * Seed 003's control-region balance condition, 1 or 0: |pT1 − pT2| / (pT1 + pT2) > 0.1, or
 * A = pT1 pT2 (2 cosh Δη + 2) / mjj² outside [0.95, 1] (A = 1 for massless back-to-back jets of equal pT, so
 * either condition flags events that are not a clean 2 → 2 topology, where a resonance's jets rarely land).
 * mjj from the four-vectors here, whatever the topology's mjj mode, as the condition is defined on them.
 */
function cmsUnbalanced(b: EventBatch, idx: Uint32Array): Float32Array {
  const pt1 = col(b, 'jet1_pt'),
    pt2 = col(b, 'jet2_pt'),
    e1 = col(b, 'jet1_eta'),
    e2 = col(b, 'jet2_eta');
  const mjj = dijetMass(b, 'fourvector', idx);
  const out = new Float32Array(b.length);
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    const a = pt1[i]!,
      c = pt2[i]!;
    const asym = Math.abs(a - c) / (a + c);
    const m = mjj[i]!;
    const A = m > 0 ? (a * c * (2 * Math.cosh(e1[i]! - e2[i]!) + 2)) / (m * m) : 0;
    out[i] = asym > 0.1 || A < 0.95 || A > 1 ? 1 : 0;
  }
  return out;
}

function ratio(num: Column, den: Column, idx: Uint32Array): Float32Array {
  const out = new Float32Array(num.length);
  // A jet with tau1 = 0 has no substructure to speak of; 0 keeps the value finite and in range.
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    out[i] = den[i]! > 0 ? num[i]! / den[i]! : 0;
  }
  return out;
}

/** Features `wanted` needs computed, in dependency order (τ ratios before the lighter/heavier picks). */
function plan(wanted: readonly string[]): string[] {
  const need = new Set<string>();
  const add = (f: string) => {
    if (f.endsWith('_lighter') || f.endsWith('_heavier')) {
      add(`jet1_${f.slice(0, 5)}`);
      add(`jet2_${f.slice(0, 5)}`);
    }
    need.add(f);
  };
  for (const f of wanted) add(f);
  return DERIVED_FEATURES.filter((f) => need.has(f));
}

/**
 * Compute the requested derived features into the batch, for the selected events (all events when the batch has
 * no selection). Columns the batch already has (a source carrying mj_min, say) are kept, except mjj when a
 * four-vector mode asks to recompute it.
 */
export function deriveFeatures(b: EventBatch, wanted: readonly string[], mjjMode: MjjMode): void {
  const idx = b.selection ?? all(b.length);
  const n = b.length;
  for (const f of plan(wanted)) {
    if (b.columns[f] && !(f === 'mjj' && mjjMode !== 'column')) continue;
    if (f === 'mjj') {
      if (mjjMode === 'column')
        throw new SidebandError("derive: mjj is read from a column ('column' mode) but the batch has none");
      b.columns.mjj = dijetMass(b, mjjMode, idx);
    } else if (f === 'delta_y') {
      b.columns.delta_y = rapidityGap(b, idx);
    } else if (f === 'delta_eta') {
      const e1 = col(b, 'jet1_eta'),
        e2 = col(b, 'jet2_eta');
      const out = new Float32Array(n);
      for (let j = 0; j < idx.length; j++) {
        const i = idx[j]!;
        out[i] = Math.abs(e1[i]! - e2[i]!);
      }
      b.columns.delta_eta = out;
    } else if (f === 'cms_unbalanced') {
      b.columns.cms_unbalanced = cmsUnbalanced(b, idx);
    } else if (/^jet[12]_tau(21|32|43)$/.test(f)) {
      const hi = Number(f[8]);
      b.columns[f] = ratio(col(b, `${f.slice(0, 5)}tau${hi}`), col(b, `${f.slice(0, 5)}tau${hi - 1}`), idx);
    } else {
      const m1 = col(b, 'jet1_m'),
        m2 = col(b, 'jet2_m');
      const heavier = f === 'mj_max' || f.endsWith('_heavier');
      const out = new Float32Array(n);
      if (f === 'delta_mj') {
        for (let j = 0; j < idx.length; j++) {
          const i = idx[j]!;
          out[i] = Math.abs(m1[i]! - m2[i]!);
        }
      } else {
        const [a, c] = f.startsWith('mj_')
          ? [m1, m2]
          : [col(b, `jet1_${f.slice(0, 5)}`), col(b, `jet2_${f.slice(0, 5)}`)];
        // Jet 1 is the lighter when m1 <= m2: take it for *_lighter / mj_min, the other for *_heavier / mj_max.
        for (let j = 0; j < idx.length; j++) {
          const i = idx[j]!;
          out[i] = m1[i]! <= m2[i]! !== heavier ? a[i]! : c[i]!;
        }
      }
      b.columns[f] = out;
    }
  }
}
