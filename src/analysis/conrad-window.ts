/**
 * One tail search's analysis with CONRAD (seed 004): split the window's buffered events into the control sample
 * (the control column above its threshold: γ + jets with the photon in the MET) and the data, run
 * src/background/conrad.ts, and turn each false-positive-rate working point into a WindowResult whose background
 * estimate is the ABCD prediction (`abcd`) and whose significance is that of the excess in region A. A working
 * point the model cannot trust is valid: false with its reasons and carries no Z.
 */
import { runConrad, type ConradConfig, type ConradWorkingPoint } from '../background/conrad.js';
import { SidebandError } from '../events/errors.js';
import { resultKey, type WindowResult } from '../events/result.js';
import type { WindowSnapshot } from '../events/snapshot.js';

/** A topology's `conrad:` block (validated in src/topology/schema.ts). */
export interface ConradBlock {
  tailFeature: string;
  control: { column: string; above?: number };
  /** Features flowed in log (positive, log-normal-like: jet masses). */
  logFeatures?: string[];
  /** The flow's options, as the model takes them (src/background/conrad.ts). */
  flow?: ConradConfig['flow'];
  classifier?: {
    ensemble?: number;
    folds?: number;
    referencePerEvent?: number;
    maxIter?: number;
    maxLeafNodes?: number;
    learningRate?: number;
  };
  minRegionEvents?: number;
  maxClosurePull?: number;
}

export interface ConradPlan {
  runId: string;
  topology: string;
  /** Classifier features, in snapshot order (the control column is stored after them). */
  features: string[];
  block: ConradBlock;
  workingPoints: number[];
  seed: number;
}

/** The model configuration a topology's conrad block gives (defaults in src/background/conrad.ts). */
export function conradConfig(plan: ConradPlan, tailCut: number): ConradConfig {
  const b = plan.block;
  const c = b.classifier ?? {};
  const hgb = {
    ...(c.maxIter ? { maxIter: c.maxIter } : {}),
    ...(c.maxLeafNodes ? { maxLeafNodes: c.maxLeafNodes } : {}),
    ...(c.learningRate ? { learningRate: c.learningRate } : {}),
  };
  return {
    tailCut,
    workingPoints: plan.workingPoints,
    seed: plan.seed,
    logFeatures: plan.features.map((f) => (b.logFeatures ?? []).includes(f)),
    flow: b.flow ?? {},
    classifier: {
      ...(c.ensemble ? { ensemble: c.ensemble } : {}),
      ...(c.folds ? { folds: c.folds } : {}),
      ...(c.referencePerEvent ? { referencePerEvent: c.referencePerEvent } : {}),
      hgb,
    },
    ...(b.minRegionEvents ? { minRegionEvents: b.minRegionEvents } : {}),
    ...(b.maxClosurePull ? { maxClosurePull: b.maxClosurePull } : {}),
  };
}

/** Row-major features of the chosen rows. */
function rowsOf(cols: Float32Array[], rows: Uint32Array): Float32Array {
  const D = cols.length;
  const x = new Float32Array(rows.length * D);
  for (let k = 0; k < rows.length; k++) for (let j = 0; j < D; j++) x[k * D + j] = cols[j]![rows[k]!]!;
  return x;
}

/** Analyse a snapshot whose `mjj` is the tail feature and whose last column is the control marker. */
export function analyseTail(snap: WindowSnapshot, plan: ConradPlan): WindowResult[] {
  const D = plan.features.length;
  if (snap.columns.length !== D + 1)
    throw new SidebandError(`conrad: expected ${D} features and the control column, got ${snap.columns.length}`);
  const marker = snap.columns[D]!;
  const above = plan.block.control.above ?? 0;
  const ctl: number[] = [];
  const dat: number[] = [];
  for (let i = 0; i < snap.n; i++) (marker[i]! > above ? ctl : dat).push(i);
  const ctlRows = Uint32Array.from(ctl);
  const datRows = Uint32Array.from(dat);
  const feats = snap.columns.slice(0, D);
  const pickM = (rows: Uint32Array) => Float32Array.from(rows, (i) => snap.mjj[i]!);
  const control = { x: rowsOf(feats, ctlRows), m: pickM(ctlRows) };
  const data = {
    x: rowsOf(feats, datRows),
    m: pickM(datRows),
    ...(snap.label ? { label: Uint8Array.from(datRows, (i) => snap.label![i]!) } : {}),
  };
  const tailCut = snap.window.sr[0];
  const t0 = performance.now();
  const r = runConrad(control, data, conradConfig(plan, tailCut));
  const seconds = (performance.now() - t0) / 1000;
  const createdAt = new Date().toISOString();
  const below = r.counts.data - r.counts.dataTail;
  return r.workingPoints.map((wp: ConradWorkingPoint): WindowResult => {
    const res: WindowResult = {
      runId: plan.runId,
      topology: plan.topology,
      window: snap.window,
      workingPoint: wp.fpr,
      trigger: snap.trigger,
      cutflow: snap.cutflow,
      counts: { sr: r.counts.dataTail, sbLow: below, sbHigh: 0, selected: wp.counts.A + wp.counts.B },
      abcd: {
        tailFeature: plan.block.tailFeature,
        tailCut,
        counts: wp.counts,
        predicted: wp.predicted,
        predictedErr: wp.predictedErr,
        observed: wp.observed,
        ...(wp.sOverSqrtB !== undefined ? { sOverSqrtB: wp.sOverSqrtB } : {}),
        controlClosure: wp.controlClosure,
        ...(wp.truth
          ? {
              truth: {
                backgroundA: wp.truth.backgroundA,
                signalA: wp.truth.signalA,
                ratio: wp.truth.ratio,
                signalEfficiency: wp.truth.signalEfficiency,
                backgroundEfficiency: wp.truth.backgroundEfficiency,
              },
            }
          : {}),
        control: { events: r.counts.control, trainEvents: r.counts.controlTrain },
        flow: {
          type: r.flow.type,
          blocks: r.flow.blocks,
          hidden: r.flow.hidden,
          epochs: r.flow.epochs,
          bestEpoch: r.flow.bestEpoch,
          valLoss: r.flow.valLoss,
        },
      },
      model: {
        background: 'conrad',
        classifier: 'hgb',
        ensemble: r.classifier.ensemble,
        folds: r.classifier.folds,
        seeds: r.seeds,
        trainSeconds: seconds,
      },
      ...(r.evaluation ? { evaluation: r.evaluation } : {}),
      valid: wp.valid,
      ...(wp.invalid ? { invalid: wp.invalid } : {}),
      key: resultKey(plan.runId, snap.window.id, wp.fpr, snap.trigger, snap.sequence),
      createdAt,
    };
    if (wp.valid)
      res.significance = {
        z: wp.z!,
        p: wp.p!,
        observed: wp.observed,
        expected: wp.predicted,
        expectedErr: wp.predictedErr,
      };
    return res;
  });
}
