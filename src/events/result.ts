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
  /** Per-bin ensemble spread (uncertainty), when an ensemble produced the histogram. */
  spread?: number[];
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
  /** Per-bin background prediction over the histogram bins, with its uncertainty. */
  prediction: number[];
  predictionErr: number[];
  converged: boolean;
}

export interface SignificanceResult {
  /** Local significance of the merged SR bin (profile likelihood, Gaussian-constrained background). */
  z: number;
  p: number;
  observed: number;
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
}

export interface EvaluationResult {
  auc: number;
  maxSic: number;
  roc?: { fpr: number[]; tpr: number[] };
}

export interface WindowResult {
  runId: string;
  topology: string;
  window: WindowDef;
  /** Selection efficiency ε of the classifier working point; null for the inclusive (no classifier) histogram. */
  workingPoint: number | null;
  /** What made this window analyse: first threshold, growth since the last analysis, or end of stream. */
  trigger: 'threshold' | 'growth' | 'end';
  cutflow: CutFlowEntry[];
  counts: { sr: number; sbLow: number; sbHigh: number; selected?: number };
  histogram?: HistogramResult;
  fit?: FitResult;
  significance?: SignificanceResult;
  limits?: Record<string, number | number[]>;
  model?: ModelInfo;
  evaluation?: EvaluationResult;
  /** Set when the analysis of this window failed; the run goes on. */
  error?: string;
  /**
   * Deterministic identity of this result: run, window, working point and analysis (resultKey). The same input,
   * topology and run id give the same keys, so a consumer of the results topic drops a record whose key it has
   * seen (a worker that restarts may publish a result twice, never two different results under one key).
   */
  key?: string;
  createdAt: string;
}

/** The label of one analysis of a window: its request number, or 'end' for the end-of-stream analysis. */
export function analysisLabel(trigger: WindowResult['trigger'], sequence: number | undefined): string {
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
