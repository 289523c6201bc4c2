/**
 * "Did you mean": the known name nearest to a mistyped one, for topology keys and values (`srWidht` → `srWidth`)
 * and command-line options (`--outdir` → `--out`). Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions, the commonest typo), compared case-insensitively; a name is suggested only when it is close
 * enough that the suggestion is more likely right than noise, or when the typed name is a prefix of exactly one.
 */

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const n = a.length,
    m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  // Three rows: the one before the previous is needed for transpositions.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m]!;
}

/**
 * The candidate nearest to `word`, or undefined when none is near: no edit for names of 1 or 2 characters, 1 up to 4,
 * 2 up to 8, 3 beyond; or the only candidate that starts with (or is the start of) the word, like `--out` for
 * `--outdir` (both at least 3 characters). Ties go to the earlier candidate.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const list = [...candidates];
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of list) {
    if (c === word) continue;
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = w.length <= 2 ? 0 : w.length <= 4 ? 1 : w.length <= 8 ? 2 : 3;
  if (best !== undefined && bestD <= limit) return best;
  const prefixed = list.filter((c) => {
    const l = c.toLowerCase();
    return l.length >= 3 && w.length >= 3 && (w.startsWith(l) || l.startsWith(w));
  });
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** `; did you mean 'x'?` or nothing: the tail every "unknown name" message ends with. */
export function suggestion(word: string, candidates: Iterable<string>, quote = "'"): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : `; did you mean ${quote}${s}${quote}?`;
}
