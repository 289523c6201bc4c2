/**
 * WindowResult: what a window emits after an analysis (one per window and working point). JSON-serializable;
 * written as one line of DIR/results.jsonl and to the results topic. All masses in GeV.
 */
export type Interval = [number, number];

export interface WindowDef {
  /** Stable id, e.g. "sr-2600-3200". Also the repartition key in scale-out. */
  id: string;
  /** Signal region [lo, hi) in GeV. */
  sr: Interval;
  /** Sideband intervals [lo, hi) in GeV, low side first; may be empty on one side. */
  sb: Interval[];
}

export interface CutFlowEntry {
  cut: string;
  /** Events passing this cut and all before it. */
  pass: number;
}

export interface HistogramResult {
  /** Bin edges in GeV (length = counts.length + 1). */
  edges: number[];
  /** Bin contents; with an ensemble, the bin-wise median over members. */
  counts: number[];
  /**
   * Per-bin standard error of the ensemble median, when an ensemble produced the histogram (√(π/2)·σ/√N over the
   * members). Shown on the data points of plots; the statistics treat the median as Poisson (classify/ensemble.ts).
   */
  spread?: number[];
  /** Variance of the SR count when the selection fixes part of it (a fixed fraction of the SR events passes). */
  srCountVariance?: number;
  /**
   * Truth: the selected events labelled signal per bin (for an ensemble, the bin-wise median over members), when
   * the input has truth labels (generated data, injected signal). Never used by the analysis; read by benchmarks
   * (S/√B) and by limits from injection.
   */
  signal?: number[];
}

export interface FitResult {
  function: string;
  params: number[];
  covariance: number[][];
  chi2: number;
  ndf: number;
  pvalue: number;
  /** The range the fit used as sidebands (GeV), after any shrinking by the fit strategy. */
  sbRange: Interval;
  /** Per-bin background prediction over the histogram bins, with its (fit-parameter) uncertainty. */
  prediction: number[];
  predictionErr: number[];
  converged: boolean;
  /** 'failed': no function was accepted (or the histogram was unusable); such a result carries no Z. */
  status: 'ok' | 'failed';
  /** What the strategy did, or why it failed. */
  reason: string;
  /** Lowest mjj the fit was allowed to use (above the trigger turn-on), when a turn-on was found. */
  fitFrom?: number;
  /** χ² of the sideband bins next to the SR (the fit must describe them too). */
  adjacent?: { chi2: number; ndf: number; pvalue: number };
  /** Spurious signal: an alternative function's SR prediction minus the chosen one's, and over σ_b. */
  spurious?: { function: string; events: number; relative: number };
}

export interface SignificanceResult {
  /**
   * Local significance of the merged SR bin (profile likelihood, Gaussian-constrained background), calibrated
   * when the topology names a calibration. Absent when no accepted fit exists or the window is invalid: such a
   * window has no significance, never a Z of 0.
   */
  z?: number;
  p?: number;
  /** The significance before calibration (present when a calibration was applied). */
  zRaw?: number;
  /** The calibration applied: Z = (zRaw − mean) / std, from signal-free samples (`sideband validate`). */
  calibration?: { mean: number; std: number; samples: number; source: string; mode: 'standardize' | 'seed000' };
  /** Why the topology's calibration was not applied to this Z (made for another analysis, or no entry for this window and working point): Z is raw. */
  uncalibrated?: string;
  observed: number;
  /** Variance of the observed count (Poisson: the count itself). */
  observedVariance?: number;
  expected: number;
  expectedErr: number;
  /** Signed per-bin significance over the histogram bins. */
  perBin?: number[];
}

export interface ModelInfo {
  background: string;
  classifier: string;
  backend?: string;
  ensemble: number;
  folds: number;
  seeds: number[];
  trainSeconds: number;
  /** Diversity: mean pairwise Spearman correlation of the members' out-of-fold SR scores (1 = identical members). */
  memberCorrelation?: number;
  /** seed 001's n candidates per split: the same between candidates' test scores, averaged over splits. */
  candidateCorrelation?: number;
  /**
   * How the training started: 'none' (from scratch, always at end of stream) or 'binning' (HGB with the bin
   * mappers of the window's previous training, trigger.online).
   */
  warmStart?: 'none' | 'binning';
  /** The learned SR background template the classifier was trained against (absent: the sideband data). */
  template?: TemplateModelInfo;
}

/** What a background model reports about its fit (src/background; in ModelInfo.template). */
export interface TemplateModelInfo {
  /** Model name: 'cathode', 'curtains', 'salad'. */
  model: string;
  /** Events the model was trained on (sideband events for CATHODE). */
  trainEvents: number;
  /** SR data events the template stands for, and the template events generated for them. */
  srEvents: number;
  templateEvents: number;
  oversample: number;
  trainSeconds: number;
  /** Epochs run and the epoch whose weights generated the template. */
  epochs?: number;
  bestEpoch?: number;
  /** Mean negative log-likelihood per event on the held-out sideband events (preprocessed space). */
  validationLoss?: number;
  /** Network: e.g. 'maf 5x64 bn'. */
  network?: string;
  /** Template fidelity (./fidelity.ts): AUC of template vs SR data, and vs the true SR background where truth exists. */
  fidelity?: {
    aucVsData: number;
    aucVsTruth?: number;
    nullSd: number;
    valid: boolean;
    why?: string;
    /** A reweighted template (SALAD) measured without its weights: the simulation as it was. */
    unweighted?: { aucVsData: number; aucVsTruth?: number };
  };
  /**
   * SALAD: the sideband events the simulation-vs-data reweighter saw, the SR simulated events whose weight hit the
   * clip, and the template's effective number of events (Kish: (Σw)² / Σw²).
   */
  reweighting?: { simulationSbEvents: number; dataSbEvents: number; clipped: number; effectiveEvents: number };
  /**
   * An ensemble of template models (`background.templates` > 1; the rest of this record is the first's): how many,
   * and each one's fidelity AUC (null where not measured). trainSeconds is then their sum.
   */
  templates?: number;
  memberFidelity?: { aucVsData: (number | null)[]; aucVsTruth: (number | null)[] };
  /** Per feature, the SR data, the template and the true SR background on common bins (background/distributions.ts). */
  distributions?: TemplateDistribution[];
}

/** One feature's SR data, template (scaled to the data's count) and true SR background (where truth exists). */
export interface TemplateDistribution {
  feature: string;
  /** Bin edges (bins + 1); the outer bins also hold what lies beyond them. */
  edges: number[];
  data: number[];
  template: number[];
  background?: number[];
}

export interface EvaluationResult {
  auc: number;
  maxSic: number;
  roc?: { fpr: number[]; tpr: number[] };
  /**
   * The same evaluation for each ensemble member on its own (its out-of-fold scores), for bands over members:
   * SIC = ε_S/√ε_B at the common signal efficiencies `tpr`, null where fewer than the max-SIC guard's background
   * events pass (the SIC there is noise). Present when the ensemble has two or more members.
   */
  members?: {
    tpr: number[];
    sic: (number | null)[][];
    auc: number[];
    maxSic: number[];
    /** The ensemble's own SIC (the member-averaged score) at `tpr`, under the same guard. */
    ensemble?: (number | null)[];
  };
}

/**
 * CONRAD's ABCD in (R, M) for a tail search (seed 004, src/background/conrad.ts): A = tail and R > R_c (the signal
 * region), B = below the tail and R > R_c, C = tail and R < R_c, D = below the tail and R < R_c; the prediction
 * N_A = N_B N_C / N_D. `workingPoint` of the result is the false-positive rate that fixes R_c.
 */
export interface AbcdResult {
  tailFeature: string;
  tailCut: number;
  counts: { A: number; B: number; C: number; D: number };
  predicted: number;
  predictedErr: number;
  observed: number;
  /** Seed 004's S/√B with S = N_A − N_A^pred, B = N_A^pred (absent when invalid). */
  sOverSqrtB?: number;
  /** The same ABCD on held-out control events, which are background only. */
  controlClosure: {
    counts: { A: number; B: number; C: number; D: number };
    predicted: number;
    observed: number;
    ratio: number;
    pull: number;
  };
  /** Where the data carry truth labels: the true background in A and prediction / truth (never used by the analysis). */
  truth?: {
    backgroundA: number;
    signalA: number;
    ratio: number;
    signalEfficiency: number;
    backgroundEfficiency: number;
  };
  control: { events: number; trainEvents: number };
  flow: { type: string; blocks: number; hidden: number; epochs: number; bestEpoch: number; valLoss: number };
}

/**
 * The DDP network's per-bin scan of a window's histogram (seed 002, src/operators/ddp-scan.ts), beside the
 * fit-based per-bin z_PL over the window's fitted background.
 */
export interface DdpResult {
  /** The model file the topology names. */
  model: string;
  /** Largest predicted mixed-width z over the bins, its bin index and mass range (GeV). */
  zMax: number;
  bin: number;
  mass: [number, number];
  /** Predicted z (max over signal widths) and predicted background, per histogram bin. */
  z: number[];
  background: number[];
  /** z_PL (max over widths) per bin over the window's fit prediction, and its maximum (absent without a fit). */
  fitZ?: number[];
  fitZMax?: number;
  /** Wall time of the network scan, seconds. */
  seconds: number;
  /** false when the histogram lies outside the model's training domain (bins, events per bin): no alert. */
  valid: boolean;
  invalid?: string;
}

/** One method's selection at one injected amount of a comparison (src/operators/compare.ts). */
export interface ComparisonResult {
  method: string;
  /** Injected signal events (generated, before the cuts) and those of them in the window's SR after the cuts. */
  injected: number;
  injectedInSr: number;
  /** Of the injected events, those added to the control region the control-region methods train on. */
  injectedInControl?: number;
  /** S/√B in the SR before any selection: injected SR signal over √(SR events of the stream). */
  sOverSqrtB: number;
  /** Signal + background fit of the selected spectrum, double crystal ball at the signal's shape (fit/signal-fit.ts). */
  signalFit: {
    valid: boolean;
    reason?: string;
    function?: string;
    z?: number;
    signal?: number;
    signalErr?: number;
    /** 95 % CL upper limit on the signal yield inside the fitted bins. */
    upperLimit?: number;
    pvalue?: number;
    backgroundPValue?: number;
  };
  /** The shape: double crystal ball parameters from the generated signal in the window. */
  shape: { mu: number; sigma: number; alphaLow: number; nLow: number; alphaHigh: number; nHigh: number };
  /**
   * Limit by injection: the injected signal the selection kept (truth, in the histogram's range) and the 95 % CL
   * upper limit on a signal in the stream's events alone, selected by the same training (S+B fit, inside its bins).
   */
  limit?: { keptSignal: number; dataUpperLimit: number | null };
  /** At the largest amount: φ correlation and overlap of this method's SR selection with each other method's. */
  correlation?: Record<string, { phi: number | null; overlap: number | null }>;
}

export interface WindowResult {
  runId: string;
  topology: string;
  window: WindowDef;
  /** Selection efficiency ε of the classifier working point; null for the inclusive (no classifier) histogram. */
  workingPoint: number | null;
  /**
   * What made this window analyse: first threshold, growth since the last analysis, time since it (trigger.every),
   * end of stream; or 'online': new events scored with the last training's ensemble (trigger.online).
   */
  trigger: 'threshold' | 'growth' | 'time' | 'end' | 'online';
  cutflow: CutFlowEntry[];
  counts: { sr: number; sbLow: number; sbHigh: number; selected?: number };
  histogram?: HistogramResult;
  fit?: FitResult;
  significance?: SignificanceResult;
  limits?: Record<string, number | number[]>;
  model?: ModelInfo;
  evaluation?: EvaluationResult;
  /** A tail search's ABCD background estimate (CONRAD), in place of a fit. */
  abcd?: AbcdResult;
  /** The DDP network's per-bin scan of the histogram (topology `ddp:` block). */
  ddp?: DdpResult;
  /** A comparison's result (topology `compare:`): which method, at which injected amount, and its S+B fit. */
  comparison?: ComparisonResult;
  /** Set when the analysis of this window failed; the run goes on. */
  error?: string;
  /** Whether the result can be trusted: false carries no Z, raises no alert, and says why in `invalid`. */
  valid: boolean;
  invalid?: Array<{ reason: ValidityReason; detail: string }>;
  /** Working points merged into this one because they selected the same events. */
  mergedWorkingPoints?: number[];
  /**
   * Deterministic identity of this result: run, window, working point and analysis (resultKey). The same input,
   * topology and run id give the same keys, so a consumer of the results topic drops a record whose key it has
   * seen (a worker that restarts may publish a result twice, never two different results under one key).
   */
  key?: string;
  createdAt: string;
  /** Arrival time (Unix ms) of the first event of the batch that led to this result (alert latency). */
  batchArrivedAt?: number;
  /** An online result (trigger.online): which training's ensemble scored the events added since, and how many. */
  online?: {
    trainedSequence: number;
    trainedOnStoreEvents: number;
    scoredEvents: number;
    /** Wall time of the ensemble on those events so far (seconds) and its number of models. */
    ensembleSeconds: number;
    models: number;
    /** The fit function whose previous parameters started this refit. */
    warmStart?: string;
    /**
     * How new events were scored: `exact` walks every tree of every model, `lookup` reads each model's table on a
     * grid of `lookupCells` cells (src/classify/forest-lookup.ts); `lookupAgreement` is the fraction of the training's
     * reference events on which the tabulated and the exact selections agree.
     */
    scoring?: 'exact' | 'lookup';
    lookupCells?: number;
    lookupAgreement?: number;
  };
}

/** Machine-readable reasons why a window result cannot be trusted. */
export type ValidityReason =
  | 'turn_on_in_range'
  | 'too_few_events'
  | 'fit_failed'
  | 'poor_fit_near_sr'
  | 'failed_closure'
  | 'sculpted_selection'
  | 'analysis_failed';

/** The label of one analysis of a window: its request number, or 'end' for the end-of-stream analysis. */
export function analysisLabel(trigger: WindowResult['trigger'], sequence: number | undefined): string {
  if (trigger === 'online') return `online-${sequence ?? 0}`;
  return trigger === 'end' ? 'end' : String(sequence ?? 0);
}

/** run/window/working point/analysis: the key of a result (and of the alert it raises). */
export function resultKey(
  runId: string,
  windowId: string,
  workingPoint: number | null | 'failed',
  trigger: WindowResult['trigger'],
  sequence: number | undefined,
): string {
  return `${runId}/${windowId}/${workingPoint === null ? 'inclusive' : workingPoint}/${analysisLabel(trigger, sequence)}`;
}

/** The analysis label at the end of a result key. */
export function analysisLabelOfKey(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
