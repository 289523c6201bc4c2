/**
 * Jets + missing-transverse-energy channel (seed 004 §III): the data stream of a (mono)jet + MET search with its
 * data-driven control process, as a Source. Three processes, interleaved uniformly at random in one stream:
 *
 *  - background, Z(νν) + jets: MET = pT of the invisible Z, drawn from a power law dN/dMET ∝ MET^-k above the
 *    trigger; the leading (large-R) jet recoils against it, pT(j1) = MET · r with a Gaussian response r;
 *  - control, γ + jets: the close but imperfect proxy the seed uses. The photon is "deleted" and its pT put into
 *    the MET, so `met` holds the recoil and `photon_pt` > 0 marks the event; the boson spectrum is a little
 *    harder (k_γ < k), and the recoiling jet is a little lighter and a little more two-prong-like (a different
 *    quark/gluon mix), so p(x | MET) of the proxy differs from that of Z(νν) + jets by a few per cent;
 *  - signal, Z' → X Y with X → qqq in one large-R jet and Y invisible (mA, mB, mC of the resonance spec are
 *    m_Z', m_X, m_Y): MET is the pT of Y, the leading jet is X with three-prong substructure (low τ32).
 *
 * QCD jet substructure: the jet mass is m = ρ · pT with ln ρ Gaussian (a mean falling slowly with pT), so the
 * jet mass scales with pT and hence with MET, the correlation that the CONRAD flow removes; τ21 and τ32 are
 * Gaussian with means rising with ρ and a slow pT drift. τ1 = ρ · c (log-normal c), τ2 = τ21 τ1, τ3 = τ32 τ2, so the
 * derived jet1_tau21 and jet1_tau32 are exactly the drawn ratios. Every constant is in MONOJET_MODEL below and in
 * docs/calibration/monojet.md; they are chosen to resemble seed 004's Fig. 2, not fitted to data.
 *
 * Trigger (seed 004: pT(j1) > 500 GeV and MET > 700 GeV): every process is drawn from its distribution truncated
 * to the trigger (rejection), so every event of the stream is a recorded event and the counts are exact.
 *
 * Counting: `events` is the stream length; `controlFraction` of it (rounded) is γ + jets; the signal events
 * (sum of n) replace Z(νν) + jets events. Determinism: four xoshiro128** streams per seed (placement, background,
 * control, signal) consumed event by event, so the stream is identical for every batch size.
 */
import type { EventBatch } from '../events/batch.js';
import { SidebandError } from '../events/errors.js';
import type { ResonanceSpec } from './generator.js';
import { Xoshiro128 } from './generator-random.js';
import type { Source } from './source.js';

export const MONOJET_COLUMNS = [
  'met',
  'jet1_pt',
  'jet1_eta',
  'jet1_phi',
  'jet1_m',
  'jet1_tau1',
  'jet1_tau2',
  'jet1_tau3',
  'photon_pt',
] as const;

/** Every constant of the channel (GeV where dimensioned); documented in docs/calibration/monojet.md. */
export const MONOJET_MODEL = {
  trigger: { met: 700, jetPt: 500 },
  /** Highest MET drawn (the power law is truncated there). */
  metMax: 4000,
  /** Power-law index of Z(νν) + jets: P(MET > 1000 | MET > 700) = 0.7^(k-1) ≈ 12.9 %, seed 004's 90k of 700k. */
  backgroundIndex: 6.74,
  /** Recoil response of the leading jet: r = 1 + responseSigma · N(0,1). */
  responseSigma: 0.08,
  jetEtaSigma: 1.0,
  jetEtaMax: 2.4,
  qcd: {
    /** ln ρ ~ N(ln rho0 + rhoSlope ln(pT/1000), lnRhoSigma). */
    rho0: 0.09,
    rhoSlope: -0.1,
    lnRhoSigma: 0.5,
    /** τ21 ~ N(tau21Mean + tau21PerRho (ρ - rho0) + tau21PerLnPt ln(pT/1000), tau21Sigma). */
    tau21Mean: 0.6,
    tau21PerRho: 0.6,
    tau21PerLnPt: 0.03,
    tau21Sigma: 0.12,
    tau32Mean: 0.72,
    tau32PerRho: 0.25,
    tau32Sigma: 0.09,
  },
  /** γ + jets: harder boson spectrum, jet mass scale and τ21 offset relative to Z(νν) + jets. */
  control: { index: 6.4, rhoScale: 0.98, tau21Shift: -0.01 },
  /** τ1 = ρ · c, c log-normal (median, log sigma). */
  tau1PerRho: { median: 2.2, logSigma: 0.25 },
  signal: {
    /** Z' transverse kick from initial-state radiation: pT ~ Exp(kick · mA). */
    kick: 0.05,
    metResolution: 0.05,
    jetPtResolution: 0.05,
    /** X mass resolution (fraction of mB) and soft radiation (GeV per GeV of jet pT, exponential). */
    massResolution: 0.15,
    radiation: 0.05,
    /** A prong outside the large-R jet: the jet keeps 30-80 % of the mass and looks QCD-like. */
    lostProng: 0.3,
    tau21Mean: 0.6,
    tau21Sigma: 0.1,
    tau32Mean: 0.64,
    tau32Sigma: 0.1,
  },
} as const;

export interface MonojetOptions {
  /** Events in the stream (Z(νν) + jets + γ + jets + signal). */
  events: number;
  seed: number;
  /** Fraction of the stream that is γ + jets control (default 0.5). */
  controlFraction?: number;
  /** Z' → X(qqq) Y(invisible): mA = m_Z', mB = m_X, mC = m_Y, n exact. */
  signals?: ResonanceSpec[];
  batchSize?: number;
}

const TWO_PI = 2 * Math.PI;
const { abs, cos, exp, log, max, min, sin, sqrt } = Math;

/** Inverse CDF of a power law x^-k on [lo, hi] (k > 1). */
function powerLaw(u: number, k: number, lo: number, hi: number): number {
  const a = lo ** (1 - k),
    b = hi ** (1 - k);
  return (a + u * (b - a)) ** (1 / (1 - k));
}

/** Momentum of either daughter in the rest frame of M → m1 m2. */
function twoBody(M: number, m1: number, m2: number): number {
  const a = M * M - (m1 + m2) * (m1 + m2);
  const b = M * M - (m1 - m2) * (m1 - m2);
  return a > 0 ? sqrt(a * b) / (2 * M) : 0;
}

const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/** Synchronous core of the channel: fills columnar batches. */
export class MonojetGenerator {
  readonly total: number;
  readonly seed: number;
  readonly nControl: number;
  readonly signals: ResonanceSpec[];
  private readonly placement: Xoshiro128;
  private readonly bkg: Xoshiro128;
  private readonly ctl: Xoshiro128;
  private readonly sig: Xoshiro128;
  private left: [number, number, number];
  private readonly perSignal: number[];
  private produced = 0;

  constructor(o: MonojetOptions) {
    if (!(Number.isInteger(o.events) && o.events >= 0))
      throw new SidebandError(`generator (monojet): events must be a non-negative integer (got ${o.events})`);
    if (!Number.isInteger(o.seed))
      throw new SidebandError(`generator (monojet): seed must be an integer (got ${o.seed})`);
    const f = o.controlFraction ?? 0.5;
    if (!(f >= 0 && f < 1))
      throw new SidebandError(`generator (monojet): controlFraction must be in [0, 1) (got ${o.controlFraction})`);
    this.total = o.events;
    this.seed = o.seed;
    this.signals = (o.signals ?? []).map((s) => ({ ...s }));
    for (const [i, s] of this.signals.entries()) {
      if (!(s.mB > 0 && s.mC > 0 && s.mA > s.mB + s.mC))
        throw new SidebandError(`generator (monojet): signal #${i + 1} needs mA > mB + mC > 0 (Z' -> X Y)`);
      if (!(Number.isInteger(s.n) && s.n >= 0))
        throw new SidebandError(`generator (monojet): signal #${i + 1} n must be a non-negative integer`);
      // The X jet must be able to pass the trigger: its largest pT is the decay momentum plus the kick.
      if (twoBody(s.mA, s.mB, s.mC) * 1.3 < MONOJET_MODEL.trigger.met)
        throw new SidebandError(
          `generator (monojet): signal #${i + 1} (mA ${s.mA}) is too light to pass MET > ${MONOJET_MODEL.trigger.met} GeV`,
        );
    }
    this.nControl = Math.round(f * o.events);
    const nSignal = this.signals.reduce((a, s) => a + s.n, 0);
    if (nSignal + this.nControl > o.events)
      throw new SidebandError(
        `generator (monojet): ${nSignal} signal + ${this.nControl} control events exceed the ${o.events} events in total`,
      );
    this.left = [o.events - this.nControl - nSignal, this.nControl, nSignal];
    this.perSignal = this.signals.map((s) => s.n);
    this.placement = new Xoshiro128(o.seed, 10);
    this.bkg = new Xoshiro128(o.seed, 11);
    this.ctl = new Xoshiro128(o.seed, 12);
    this.sig = new Xoshiro128(o.seed, 13);
  }

  get remaining(): number {
    return this.total - this.produced;
  }

  /** The next min(n, remaining) events. */
  next(n: number): EventBatch {
    const len = min(n, this.remaining);
    const cols: Record<string, Float32Array> = {};
    for (const c of MONOJET_COLUMNS) cols[c] = new Float32Array(len);
    const label = new Uint8Array(len);
    const out = new MonojetColumns(cols);
    const rowStart = this.produced;
    const left = this.left;
    for (let i = 0; i < len; i++) {
      // Selection sampling over the three processes: exact counts, uniform placement.
      let u = this.placement.uniform() * (left[0] + left[1] + left[2]);
      let k = 0;
      if (u >= left[0]) {
        u -= left[0];
        k = u >= left[1] ? 2 : 1;
      }
      while (left[k] === 0) k = (k + 1) % 3;
      left[k as 0 | 1 | 2]--;
      if (k === 0) this.qcdEvent(out, i, this.bkg, false);
      else if (k === 1) this.qcdEvent(out, i, this.ctl, true);
      else {
        this.signalEvent(out, i, this.pickSignal());
        label[i] = 1;
      }
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

  private pickSignal(): ResonanceSpec {
    const per = this.perSignal;
    let total = 0;
    for (const v of per) total += v;
    let pick = this.placement.uniform() * total;
    let r = 0;
    for (; r < per.length - 1; r++) {
      pick -= per[r]!;
      if (pick < 0 && per[r]! > 0) break;
    }
    while (per[r] === 0) r++;
    per[r]!--;
    return this.signals[r]!;
  }

  /** Jet direction (eta truncated to the tracker, phi uniform). */
  private direction(rng: Xoshiro128, out: MonojetColumns, i: number): void {
    const M = MONOJET_MODEL;
    let eta = M.jetEtaSigma * rng.normal();
    while (abs(eta) > M.jetEtaMax) eta = M.jetEtaSigma * rng.normal();
    out.eta[i] = eta;
    out.phi[i] = TWO_PI * rng.uniform() - Math.PI;
  }

  /** τ1, τ2, τ3 from ρ and the drawn ratios. */
  private taus(rng: Xoshiro128, out: MonojetColumns, i: number, rho: number, t21: number, t32: number): void {
    const c = MONOJET_MODEL.tau1PerRho;
    const tau1 = min(0.95, rho * c.median * exp(c.logSigma * rng.normal()));
    const tau2 = clamp(t21, 0.02, 0.99) * tau1;
    out.t1[i] = tau1;
    out.t2[i] = tau2;
    out.t3[i] = clamp(t32, 0.05, 0.99) * tau2;
  }

  /** A QCD jet of this pT: mass and substructure (`control` applies the proxy's differences). Hot. */
  private qcdJet(rng: Xoshiro128, out: MonojetColumns, i: number, pt: number, control: boolean): void {
    const q = MONOJET_MODEL.qcd;
    const cm = MONOJET_MODEL.control;
    const lnPt = log(pt / 1000);
    let rho = q.rho0 * exp(q.rhoSlope * lnPt + q.lnRhoSigma * rng.normal());
    if (control) rho *= cm.rhoScale;
    rho = min(rho, 0.6);
    out.m[i] = rho * pt;
    const t21 = q.tau21Mean + q.tau21PerRho * (rho - q.rho0) + q.tau21PerLnPt * lnPt + q.tau21Sigma * rng.normal();
    const t32 = q.tau32Mean + q.tau32PerRho * (rho - q.rho0) + q.tau32Sigma * rng.normal();
    this.taus(rng, out, i, rho, control ? t21 + cm.tau21Shift : t21, t32);
  }

  /** Z(νν) + jets (control = false) or γ + jets with the photon in the MET (control = true). */
  private qcdEvent(out: MonojetColumns, i: number, rng: Xoshiro128, control: boolean): void {
    const M = MONOJET_MODEL;
    const k = control ? M.control.index : M.backgroundIndex;
    const met = powerLaw(rng.uniform(), k, M.trigger.met, M.metMax);
    let pt: number;
    do pt = met * (1 + M.responseSigma * rng.normal());
    while (pt < M.trigger.jetPt);
    out.met[i] = met;
    out.pt[i] = pt;
    out.photon[i] = control ? met : 0;
    this.direction(rng, out, i);
    this.qcdJet(rng, out, i, pt, control);
  }

  /** Z' → X(qqq) Y(inv), redrawn until it passes the trigger. */
  private signalEvent(out: MonojetColumns, i: number, s: ResonanceSpec): void {
    const rng = this.sig;
    const M = MONOJET_MODEL;
    const S = M.signal;
    const p = twoBody(s.mA, s.mB, s.mC);
    const eX = sqrt(p * p + s.mB * s.mB),
      eY = sqrt(p * p + s.mC * s.mC);
    let met = 0,
      pt = 0;
    for (;;) {
      // sin^2(theta*) polar distribution (vector -> two scalars), as the dijet generator's resonances.
      const v = 4 * rng.uniform() - 2;
      const cosT = 2 * cos(Math.acos(-0.5 * v) / 3 + (4 * Math.PI) / 3);
      const pT = p * sqrt(max(0, 1 - cosT * cosT));
      const phi = TWO_PI * rng.uniform();
      // ISR kick of the Z', shared by the daughters in proportion to their energies.
      const kick = S.kick * s.mA * rng.exponential();
      const phiK = TWO_PI * rng.uniform();
      const fX = eX / (eX + eY);
      const kx = kick * cos(phiK),
        ky = kick * sin(phiK);
      const xx = pT * cos(phi) + fX * kx,
        xy = pT * sin(phi) + fX * ky;
      const yx = -pT * cos(phi) + (1 - fX) * kx,
        yy = -pT * sin(phi) + (1 - fX) * ky;
      met = sqrt(yx * yx + yy * yy) * (1 + S.metResolution * rng.normal());
      pt = sqrt(xx * xx + xy * xy) * (1 + S.jetPtResolution * rng.normal());
      if (met > M.trigger.met && met < M.metMax && pt > M.trigger.jetPt) break;
    }
    out.met[i] = met;
    out.pt[i] = pt;
    out.photon[i] = 0;
    this.direction(rng, out, i);
    if (rng.uniform() < S.lostProng) {
      // A prong outside the jet: part of the mass, QCD-like substructure.
      const m = s.mB * (0.3 + 0.5 * rng.uniform());
      const rho = m / pt;
      out.m[i] = m;
      const q = M.qcd;
      this.taus(
        rng,
        out,
        i,
        rho,
        q.tau21Mean + q.tau21PerRho * (rho - q.rho0) + q.tau21Sigma * rng.normal(),
        q.tau32Mean + q.tau32Sigma * rng.normal(),
      );
      return;
    }
    const core = s.mB * (1 + S.massResolution * rng.normal());
    const rad = S.radiation * pt * rng.exponential();
    const m = sqrt(max(1, core) ** 2 + rad * rad);
    out.m[i] = m;
    this.taus(
      rng,
      out,
      i,
      m / pt,
      S.tau21Mean + S.tau21Sigma * rng.normal(),
      S.tau32Mean + S.tau32Sigma * rng.normal(),
    );
  }
}

/** The batch's columns, looked up once. */
class MonojetColumns {
  readonly met: Float32Array;
  readonly pt: Float32Array;
  readonly eta: Float32Array;
  readonly phi: Float32Array;
  readonly m: Float32Array;
  readonly t1: Float32Array;
  readonly t2: Float32Array;
  readonly t3: Float32Array;
  readonly photon: Float32Array;
  constructor(c: Record<string, Float32Array>) {
    this.met = c.met!;
    this.pt = c.jet1_pt!;
    this.eta = c.jet1_eta!;
    this.phi = c.jet1_phi!;
    this.m = c.jet1_m!;
    this.t1 = c.jet1_tau1!;
    this.t2 = c.jet1_tau2!;
    this.t3 = c.jet1_tau3!;
    this.photon = c.photon_pt!;
  }
}

/** The channel as a Source: batches of `batchSize` (default 65536) events. */
export class MonojetSource implements Source {
  readonly description: string;
  constructor(private readonly opts: MonojetOptions) {
    const probe = new MonojetGenerator(opts);
    const bs = opts.batchSize ?? 65536;
    if (!(Number.isInteger(bs) && bs > 0))
      throw new SidebandError(`generator (monojet): batchSize must be a positive integer (got ${bs})`);
    const sig = probe.signals.map((s) => `Z'(${s.mA})->X(${s.mB})Y(${s.mC}, invisible) x${s.n}`).join(', ');
    this.description =
      `generator (monojet): ${opts.events} events (${probe.nControl} gamma+jets control), seed ${opts.seed}, ` +
      `MET > ${MONOJET_MODEL.trigger.met} GeV, pT(j1) > ${MONOJET_MODEL.trigger.jetPt} GeV${sig ? `, signal ${sig}` : ''}`;
  }

  async *batches(signal?: AbortSignal): AsyncIterable<EventBatch> {
    const gen = new MonojetGenerator(this.opts);
    const bs = this.opts.batchSize ?? 65536;
    while (gen.remaining > 0) {
      if (signal?.aborted) return;
      yield gen.next(bs);
    }
  }
}
