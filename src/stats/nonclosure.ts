/**
 * Post-hoc nonclosure correction of seed 000 §V.D.4. On signal-free validation samples (DOWN-UP-SAMPLING
 * there) the analysis yields, per SR window, a distribution of significances. Linear fits in mjj of their mean
 * and of their standard deviation across windows define the expected bias; the mean is subtracted from the
 * significance observed in data, but only to decrease it, and never pushing a positive significance below 0.
 * The paper applied no width correction (its fitted widths were ≤ 1); it is available here as an option that
 * divides by the fitted width where that exceeds 1.
 */

export interface ValidationWindow {
  /** Window position (SR centre), GeV. */
  mjj: number;
  /** Significances obtained on the signal-free validation samples in this window. */
  z: ArrayLike<number>;
}

export interface LinearFit {
  intercept: number;
  slope: number;
}

export interface NonclosureModel {
  mean: LinearFit;
  std: LinearFit;
  /** Per-window mean and standard deviation that were fitted. */
  windows: { mjj: number; mean: number; std: number; n: number }[];
}

function linearFit(x: number[], y: number[]): LinearFit {
  const n = x.length;
  if (n === 0) return { intercept: 0, slope: 0 };
  const mx = x.reduce((a, b) => a + b, 0) / n,
    my = y.reduce((a, b) => a + b, 0) / n;
  let sxx = 0,
    sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  // A single window (or all at one mass) gives a constant, not a slope.
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { intercept: my - slope * mx, slope };
}

/** Fit the nonclosure model from validation significances per window. */
export function fitNonclosure(windows: ValidationWindow[]): NonclosureModel {
  const stats = windows
    .filter((w) => w.z.length > 0)
    .map((w) => {
      const z = Array.from(w.z);
      const m = z.reduce((a, b) => a + b, 0) / z.length;
      const v = z.length > 1 ? z.reduce((a, b) => a + (b - m) ** 2, 0) / (z.length - 1) : 0;
      return { mjj: w.mjj, mean: m, std: Math.sqrt(v), n: z.length };
    });
  const x = stats.map((s) => s.mjj);
  return {
    mean: linearFit(
      x,
      stats.map((s) => s.mean),
    ),
    std: linearFit(
      x,
      stats.map((s) => s.std),
    ),
    windows: stats,
  };
}

export function evaluateLinear(f: LinearFit, mjj: number): number {
  return f.intercept + f.slope * mjj;
}

/**
 * Corrected significance of a window at `mjj`: Z − shift with shift = max(fitted mean, 0), applied only to
 * positive Z and floored at 0 (a deficit is left as it is).
 */
export function applyNonclosure(
  z: number,
  mjj: number,
  model: NonclosureModel,
  options: { correctWidth?: boolean } = {},
): number {
  const shift = Math.max(0, evaluateLinear(model.mean, mjj));
  if (!(z > 0)) return z;
  let zc = Math.max(0, z - shift);
  if (options.correctWidth) {
    const w = evaluateLinear(model.std, mjj);
    if (w > 1) zc /= w;
  }
  return zc;
}
