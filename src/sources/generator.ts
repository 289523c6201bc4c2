/**
 * Calibrated dijet event generator: QCD-like background plus injected resonances A -> B C, as a Source.
 *
 * Background: mjj from the dijet function fitted to the ATLAS 139 fb^-1 spectrum; chi = exp|y1 - y2| flat (QCD
 * t-channel); each jet's mass is m = rho * pT with rho = m/pT drawn from a distribution calibrated on the LHCO
 * R&D background, so jet masses scale with pT and hence with mjj, as QCD jet masses do (the correlation that
 * sculpts sidebands); tau21 is drawn conditionally on rho (heavier QCD jets look more two-prong, as in LHCO).
 * The jets' pT then follows in closed form from mjj, the rapidities, the masses and the pT balance.
 *
 * Signal: the resonance mass is drawn from a Gaussian core of width wA plus a low FSR tail; B and C are given
 * their reconstructed masses (resolution wB, wC plus soft radiation); A decays isotropically in phi with a
 * sin^2(theta*) polar distribution (vector -> two scalars), gets a small transverse kick and a longitudinal boost.
 *
 * In both cases the written mjj is recomputed from the float32 (pt, eta, phi, m) of the two jets, so it equals
 * the four-vector invariant mass that any downstream stage derives from the columns.
 *
 * Counting: `events` is the total; the signal events (sum of the resonances' n, exact) replace background
 * events at positions drawn uniformly at random (selection sampling), so the background count is events - sum n.
 *
 * Options that change the substructure (generator-simulation.ts): `mode: 'simulation'` mismodels the QCD jet
 * masses (scale 0.92, ln-width ×1.15) and τ21 (τ21^0.85), a simulation for SALAD to reweight; `massShift: k` adds
 * k·mjj to every jet mass (the shifted-feature test), correlating the substructure with mjj; mjj is unchanged by both.
 *
 * Determinism: three independent xoshiro128** streams per seed (placement of signal events, background,
 * signal) are consumed strictly event by event, so the N-event stream is identical for every batchSize.
 * Calibration and its provenance: generator-calibration.ts and docs/calibration/README.md.
 */
import type { EventBatch } from '../events/batch.js';
import type { Source } from './source.js';
import { Xoshiro128, normalQuantile, quantileLookup } from './generator-random.js';
import { DijetMassSampler } from './generator-spectrum.js';
import { CALIBRATION, type GeneratorCalibration } from './generator-calibration.js';
import { SidebandError } from '../events/errors.js';
import { TriggerFilter, validateTrigger, type TriggerEmulation } from './generator-trigger.js';
import { drawSubstructure, threeProngTaus, type Prongs } from './generator-substructure.js';
import {
  MASS_SHIFT_ITERATIONS,
  mismodelledRho,
  mismodelledTau21,
  validateSubstructureOptions,
  type GeneratorMode,
} from './generator-simulation.js';

/** One injected resonance A -> B C (masses and widths in GeV). Widths default to the calibrated resolutions. */
export interface ResonanceSpec {
  mA: number;
  mB: number;
  mC: number;
  /** Number of signal events of this resonance in the stream (exact). */
  n: number;
  wA?: number;
  wB?: number;
  wC?: number;
  /** Prongs of the B and C jets: 2 (default, a two-body decay) or 3 (top-like, seed 003's W′ → B′ t). */
  prongsB?: 2 | 3;
  prongsC?: 2 | 3;
}

export interface GeneratorOptions {
  events: number;
  seed: number;
  signals?: ResonanceSpec[];
  batchSize?: number;
  /** Centre-of-mass energy in GeV (13000); the dijet shape is in x = mjj / sqrtS. */
  sqrtS?: number;
  /** Background mjj range in GeV: default 1100-8208, the range of the ATLAS spectrum; down to 1000 extrapolates the fit. */
  mjjMin?: number;
  mjjMax?: number;
  /** Override the calibration (used by the calibration fit in bench/calibration.ts). */
  calibration?: GeneratorCalibration;
  /** Trigger emulation: events failing it are not recorded (generator-trigger.ts). */
  trigger?: TriggerEmulation;
  /** Extra per-jet substructure columns (generator-substructure.ts): 'cms2024' adds SUBSTRUCTURE_COLUMNS. */
  substructure?: 'cms2024';
  /**
   * 'simulation': QCD jet masses and τ21 deliberately mismodelled (generator-simulation.ts), a stand-in for the
   * simulation SALAD reweights to data. Default 'data'.
   */
  mode?: GeneratorMode;
  /** Every jet mass grows by massShift·mjj (the shifted-feature test, generator-simulation.ts). Default 0. */
  massShift?: number;
}

export const GENERATOR_COLUMNS = [
  'jet1_pt',
  'jet1_eta',
  'jet1_phi',
  'jet1_m',
  'jet1_tau1',
  'jet1_tau2',
  'jet1_tau3',
  'jet2_pt',
  'jet2_eta',
  'jet2_phi',
  'jet2_m',
  'jet2_tau1',
  'jet2_tau2',
  'jet2_tau3',
  'mjj',
] as const;

/** Seed 003's extra per-jet columns, written when `substructure: 'cms2024'` (generator-substructure.ts). */
export const SUBSTRUCTURE_COLUMNS = [
  'jet1_msd',
  'jet1_tau4',
  'jet1_npf',
  'jet1_lsf3',
  'jet2_msd',
  'jet2_tau4',
  'jet2_npf',
  'jet2_lsf3',
] as const;

export const DEFAULT_MJJ_MIN = 1100;
export const DEFAULT_MJJ_MAX = 8208;
const RESONANCE_KEYS = ['mA', 'mB', 'mC', 'n', 'wA', 'wB', 'wC', 'prongsB', 'prongsC'] as const;

/** Parse "mA=3500,mB=500,mC=100,n=1000[,wA=..,wB=..,wC=..]" (GeV); errors name the bad key. */
export function parseResonanceSpec(text: string): ResonanceSpec {
  const values: Partial<Record<(typeof RESONANCE_KEYS)[number], number>> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new SidebandError(`signal spec '${text}': '${part}' is not key=value`);
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    if (!(RESONANCE_KEYS as readonly string[]).includes(key)) {
      throw new SidebandError(`signal spec '${text}': unknown key '${key}' (known: ${RESONANCE_KEYS.join(', ')})`);
    }
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v))
      throw new SidebandError(`signal spec '${text}': key '${key}' has non-numeric value '${raw}'`);
    values[key as (typeof RESONANCE_KEYS)[number]] = v;
  }
  for (const k of ['mA', 'mB', 'mC', 'n'] as const) {
    if (values[k] === undefined) throw new SidebandError(`signal spec '${text}': key '${k}' is required`);
  }
  const spec: ResonanceSpec = { mA: values.mA!, mB: values.mB!, mC: values.mC!, n: values.n! };
  if (values.wA !== undefined) spec.wA = values.wA;
  if (values.wB !== undefined) spec.wB = values.wB;
  if (values.wC !== undefined) spec.wC = values.wC;
  if (values.prongsB !== undefined) spec.prongsB = values.prongsB as 2 | 3;
  if (values.prongsC !== undefined) spec.prongsC = values.prongsC as 2 | 3;
  validateResonance(spec, text);
  return spec;
}

function validateResonance(s: ResonanceSpec, what: string): void {
  const bad = (key: string, why: string) => new SidebandError(`signal spec '${what}': key '${key}' ${why}`);
  if (!(s.mB > 0)) throw bad('mB', `must be > 0 GeV (got ${s.mB})`);
  if (!(s.mC > 0)) throw bad('mC', `must be > 0 GeV (got ${s.mC})`);
  if (!(s.mA > s.mB + s.mC)) throw bad('mA', `must exceed mB + mC = ${s.mB + s.mC} GeV (got ${s.mA})`);
  if (!(Number.isInteger(s.n) && s.n >= 0)) throw bad('n', `must be a non-negative integer (got ${s.n})`);
  for (const k of ['wA', 'wB', 'wC'] as const) {
    const w = s[k];
    if (w !== undefined && !(w >= 0)) throw bad(k, `must be >= 0 GeV (got ${w})`);
  }
  for (const k of ['prongsB', 'prongsC'] as const) {
    const p = s[k];
    if (p !== undefined && p !== 2 && p !== 3) throw bad(k, `must be 2 or 3 (got ${p})`);
  }
}

/** Invariant mass of two jets given as (pt, eta, phi, m), in float64. */
export function dijetMass(
  pt1: number,
  eta1: number,
  phi1: number,
  m1: number,
  pt2: number,
  eta2: number,
  phi2: number,
  m2: number,
): number {
  const pz1 = pt1 * Math.sinh(eta1);
  const pz2 = pt2 * Math.sinh(eta2);
  const e1 = Math.sqrt(pt1 * pt1 + pz1 * pz1 + m1 * m1);
  const e2 = Math.sqrt(pt2 * pt2 + pz2 * pz2 + m2 * m2);
  const s = m1 * m1 + m2 * m2 + 2 * (e1 * e2 - pz1 * pz2 - pt1 * pt2 * Math.cos(phi1 - phi2));
  return Math.sqrt(s > 0 ? s : 0);
}

const TWO_PI = 2 * Math.PI;
/** m/pT at which `signalJetMass.lostProngFraction` is quoted (the X(500) jet of the LHCO signal). */
const LOST_PRONG_RHO = 0.3;
/** Grid over m/pT in [0, RHO_GRID_MAX) giving the first tau21 bin to test (lookup instead of a scan). */
const RHO_GRID_CELLS = 1024;
const RHO_GRID_MAX = 1;

/** Resolved per-resonance parameters. */
interface Resonance {
  mA: number;
  mB: number;
  mC: number;
  wA: number;
  wB: number;
  wC: number;
  pB: Prongs;
  pC: Prongs;
}

/**
 * The synchronous core: fills batches of events. Kept apart from the async Source so that benchmarks and the
 * calibration fit can drive it directly.
 */
export class EventGenerator {
  readonly total: number;
  readonly seed: number;
  readonly signals: ResonanceSpec[];
  readonly mjjMin: number;
  readonly mjjMax: number;
  private readonly cal: GeneratorCalibration;
  private readonly spectrum: DijetMassSampler;
  private readonly placement: Xoshiro128;
  private readonly bkg: Xoshiro128;
  private readonly sig: Xoshiro128;
  private readonly resonances: Resonance[];
  private readonly remainingPerResonance: number[];
  private remainingSignal: number;
  private produced = 0;
  private readonly rhoTable: Float64Array;
  private readonly tau21Edges: Float64Array;
  private readonly tau21Tables: Float64Array[];
  private readonly rhoBinOfCell: Uint8Array;
  private readonly twoProngLow: Float64Array;
  private readonly twoProngHigh: Float64Array;
  private readonly twoProngLnRho: [number, number];
  private readonly chiMax: number;
  private readonly tau1PerRhoTable: Float64Array;
  /** Stream of the extra substructure and of three-prong taus (seed, 3): untouched by the calibrated columns. */
  private readonly sub: Xoshiro128;
  readonly substructure: boolean;
  private readonly prongs = new Uint8Array(2);
  readonly mode: GeneratorMode;
  readonly massShift: number;
  /** Median m/pT of the calibrated QCD table: the pivot of the simulation's jet-mass mismodelling. */
  private readonly rhoMedian: number;

  constructor(opts: GeneratorOptions) {
    validateSubstructureOptions(opts.mode, opts.massShift);
    this.mode = opts.mode ?? 'data';
    this.massShift = opts.massShift ?? 0;
    if (!(Number.isInteger(opts.events) && opts.events >= 0))
      throw new SidebandError(`generator: events must be a non-negative integer (got ${opts.events})`);
    if (!Number.isInteger(opts.seed)) throw new SidebandError(`generator: seed must be an integer (got ${opts.seed})`);
    this.total = opts.events;
    this.seed = opts.seed;
    this.cal = opts.calibration ?? CALIBRATION;
    const sqrtS = opts.sqrtS ?? 13000;
    this.mjjMin = opts.mjjMin ?? DEFAULT_MJJ_MIN;
    this.mjjMax = opts.mjjMax ?? Math.min(DEFAULT_MJJ_MAX, 0.9 * sqrtS);
    this.spectrum = new DijetMassSampler(this.cal.dijet, this.mjjMin, this.mjjMax, sqrtS);
    this.signals = (opts.signals ?? []).map((s) => ({ ...s }));
    this.signals.forEach((s, i) => {
      validateResonance(s, `signal #${i + 1}`);
    });
    const nSignal = this.signals.reduce((a, s) => a + s.n, 0);
    if (nSignal > this.total)
      throw new SidebandError(`generator: ${nSignal} signal events requested but only ${this.total} events in total`);
    const sm = this.cal.signalMass,
      sj = this.cal.signalJetMass;
    this.resonances = this.signals.map((s) => ({
      mA: s.mA,
      mB: s.mB,
      mC: s.mC,
      wA: s.wA ?? sm.coreSigma * s.mA,
      wB: s.wB ?? sj.coreSigma * s.mB,
      wC: s.wC ?? sj.coreSigma * s.mC,
      pB: s.prongsB ?? 2,
      pC: s.prongsC ?? 2,
    }));
    this.remainingPerResonance = this.signals.map((s) => s.n);
    this.remainingSignal = nSignal;
    this.placement = new Xoshiro128(opts.seed, 0);
    this.bkg = new Xoshiro128(opts.seed, 1);
    this.sig = new Xoshiro128(opts.seed, 2);
    this.sub = new Xoshiro128(opts.seed, 3);
    this.substructure = opts.substructure === 'cms2024';
    this.rhoTable = Float64Array.from(this.cal.rhoQuantiles);
    this.rhoMedian = quantileLookup(this.rhoTable, 0.5);
    this.tau21Edges = Float64Array.from(this.cal.tau21Qcd.rhoEdges);
    this.tau21Tables = this.cal.tau21Qcd.quantiles.map((q) => Float64Array.from(q));
    this.rhoBinOfCell = new Uint8Array(RHO_GRID_CELLS);
    for (let c = 0, b = 0; c < RHO_GRID_CELLS; c++) {
      const lo = (c * RHO_GRID_MAX) / RHO_GRID_CELLS;
      while (b < this.tau21Edges.length - 2 && lo >= this.tau21Edges[b + 1]!) b++;
      this.rhoBinOfCell[c] = b;
    }
    this.twoProngLow = Float64Array.from(this.cal.tau21TwoProng.quantiles[0]);
    this.twoProngHigh = Float64Array.from(this.cal.tau21TwoProng.quantiles[1]);
    this.twoProngLnRho = [Math.log(this.cal.tau21TwoProng.rho[0]), Math.log(this.cal.tau21TwoProng.rho[1])];
    this.chiMax = Math.exp(this.cal.maxDeltaY);
    // Log-normal tau1/(m/pT) as a quantile table: one lookup instead of exp() per jet.
    const t1p = this.cal.tau1PerRho;
    this.tau1PerRhoTable = new Float64Array(4097);
    for (let k = 0; k <= 4096; k++)
      this.tau1PerRhoTable[k] =
        t1p.median * Math.exp(t1p.logSigma * normalQuantile(Math.min(Math.max(k / 4096, 1e-4), 1 - 1e-4)));
  }

  get remaining(): number {
    return this.total - this.produced;
  }

  /** Produce the next min(n, remaining) events as a batch. */
  next(n: number): EventBatch {
    const len = Math.min(n, this.remaining);
    const cols: Record<string, Float32Array> = {};
    for (const c of GENERATOR_COLUMNS) cols[c] = new Float32Array(len);
    if (this.substructure) for (const c of SUBSTRUCTURE_COLUMNS) cols[c] = new Float32Array(len);
    const label = new Uint8Array(len);
    const rowStart = this.produced;
    const out = new JetColumns(cols);
    const nRes = this.resonances.length;
    for (let i = 0; i < len; i++) {
      // Selection sampling: event k of N is signal with probability (signal left) / (events left). This places
      // exactly the requested number of signal events uniformly at random through the stream.
      const left = this.total - this.produced - i;
      if (this.remainingSignal > 0 && this.placement.uniform() * left < this.remainingSignal) {
        let pick = this.placement.uniform() * this.remainingSignal;
        let r = 0;
        for (; r < nRes - 1; r++) {
          pick -= this.remainingPerResonance[r]!;
          if (pick < 0) break;
        }
        while (this.remainingPerResonance[r] === 0) r++;
        this.remainingPerResonance[r]!--;
        this.remainingSignal--;
        this.signalEvent(out, i, this.resonances[r]!);
        label[i] = 1;
      } else {
        this.backgroundEvent(out, i);
      }
      out.finish(i);
      if (this.substructure) this.writeSubstructure(out, i);
    }
    this.produced += len;
    return {
      length: len,
      columns: cols,
      label,
      positions: [{ kind: 'generator', seed: this.seed, rowStart, rowEnd: rowStart + len }],
      rowOffset: rowStart,
    };
  }

  /** Per-jet tau21 of a QCD jet with this m/pT. Hot. */
  private tau21Qcd(rng: Xoshiro128, rho: number): number {
    // Start from the precomputed bin of rho's grid cell; at most a step or two to the exact bin.
    const cell = Math.min(RHO_GRID_CELLS - 1, ((rho * RHO_GRID_CELLS) / RHO_GRID_MAX) | 0);
    const edges = this.tau21Edges;
    let b = this.rhoBinOfCell[cell]!;
    const last = edges.length - 2;
    while (b < last && rho >= edges[b + 1]!) b++;
    return quantileLookup(this.tau21Tables[b]!, rng.uniform());
  }

  private tau21TwoProng(u: number, rho: number): number {
    const [l0, l1] = this.twoProngLnRho;
    let w = (Math.log(rho) - l0) / (l1 - l0);
    w = w < 0 ? 0 : w > 1 ? 1 : w;
    return (1 - w) * quantileLookup(this.twoProngLow, u) + w * quantileLookup(this.twoProngHigh, u);
  }

  /** Write tau1, tau2, tau3 of jet `j` (1 or 2) from its m/pT and tau21. */
  private writeTaus(
    out: JetColumns,
    j: number,
    i: number,
    rng: Xoshiro128,
    rho: number,
    tau21: number,
    twoProng: boolean,
  ): void {
    let tau1 = rho * quantileLookup(this.tau1PerRhoTable, rng.uniform());
    if (tau1 > 0.95) tau1 = 0.95;
    const t32 = twoProng ? this.cal.tau32TwoProng : this.cal.tau32Qcd;
    let tau32 = t32.mean + t32.sigma * rng.normal();
    tau32 = tau32 < 0.05 ? 0.05 : tau32 > 0.99 ? 0.99 : tau32;
    const t21 = tau21 < 0.005 ? 0.005 : tau21 > 0.995 ? 0.995 : tau21;
    const tau2 = t21 * tau1;
    out.setTaus(j, i, tau1, tau2, tau32 * tau2);
  }

  /** The extra substructure of both jets of event i, from their prongs, pT, mass and tau3. */
  private writeSubstructure(out: JetColumns, i: number): void {
    for (let j = 1; j <= 2; j++) {
      const k = out.kinematics(j, i);
      const s = drawSubstructure(this.sub, this.prongs[j - 1]! as Prongs, k.pt, k.m, k.tau3);
      out.setSubstructure(j, i, s.msd, s.tau4, s.npf, s.lsf3);
    }
  }

  /** A three-prong daughter: tau21 and tau32 from generator-substructure.ts, tau1 kept. */
  private threeProng(out: JetColumns, j: number, i: number): void {
    const t = threeProngTaus(this.sub);
    const tau1 = out.kinematics(j, i).tau1;
    out.setTaus(j, i, tau1, t.tau21 * tau1, t.tau32 * t.tau21 * tau1);
  }

  /** QCD dijet event. Hot: locals only, no allocation. */
  private backgroundEvent(out: JetColumns, i: number): void {
    const rng = this.bkg;
    const cal = this.cal;
    const mjj = this.spectrum.sample(rng);
    // chi = exp|dy| flat; cosh(dy) and the jets' sinh(y) follow from chi and exp(yb) without hyperbolic calls.
    const chi = 1 + rng.uniform() * (this.chiMax - 1);
    const halfDy = 0.5 * Math.log(chi);
    // Dijet boost, truncated so that both jets stay inside the acceptance.
    const maxBoost = cal.maxRapidity - halfDy;
    let yb = cal.boostSigma * rng.normal();
    while (yb > maxBoost || yb < -maxBoost) yb = cal.boostSigma * rng.normal();
    // Data m/pT: what tau21 is drawn from (simulation mismodels the jet mass, not the tau21 | m/pT table).
    const rho1d = quantileLookup(this.rhoTable, rng.uniform());
    const rho2d = quantileLookup(this.rhoTable, rng.uniform());
    const sim = this.mode === 'simulation';
    const rho1 = sim ? mismodelledRho(rho1d, this.rhoMedian) : rho1d;
    const rho2 = sim ? mismodelledRho(rho2d, this.rhoMedian) : rho2d;
    let imb = cal.ptImbalanceMean * rng.exponential();
    if (imb > 0.5) imb = 0.5;
    const r = 1 - imb;
    const delta = Math.abs(cal.acoplanaritySigma * rng.normal());
    const dphi = Math.PI - delta;
    // cos(dphi) = -cos(delta); for delta < 0.25 rad the 6th-order series is exact to 1e-10.
    const d2 = delta * delta;
    const cosDphi = delta < 0.25 ? -(1 - 0.5 * d2 * (1 - (d2 / 12) * (1 - d2 / 30))) : -Math.cos(delta);
    const coshDy = 0.5 * (chi + 1 / chi);
    let pt1 = leadingJetPt(mjj, rho1, rho2, r, coshDy, cosDphi);
    // The jets' m/pT as written; the shifted-feature test makes m = rho pT' + k mjj at the event's own pT'
    // (the fixed point of rho' = rho + k mjj / pT(rho')).
    let rhoJ1 = rho1,
      rhoJ2 = rho2;
    const k = this.massShift;
    if (k > 0)
      for (let it = 0; it < MASS_SHIFT_ITERATIONS; it++) {
        rhoJ1 = rho1 + (k * mjj) / pt1;
        rhoJ2 = rho2 + (k * mjj) / (r * pt1);
        pt1 = leadingJetPt(mjj, rhoJ1, rhoJ2, r, coshDy, cosDphi);
      }
    const pt2 = r * pt1;
    const s1 = Math.sqrt(1 + rhoJ1 * rhoJ1),
      s2 = Math.sqrt(1 + rhoJ2 * rhoJ2);
    const sqrtChi = Math.sqrt(chi);
    const eyb = Math.exp(yb);
    const forward = rng.uniform() < 0.5;
    const ey1 = forward ? eyb * sqrtChi : eyb / sqrtChi;
    const ey2 = forward ? eyb / sqrtChi : eyb * sqrtChi;
    let phi1 = TWO_PI * rng.uniform() - Math.PI;
    let phi2 = phi1 + (rng.uniform() < 0.5 ? dphi : -dphi);
    if (phi2 >= Math.PI) phi2 -= TWO_PI;
    else if (phi2 < -Math.PI) phi2 += TWO_PI;
    if (phi1 >= Math.PI) phi1 -= TWO_PI;
    // pseudorapidity from rapidity: pz = mT sinh y, so sinh(eta) = sqrt(1 + rho^2) sinh(y).
    out.setJet(1, i, pt1, Math.asinh(s1 * 0.5 * (ey1 - 1 / ey1)), phi1, rhoJ1 * pt1);
    out.setJet(2, i, pt2, Math.asinh(s2 * 0.5 * (ey2 - 1 / ey2)), phi2, rhoJ2 * pt2);
    let t21a = this.tau21Qcd(rng, rho1d);
    let t21b = this.tau21Qcd(rng, rho2d);
    if (sim) {
      t21a = mismodelledTau21(t21a);
      t21b = mismodelledTau21(t21b);
    }
    this.writeTaus(out, 1, i, rng, rho1, t21a, false);
    this.writeTaus(out, 2, i, rng, rho2, t21b, false);
    this.prongs[0] = 1;
    this.prongs[1] = 1;
  }

  /** Reconstructed mass of a resonance daughter: core resolution, soft radiation `extra` (GeV) added in
   *  quadrature, or, when a prong is lost outside the jet, a fraction of the true mass. */
  private daughterMass(rng: Xoshiro128, mTrue: number, width: number, extra: number, lost: boolean): number {
    if (lost) return mTrue * (0.15 + 0.6 * rng.uniform());
    let m = mTrue + width * rng.normal();
    if (m < 1) m = 1;
    return Math.sqrt(m * m + extra * extra);
  }

  /** tau21 of a daughter jet. Soft radiation that raises the jet mass also fills in the two-prong structure:
   *  with probability `radiationCopula` the quantile is the radiation's own CDF value (1 - e^-eps), otherwise a
   *  fresh uniform; the mixture keeps the calibrated tau21 distribution while giving the positive
   *  mass-tau21 correlation of the LHCO signal's lighter jet. */
  private daughterTau21(rng: Xoshiro128, rhoTrue: number, rhoReco: number, eps: number, lost: boolean): number {
    if (lost) return this.tau21Qcd(rng, rhoReco);
    const u = rng.uniform() < this.cal.signalTau21RadiationCopula ? 1 - Math.exp(-eps) : rng.uniform();
    return this.tau21TwoProng(u, rhoTrue);
  }

  /** Resonance A -> B C event. */
  private signalEvent(out: JetColumns, i: number, res: Resonance): void {
    const rng = this.sig;
    const cal = this.cal;
    const sm = cal.signalMass;
    let mA: number;
    const branch = rng.uniform();
    if (branch < sm.tailFraction) {
      // Low tail from radiation lost out of the jets, truncated at half the resonance mass.
      let x: number;
      do x = 1 - sm.tailSigma * Math.abs(rng.normal());
      while (x < 0.5);
      mA = res.mA * x;
    } else if (branch < sm.tailFraction + sm.wideFraction) {
      // Poorly measured events (jet energy mismeasurement, extra jets): a wide symmetric component.
      mA = res.mA * (1 + sm.wideSigma * rng.normal());
    } else {
      mA = res.mA + res.wA * rng.normal();
    }
    // Polar angle from sin^2(theta*): invert F(c) = (3c - c^3 + 2) / 4 (trigonometric root of the cubic).
    // The requested events are those recorded, so the decay is redrawn until both daughters can sit inside the
    // rapidity acceptance (their rapidity gap, with the true masses, leaves room for the boost).
    const pStarTrue = twoBodyMomentum(res.mA, res.mB, res.mC);
    const eBTrue = Math.sqrt(pStarTrue * pStarTrue + res.mB * res.mB),
      eCTrue = Math.sqrt(pStarTrue * pStarTrue + res.mC * res.mC);
    const maxGap = 2 * cal.maxRapidity - 0.1;
    let cosT: number;
    for (;;) {
      const v = 4 * rng.uniform() - 2;
      cosT = 2 * Math.cos(Math.acos(-0.5 * v) / 3 + (4 * Math.PI) / 3);
      const pz0 = pStarTrue * cosT;
      if (Math.abs(Math.atanh(pz0 / eBTrue) + Math.atanh(pz0 / eCTrue)) < maxGap) break;
    }
    const sinT = Math.sqrt(Math.max(0, 1 - cosT * cosT));
    const phiStar = TWO_PI * rng.uniform();
    // Daughter pT estimate from the true masses, for the pT-dependent radiation term of the jet masses.
    const ptEst = pStarTrue * sinT;
    const lostFrac = cal.signalJetMass.lostProngFraction;
    // A prong falls outside the jet more often the wider the daughter's opening angle (~ 2 m / pT).
    const lostB = rng.uniform() < Math.min(0.5, (lostFrac * res.mB) / (LOST_PRONG_RHO * ptEst));
    const lostC = rng.uniform() < Math.min(0.5, (lostFrac * res.mC) / (LOST_PRONG_RHO * ptEst));
    const radiation = ptEst * cal.signalJetMass.radiation;
    const epsB = rng.exponential(),
      epsC = rng.exponential();
    const mB0 = this.daughterMass(rng, res.mB, res.wB, radiation * epsB, lostB);
    const mC0 = this.daughterMass(rng, res.mC, res.wC, radiation * epsC, lostC);
    // The shifted-feature test: the daughters' masses grow by k mA before the decay, so mA is kept.
    const mB = mB0 + this.massShift * mA,
      mC = mC0 + this.massShift * mA;
    if (mA < mB + mC + 1) mA = mB + mC + 1;
    const p = twoBodyMomentum(mA, mB, mC);
    // Daughter B along (theta*, phi*) in the A rest frame, C opposite.
    const px = p * sinT * Math.cos(phiStar),
      py = p * sinT * Math.sin(phiStar),
      pz = p * cosT;
    const eB = Math.sqrt(p * p + mB * mB),
      eC = Math.sqrt(p * p + mC * mC);
    // Transverse kick of the resonance (initial-state radiation): boost along a random transverse direction.
    const ptA = mA * cal.ptImbalanceMean * 0.5 * rng.exponential();
    const phiA = TWO_PI * rng.uniform();
    const eA = Math.sqrt(mA * mA + ptA * ptA);
    const bx = (ptA / eA) * Math.cos(phiA),
      by = (ptA / eA) * Math.sin(phiA);
    const b2 = bx * bx + by * by;
    const gamma = eA / mA;
    const k = b2 > 0 ? (gamma - 1) / b2 : 0;
    // Boost B (+p) and C (-p).
    const bpB = bx * px + by * py;
    const pxB = px + k * bpB * bx + gamma * bx * eB;
    const pyB = py + k * bpB * by + gamma * by * eB;
    const eBl = gamma * (eB + bpB);
    const pxC = -px - k * bpB * bx + gamma * bx * eC;
    const pyC = -py - k * bpB * by + gamma * by * eC;
    const eCl = gamma * (eC - bpB);
    const ptB = Math.sqrt(pxB * pxB + pyB * pyB),
      ptC = Math.sqrt(pxC * pxC + pyC * pyC);
    // Longitudinal boost: rapidities shift by yb, truncated so both jets stay in the acceptance when possible.
    const yBs = 0.5 * Math.log((eBl + pz) / (eBl - pz));
    const yCs = 0.5 * Math.log((eCl - pz) / (eCl + pz));
    const lo = -cal.maxRapidity - Math.min(yBs, yCs),
      hi = cal.maxRapidity - Math.max(yBs, yCs);
    let yb = cal.boostSigma * rng.normal();
    if (lo >= hi) yb = -0.5 * (yBs + yCs);
    else if (lo > 0 || hi < 0) yb = lo + (hi - lo) * rng.uniform();
    else while (yb < lo || yb > hi) yb = cal.boostSigma * rng.normal();
    const yB = yBs + yb,
      yC = yCs + yb;
    const etaB = Math.asinh((Math.sqrt(ptB * ptB + mB * mB) * Math.sinh(yB)) / ptB);
    const etaC = Math.asinh((Math.sqrt(ptC * ptC + mC * mC) * Math.sinh(yC)) / ptC);
    const phiB = Math.atan2(pyB, pxB),
      phiC = Math.atan2(pyC, pxC);
    // Substructure follows the unshifted masses (the shift moves the masses only).
    const rhoB = mB0 / ptB,
      rhoC = mC0 / ptC;
    const t21B = this.daughterTau21(rng, res.mB / ptB, rhoB, epsB, lostB);
    const t21C = this.daughterTau21(rng, res.mC / ptC, rhoC, epsC, lostC);
    const bFirst = ptB >= ptC;
    out.setJet(bFirst ? 1 : 2, i, ptB, etaB, phiB, mB);
    out.setJet(bFirst ? 2 : 1, i, ptC, etaC, phiC, mC);
    this.writeTaus(out, bFirst ? 1 : 2, i, rng, rhoB, t21B, !lostB);
    this.writeTaus(out, bFirst ? 2 : 1, i, rng, rhoC, t21C, !lostC);
    const jB = bFirst ? 1 : 2,
      jC = bFirst ? 2 : 1;
    const pB: Prongs = lostB ? 1 : res.pB,
      pC: Prongs = lostC ? 1 : res.pC;
    if (pB === 3) this.threeProng(out, jB, i);
    if (pC === 3) this.threeProng(out, jC, i);
    this.prongs[jB - 1] = pB;
    this.prongs[jC - 1] = pC;
  }
}

/**
 * Leading-jet pT of a dijet of mass mjj: mjj^2 = m1^2 + m2^2 + 2 (mT1 mT2 cosh dy - pT1 pT2 cos dphi) with
 * m_i = rho_i pT_i and pT2 = r pT1; every term scales with pT1^2, so pT1 = mjj / sqrt(K).
 */
function leadingJetPt(mjj: number, rho1: number, rho2: number, r: number, coshDy: number, cosDphi: number): number {
  const s1 = Math.sqrt(1 + rho1 * rho1),
    s2 = Math.sqrt(1 + rho2 * rho2);
  const K = rho1 * rho1 + r * r * rho2 * rho2 + 2 * r * (s1 * s2 * coshDy - cosDphi);
  return mjj / Math.sqrt(K);
}

/** Momentum of either daughter in the rest frame of a two-body decay M -> m1 m2. */
function twoBodyMomentum(M: number, m1: number, m2: number): number {
  const a = M * M - (m1 + m2) * (m1 + m2);
  const b = M * M - (m1 - m2) * (m1 - m2);
  return a > 0 ? Math.sqrt(a * b) / (2 * M) : 0;
}

/** Column writer for one batch: typed arrays looked up once, mjj recomputed from the float32 values. */
class JetColumns {
  private readonly pt: [Float32Array, Float32Array];
  private readonly eta: [Float32Array, Float32Array];
  private readonly phi: [Float32Array, Float32Array];
  private readonly m: [Float32Array, Float32Array];
  private readonly t1: [Float32Array, Float32Array];
  private readonly t2: [Float32Array, Float32Array];
  private readonly t3: [Float32Array, Float32Array];
  private readonly mjj: Float32Array;
  private readonly sub?: { msd: Float32Array[]; tau4: Float32Array[]; npf: Float32Array[]; lsf3: Float32Array[] };

  constructor(cols: Record<string, Float32Array>) {
    const two = (n: string): [Float32Array, Float32Array] => [cols[`jet1_${n}`]!, cols[`jet2_${n}`]!];
    this.pt = two('pt');
    this.eta = two('eta');
    this.phi = two('phi');
    this.m = two('m');
    this.t1 = two('tau1');
    this.t2 = two('tau2');
    this.t3 = two('tau3');
    this.mjj = cols.mjj!;
    if (cols.jet1_msd) {
      const both = (n: string) => [cols[`jet1_${n}`]!, cols[`jet2_${n}`]!];
      this.sub = { msd: both('msd'), tau4: both('tau4'), npf: both('npf'), lsf3: both('lsf3') };
    }
  }

  /** What the substructure of jet j of event i is drawn from (the stored float32 values). */
  kinematics(j: number, i: number): { pt: number; m: number; tau1: number; tau3: number } {
    const k = j - 1;
    return { pt: this.pt[k]![i]!, m: this.m[k]![i]!, tau1: this.t1[k]![i]!, tau3: this.t3[k]![i]! };
  }

  setSubstructure(j: number, i: number, msd: number, tau4: number, npf: number, lsf3: number): void {
    const k = j - 1,
      s = this.sub!;
    s.msd[k]![i] = msd;
    s.tau4[k]![i] = tau4;
    s.npf[k]![i] = npf;
    s.lsf3[k]![i] = lsf3;
  }

  setJet(j: number, i: number, pt: number, eta: number, phi: number, m: number): void {
    const k = j - 1;
    this.pt[k]![i] = pt;
    this.eta[k]![i] = eta;
    this.phi[k]![i] = phi;
    this.m[k]![i] = m;
  }

  setTaus(j: number, i: number, tau1: number, tau2: number, tau3: number): void {
    const k = j - 1;
    this.t1[k]![i] = tau1;
    this.t2[k]![i] = tau2;
    this.t3[k]![i] = tau3;
  }

  /** mjj from the stored (rounded) four-vectors, so the column and a recomputation agree exactly. */
  finish(i: number): void {
    const [pa, pb] = this.pt,
      [ea, eb] = this.eta,
      [fa, fb] = this.phi,
      [ma, mb] = this.m;
    this.mjj[i] = dijetMass(pa[i]!, ea[i]!, fa[i]!, ma[i]!, pb[i]!, eb[i]!, fb[i]!, mb[i]!);
  }
}

/** The generator as a Source: batches of `batchSize` events (default 65536) until `events` are produced. */
export class GeneratorSource implements Source {
  readonly description: string;
  private readonly opts: GeneratorOptions;

  constructor(opts: GeneratorOptions) {
    this.opts = opts;
    // Validate eagerly so a bad option fails at construction, not at the first batch.
    const probe = new EventGenerator(opts);
    const prong = (p?: number) => (p === 3 ? '[3-prong]' : '');
    const sig = probe.signals
      .map((s) => `A(${s.mA})->B(${s.mB})${prong(s.prongsB)}C(${s.mC})${prong(s.prongsC)} x${s.n}`)
      .join(', ');
    this.description = `generator: ${opts.events} events, seed ${opts.seed}, mjj ${probe.mjjMin}-${probe.mjjMax} GeV${sig ? `, signal ${sig}` : ''}${probe.substructure ? ', CMS 2024 substructure' : ''}${probe.mode === 'simulation' ? ', simulation (mismodelled QCD jet mass and tau21)' : ''}${probe.massShift > 0 ? `, jet masses shifted by ${probe.massShift} mjj` : ''}`;
    const bs = opts.batchSize ?? 65536;
    if (!(Number.isInteger(bs) && bs > 0))
      throw new SidebandError(`generator: batchSize must be a positive integer (got ${bs})`);
    if (opts.trigger) {
      validateTrigger(opts.trigger);
      const t = opts.trigger;
      const parts = [
        ...(t.leadingJetPt ? [`leading jet pT > ${t.leadingJetPt} GeV`] : []),
        ...(t.mjjEfficiency ? [`mjj efficiency 50 % at ${t.mjjEfficiency.m50} GeV`] : []),
      ];
      if (parts.length) this.description += `, trigger ${parts.join(', ')}`;
    }
  }

  async *batches(signal?: AbortSignal): AsyncIterable<EventBatch> {
    const gen = new EventGenerator(this.opts);
    const bs = this.opts.batchSize ?? 65536;
    const trigger = this.opts.trigger ? new TriggerFilter(this.opts.trigger, this.opts.seed) : undefined;
    while (gen.remaining > 0) {
      if (signal?.aborted) return;
      const batch = gen.next(bs);
      yield trigger ? trigger.apply(batch) : batch;
    }
  }
}
