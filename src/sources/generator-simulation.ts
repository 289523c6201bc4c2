/**
 * Two generator options that change the substructure of the calibrated dijet stream (src/sources/generator.ts):
 *
 * `mode: 'simulation'` — a deliberately mismodelled "simulation" of the data, so that SALAD (seed 000 §V.B,
 * src/background/salad.ts) has something to correct by reweighting. Only QCD (background) jets change; the
 * signal is generated as in data. Per QCD jet, with ρ = m/pT drawn from the calibrated table as in data:
 *   - jet mass: ln ρ' = ln ρ₀ + 1.15 (ln ρ − ln ρ₀) + ln 0.92, ρ₀ the calibrated median m/pT: the jet-mass scale
 *     is 8 % low and the spread of ln m 15 % wider (capped at ρ' ≤ 0.9). The jets' pT are then solved from mjj
 *     with ρ', so mjj and its spectrum are those of data;
 *   - τ21: drawn from the data's τ21 | ρ table at the unmodified ρ, then τ21' = τ21^0.85 (QCD jets look less
 *     two-prong: the mean τ21 rises by about 0.05); τ1 follows ρ' as in data.
 * The random numbers drawn are the same, one for one, as in data mode: a simulation stream with seed s is the
 * data stream with seed s pushed through these maps (so use a different seed for an independent sample).
 *
 * `massShift: k` — the shifted-feature test of CATHODE (Hallin et al., arXiv:2109.00546, and issue 13): every jet
 * mass grows by k·mjj (LHCO: m_J → m_J + 0.1 m_jj), correlating the jet masses with mjj far more strongly than
 * QCD's own m ∝ pT. For QCD events ρ is solved by fixed-point iteration ρ' = ρ + k·mjj / pT(ρ'), so that
 * m' = ρ·pT' + k·mjj exactly at the event's own pT and mjj is unchanged; for a resonance A → B C the daughters'
 * masses grow by k·m_A before the decay, so the resonance mass is unchanged. τ21 and τ32 are not changed.
 */
import { SidebandError } from '../events/errors.js';

/** The simulation mode's mismodelling of QCD jets (documented above and in docs/background.md). */
export const SIMULATION_MISMODELLING = {
  /** Jet-mass (m/pT) scale of simulation relative to data. */
  massScale: 0.92,
  /** Width of ln(m/pT) relative to data. */
  massWidth: 1.15,
  /** Largest m/pT a simulated jet may have. */
  maxRho: 0.9,
  /** τ21' = τ21^power. */
  tau21Power: 0.85,
} as const;

export type GeneratorMode = 'data' | 'simulation';

/** Simulated m/pT of a QCD jet of data m/pT `rho`, around the calibrated median `rho0`. */
export function mismodelledRho(rho: number, rho0: number): number {
  const s = SIMULATION_MISMODELLING;
  const r = rho0 * s.massScale * Math.exp(s.massWidth * Math.log(rho / rho0));
  return r < s.maxRho ? r : s.maxRho;
}

/** Simulated τ21 of a QCD jet of data τ21 `tau21`. */
export function mismodelledTau21(tau21: number): number {
  return tau21 ** SIMULATION_MISMODELLING.tau21Power;
}

/** Fixed-point iterations of the QCD mass shift (each cuts the error by about ρ·ρ': eight bring it below 1e-4). */
export const MASS_SHIFT_ITERATIONS = 8;

export function validateSubstructureOptions(mode: unknown, massShift: unknown): void {
  if (mode !== undefined && mode !== 'data' && mode !== 'simulation')
    throw new SidebandError(`generator: mode must be 'data' or 'simulation' (got ${String(mode)})`);
  if (massShift !== undefined && !(typeof massShift === 'number' && massShift >= 0 && massShift <= 0.3))
    throw new SidebandError(
      `generator: massShift must be a number in [0, 0.3] (a fraction of mjj; got ${String(massShift)})`,
    );
}
