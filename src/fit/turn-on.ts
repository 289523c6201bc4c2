/**
 * Fit-range guard: where a recorded mjj spectrum turns on. A leading-jet pT trigger makes the spectrum rise from
 * its lowest bins to a maximum before it falls (mjj ≈ 2 pT cosh(|Δy|/2) at threshold); a falling dijet function
 * cannot describe the rise, and a fit that includes it predicts nonsense in a signal region next to it (the shipped
 * ATLAS 2020 topology reported Z = 20.95 without any signal in its 2.28–2.74 TeV region on such data). Seed 001
 * starts the fit where the trigger is fully efficient.
 *
 * Detection on the inclusive spectrum (high statistics, any signal a small fraction of it): bins are grouped from
 * the left so that each group holds enough events for its density to be measured; the spectrum turns on when the
 * densest group lies above a group to its left by more than `significance` standard deviations. The fit may then
 * start `margin` (a fraction of the peak's mjj) above the peak: at the peak a pT threshold is efficient only for
 * central events, and full efficiency over |Δy| < 1.2 needs mjj about cosh(0.6) ≈ 1.19 times the central value.
 */
export interface TurnOn {
  /** Whether the spectrum rises before it falls. */
  rising: boolean;
  /** mjj (GeV) of the densest group's centre; the histogram's lower edge when the spectrum only falls. */
  peak: number;
  /** Lowest mjj (GeV) the fit may use. */
  fitFrom: number;
  /** How large the rise was, in standard deviations of the two densities compared. */
  riseSignificance: number;
}

export interface TurnOnOptions {
  /** Events per density group (default 100). */
  minGroupEvents?: number;
  /** A rise counts above this many standard deviations (default 5). */
  significance?: number;
  /** The fit starts at peak × (1 + margin) (default 0.1). */
  margin?: number;
}

export function detectTurnOn(
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  counts: ArrayLike<number>,
  options: TurnOnOptions = {},
): TurnOn {
  const minEvents = options.minGroupEvents ?? 100;
  const nSigma = options.significance ?? 5;
  const margin = options.margin ?? 0.1;
  const nb = counts.length;
  const groups: Array<{ lo: number; hi: number; n: number }> = [];
  let g = { lo: nb ? lo[0]! : 0, hi: 0, n: 0 };
  for (let i = 0; i < nb; i++) {
    if (g.n === 0) g.lo = lo[i]!;
    g.n += Math.max(0, counts[i]!);
    g.hi = hi[i]!;
    if (g.n >= minEvents) {
      groups.push(g);
      g = { lo: hi[i]!, hi: hi[i]!, n: 0 };
    }
  }
  const edge = nb ? lo[0]! : 0;
  const none: TurnOn = { rising: false, peak: edge, fitFrom: edge, riseSignificance: 0 };
  if (groups.length < 2) return none;
  const density = groups.map((x) => x.n / (x.hi - x.lo));
  const sigma = groups.map((x) => Math.sqrt(x.n) / (x.hi - x.lo));
  let peak = 0;
  for (let k = 1; k < groups.length; k++) if (density[k]! > density[peak]!) peak = k;
  let rise = 0;
  for (let k = 0; k < peak; k++) {
    const s = (density[peak]! - density[k]!) / Math.hypot(sigma[peak]!, sigma[k]!);
    if (s > rise) rise = s;
  }
  if (!(rise > nSigma)) return { ...none, riseSignificance: rise };
  const peakMjj = 0.5 * (groups[peak]!.lo + groups[peak]!.hi);
  return { rising: true, peak: peakMjj, fitFrom: peakMjj * (1 + margin), riseSignificance: rise };
}
