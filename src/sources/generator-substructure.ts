/**
 * The extra per-jet substructure of seed 003's CMS methods (backup slide: "mSD, τ21, τ32, τ43, nPF, LSF3"),
 * generated beside the calibrated columns when a generator is asked for `substructure: 'cms2024'`:
 *   jet{1,2}_msd   soft-drop-like groomed mass (GeV): grooming removes soft wide-angle radiation, which makes up
 *                  much of a QCD jet's mass and little of a resolved heavy-particle jet's;
 *   jet{1,2}_tau4  4-subjettiness, through τ43 = τ4/τ3 (derive jet{1,2}_tau43);
 *   jet{1,2}_npf   constituent (particle-flow candidate) multiplicity: QCD jets (gluon-rich) carry more
 *                  constituents than the colour-singlet decays of a heavy particle, and grow with ln pT;
 *   jet{1,2}_lsf3  a three-subjet energy-sharing score in [0, 1]: large when three hard subjets share the jet's
 *                  momentum (LSF3-like), small for one- and two-prong jets.
 *
 * Prongs: a QCD jet is one-prong, a resolved resonance daughter two-prong (the default) or three-prong (a
 * `prongsB=3` / `prongsC=3` resonance: a top-like B′ → t b W, seed 003's W′ → B′ t); a daughter that lost a prong
 * outside the jet is drawn as QCD-like. Three-prong daughters get their τ21 and τ32 from here too (low τ32, τ21 near
 * the QCD bulk), replacing the two-prong values.
 *
 * Calibration: none of these four observables is in the shared data (LHCO R&D has τ1–τ3 only), so every constant
 * below is assumed, chosen to give the qualitative separations of the CMS feature set; they are listed in one place
 * so a fit to data can replace them. Randomness comes from its own xoshiro stream (seed, 3), consumed only when
 * substructure is on or a three-prong daughter is made, so the calibrated columns of every existing stream are
 * unchanged bit for bit.
 */
import type { Xoshiro128 } from './generator-random.js';

export type Prongs = 1 | 2 | 3;

/** Assumed constants of the extra substructure (see the module comment). */
export const SUBSTRUCTURE = {
  /** msd/m of QCD jets: 0.3 + 0.7 u^0.8 (a broad groomed-away fraction). */
  qcdGroom: { floor: 0.3, power: 0.8 },
  /** msd/m of resolved heavy-particle jets: Gaussian around 0.95, clamped to <= 1. */
  prongGroom: { mean: 0.95, sigma: 0.03 },
  /** τ43 Gaussian (clamped to (0.05, 0.99)) per prong count. */
  tau43: { 1: { mean: 0.8, sigma: 0.08 }, 2: { mean: 0.8, sigma: 0.08 }, 3: { mean: 0.68, sigma: 0.08 } },
  /** Three-prong τ21 and τ32 Gaussians (clamped to (0.05, 0.99)). */
  threeProngTau21: { mean: 0.55, sigma: 0.1 },
  threeProngTau32: { mean: 0.45, sigma: 0.09 },
  /** nPF mean a + b ln(pT / 300 GeV) + c (prongs - 1), Gaussian spread sqrt(mean) * spread, at least 2. */
  npf: { qcd: { a: 34, b: 9 }, prong: { a: 18, b: 5, c: 6 }, spread: 1.3 },
  /** lsf3 ~ Kumaraswamy(a, b) per prong count (inverse CDF (1 - (1 - u)^(1/b))^(1/a)). */
  lsf3: { 1: { a: 1.3, b: 6 }, 2: { a: 2, b: 5 }, 3: { a: 4, b: 2.5 } },
} as const;

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** τ21 and τ32 of a three-prong jet. */
export function threeProngTaus(rng: Xoshiro128): { tau21: number; tau32: number } {
  const s = SUBSTRUCTURE;
  return {
    tau21: clamp(s.threeProngTau21.mean + s.threeProngTau21.sigma * rng.normal(), 0.05, 0.99),
    tau32: clamp(s.threeProngTau32.mean + s.threeProngTau32.sigma * rng.normal(), 0.05, 0.99),
  };
}

/** The extra substructure of one jet: groomed mass, τ4 (from its τ3), constituent count and lsf3. Hot. */
export function drawSubstructure(
  rng: Xoshiro128,
  prongs: Prongs,
  pt: number,
  m: number,
  tau3: number,
): { msd: number; tau4: number; npf: number; lsf3: number } {
  const s = SUBSTRUCTURE;
  const groom =
    prongs === 1
      ? s.qcdGroom.floor + (1 - s.qcdGroom.floor) * rng.uniform() ** s.qcdGroom.power
      : Math.min(1, s.prongGroom.mean + s.prongGroom.sigma * rng.normal());
  const t43p = s.tau43[prongs];
  const tau43 = clamp(t43p.mean + t43p.sigma * rng.normal(), 0.05, 0.99);
  const lnPt = Math.log(Math.max(pt, 1) / 300);
  const mean =
    prongs === 1
      ? s.npf.qcd.a + s.npf.qcd.b * lnPt
      : s.npf.prong.a + s.npf.prong.b * lnPt + s.npf.prong.c * (prongs - 1);
  const npf = Math.max(2, Math.round(mean + s.npf.spread * Math.sqrt(Math.max(mean, 1)) * rng.normal()));
  const k = s.lsf3[prongs];
  const lsf3 = (1 - (1 - rng.uniform()) ** (1 / k.b)) ** (1 / k.a);
  return { msd: m * groom, tau4: tau43 * tau3, npf, lsf3 };
}
