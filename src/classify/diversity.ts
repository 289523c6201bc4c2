/**
 * Diversity of an ensemble: how differently its members (or seed 001's candidates) rank the same events. An
 * ensemble whose members are one model repeated gains nothing from the median of their histograms or from
 * "keep the best of n"; the mean pairwise rank correlation says how far that is from the case (1 = identical
 * rankings). Spearman's ρ, because boosted-tree logits of different members are on different scales and only the
 * ranking matters for a selection at a working point.
 */

/** Ranks 0…n−1 of `x` (ties get the mean of their ranks). */
export function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const v = Float64Array.from(x as ArrayLike<number>);
  order.sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(n);
  let k = 0;
  while (k < n) {
    let e = k + 1;
    while (e < n && v[order[e]!] === v[order[k]!]) e++;
    const mean = 0.5 * (k + e - 1);
    for (let q = k; q < e; q++) r[order[q]!] = mean;
    k = e;
  }
  return r;
}

/** Pearson correlation of two equal-length arrays; NaN when either is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/**
 * Mean pairwise Spearman correlation of score arrays over the rows `rows` (all rows when absent), on at most
 * `maxRows` of them taken at an even stride (the cost stays bounded for windows of millions of events).
 * NaN with fewer than two arrays or when every pair is undefined (a constant score).
 */
export function meanRankCorrelation(scores: ArrayLike<number>[], rows?: ArrayLike<number>, maxRows = 50_000): number {
  if (scores.length < 2) return NaN;
  const all = rows ? rows.length : scores[0]!.length;
  const m = Math.min(all, maxRows);
  if (m < 2) return NaN;
  const pick = new Uint32Array(m);
  for (let k = 0; k < m; k++) {
    const q = Math.floor((k * all) / m);
    pick[k] = rows ? rows[q]! : q;
  }
  const r = scores.map((s) => ranks(Float64Array.from(pick, (i) => s[i]!)));
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < r.length; a++) {
    for (let b = a + 1; b < r.length; b++) {
      const c = pearson(r[a]!, r[b]!);
      if (c === c) {
        sum += c;
        pairs++;
      }
    }
  }
  return pairs > 0 ? sum / pairs : NaN;
}
