/**
 * Decorrelation helpers that keep a CWoLa classifier from learning mjj itself, which would sculpt a bump:
 *  - jet-mass ECDF mapping per mjj region (seed 001): within each region, each jet mass m is replaced by the
 *    fraction of jet masses (both jets pooled) below it, so the marginal is uniform in every region;
 *  - equal total weight for the two sidebands and for SR vs SB (seed 001);
 *  - SR-to-SB reweighting in a kinematic variable such as jet pT (seed 003), so the SB events carry the SR's
 *    distribution in that variable.
 */

/**
 * ECDF-map the pooled values of `columns` (e.g. [m_J1, m_J2]) within each region (region[i] = id, 255 = none).
 * Returns new Float32Arrays; events outside every region keep their value mapped by no region (NaN).
 */
export function ecdfMapPerRegion(columns: Float32Array[], region: Uint8Array): Float32Array[] {
  const n = region.length;
  const out = columns.map(() => new Float32Array(n).fill(NaN));
  const ids = new Set<number>();
  for (let i = 0; i < n; i++) if (region[i] !== 255) ids.add(region[i]!);
  for (const id of ids) {
    const pooled: number[] = [];
    for (let i = 0; i < n; i++) if (region[i] === id) for (const c of columns) pooled.push(c[i]!);
    const sorted = Float64Array.from(pooled).sort();
    const m = sorted.length;
    for (let i = 0; i < n; i++) {
      if (region[i] !== id) continue;
      for (let f = 0; f < columns.length; f++) {
        const v = columns[f]![i]!;
        // fraction strictly below v
        let lo = 0;
        let hi = m;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (sorted[mid]! < v) lo = mid + 1;
          else hi = mid;
        }
        out[f]![i] = lo / m;
      }
    }
  }
  return out;
}

/**
 * CWoLa class weights: the SR (label 1) and the SB (label 0) get the same total weight, and with
 * `equalSidebands` each sideband (sbIndex 0, 1, …) gets the same share of the SB total. Rows with role 255 get 0.
 * `role`: 0 = SR, 1 + s = sideband s, 255 = neither. Weights are normalised to a mean of 1 over used rows.
 */
export function cwolaWeights(role: Uint8Array, equalSidebands: boolean, base?: Float32Array): Float32Array {
  const n = role.length;
  const tot = new Float64Array(256);
  for (let i = 0; i < n; i++) if (role[i] !== 255) tot[role[i]!] = tot[role[i]!]! + (base ? base[i]! : 1);
  let nSb = 0;
  let sbTot = 0;
  for (let r = 1; r < 255; r++) {
    if (tot[r]! > 0) {
      nSb++;
      sbTot += tot[r]!;
    }
  }
  let used = 0;
  for (let i = 0; i < n; i++) if (role[i] !== 255) used++;
  const w = new Float32Array(n);
  if (tot[0]! <= 0 || nSb === 0) return w;
  // Each class gets half of the used-row count as its total weight.
  const half = used / 2;
  for (let i = 0; i < n; i++) {
    const r = role[i]!;
    if (r === 255) continue;
    const b = base ? base[i]! : 1;
    if (r === 0) w[i] = (b * half) / tot[0]!;
    else w[i] = equalSidebands ? (b * half) / nSb / tot[r]! : (b * half) / sbTot;
  }
  return w;
}

/**
 * Per-event weights for the `from` events (e.g. SB) so that their histogram of `variable` over `edges` matches
 * that of the `to` events (e.g. SR), normalised to keep the `from` total. Bins with no `from` events get weight 1.
 */
export function reweightToMatch(
  variable: ArrayLike<number>,
  from: Uint8Array,
  to: Uint8Array,
  edges: Float64Array,
): Float32Array {
  const nb = edges.length - 1;
  const hf = new Float64Array(nb);
  const ht = new Float64Array(nb);
  const bin = new Int32Array(variable.length).fill(-1);
  let nf = 0;
  let nt = 0;
  for (let i = 0; i < variable.length; i++) {
    const v = variable[i]!;
    if (!(v >= edges[0]! && v < edges[nb]!)) continue;
    let a = 0;
    let b = nb;
    while (b - a > 1) {
      const m = (a + b) >>> 1;
      if (edges[m]! <= v) a = m;
      else b = m;
    }
    bin[i] = a;
    if (from[i]) {
      hf[a] = hf[a]! + 1;
      nf++;
    }
    if (to[i]) {
      ht[a] = ht[a]! + 1;
      nt++;
    }
  }
  const w = new Float32Array(variable.length).fill(1);
  if (nf === 0 || nt === 0) return w;
  for (let i = 0; i < variable.length; i++) {
    if (!from[i] || bin[i]! < 0) continue;
    const a = bin[i]!;
    w[i] = hf[a]! > 0 ? ht[a]! / nt / (hf[a]! / nf) : 1;
  }
  return w;
}
