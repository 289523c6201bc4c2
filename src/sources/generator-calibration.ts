/**
 * Calibration constants of the event generator, each derived from real data by `node dist/bench/calibration.js
 * --fit` (which prints this object) and checked by test/sources/generator-calibration.test.ts:
 *  - dijet: the dijet function fitted to ATLAS's own per-bin fit of the 139 fb^-1 spectrum (arXiv:1910.08447);
 *  - rhoQuantiles, tau21Qcd: QCD jet m/pT and tau21 | m/pT, tuned so that in 3.3-3.7 TeV (leading jet
 *    pT > 1.2 TeV, the LHCO R&D trigger) the lighter-jet mass, the mass difference and both tau21 match the
 *    LHCO R&D background;
 *  - signal*: resonance line shape, jet-mass resolution and two-prong tau21, tuned to the LHCO R&D signal
 *    (W' 3.5 TeV -> X(500) Y(100)).
 * Constants marked "assumed" have no observable in the shared data to calibrate against.
 */
export interface GeneratorCalibration {
  /** ln f(x) = c0 + c1 ln(1-x) + c2 ln x + c3 ln^2 x, x = mjj / 13 TeV. */
  dijet: number[];
  /** Largest |y1 - y2| generated; chi = exp|dy| is flat (Rutherford-like t-channel QCD). Assumed. */
  maxDeltaY: number;
  /** Jets are kept at |y| < this (detector acceptance; LHCO R&D uses |eta| < 2.5). */
  maxRapidity: number;
  /** Width of the Gaussian dijet boost y_B = (y1 + y2) / 2. Assumed. */
  boostSigma: number;
  /** Mean of the exponential pT asymmetry 1 - pT2/pT1 from extra radiation. Assumed. */
  ptImbalanceMean: number;
  /** Width of the Gaussian acoplanarity pi - |dphi|. Assumed. */
  acoplanaritySigma: number;
  /** Quantiles of the QCD jet m/pT at u = k / (n - 1). */
  rhoQuantiles: number[];
  /** tau21 of QCD jets: quantiles at u = k / (n - 1) in bins of m/pT (edges, bins.length = edges.length - 1). */
  tau21Qcd: { rhoEdges: number[]; quantiles: number[][] };
  /** tau1 / (m/pT) is log-normal with this median and log-width. Assumed (no tau1 in the shared data). */
  tau1PerRho: { median: number; logSigma: number };
  /** tau32 Gaussian (clamped to (0.05, 0.99)) for QCD and two-prong jets. Assumed. */
  tau32Qcd: { mean: number; sigma: number };
  tau32TwoProng: { mean: number; sigma: number };
  /** Resonance line shape: Gaussian core of relative width `coreSigma` (the default wA / mA) and a one-sided low
   *  tail (final-state radiation out of the jets) in a fraction `tailFraction` of events, |gauss| * tailSigma. */
  signalMass: { coreSigma: number; tailFraction: number; tailSigma: number };
  /** Jet mass of a resonance daughter: Gaussian core (relative, the default wB / mB), plus soft radiation added
   *  in quadrature, m^2 += (pT * radiation * Exp(1))^2, and a fraction whose second prong falls outside the jet. */
  signalJetMass: { coreSigma: number; radiation: number; lostProngFraction: number };
  /** tau21 of two-prong jets: quantiles at two m/pT anchors, interpolated in ln(m/pT) between them. */
  tau21TwoProng: { rho: [number, number]; quantiles: [number[], number[]] };
}

export const CALIBRATION: GeneratorCalibration = {
  dijet: [-0.8698866700, 7.7759178600, -5.5932857600, -0.0732184300],
  maxDeltaY: 2.4,
  maxRapidity: 2.5,
  boostSigma: 0.6,
  ptImbalanceMean: 0.03,
  acoplanaritySigma: 0.05,
  rhoQuantiles: [0.005, 0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.17, 0.22, 0.3, 0.5],
  tau21Qcd: { rhoEdges: [0, 1], quantiles: [[0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.95]] },
  tau1PerRho: { median: 1.0, logSigma: 0.25 },
  tau32Qcd: { mean: 0.75, sigma: 0.11 },
  tau32TwoProng: { mean: 0.72, sigma: 0.12 },
  signalMass: { coreSigma: 0.035, tailFraction: 0.15, tailSigma: 0.12 },
  signalJetMass: { coreSigma: 0.065, radiation: 0.02, lostProngFraction: 0.05 },
  tau21TwoProng: { rho: [0.06, 0.3], quantiles: [[0.05, 0.2, 0.3, 0.38, 0.5, 0.6, 0.85], [0.02, 0.08, 0.12, 0.19, 0.3, 0.45, 0.8]] },
};
