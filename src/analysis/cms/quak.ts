/**
 * QUAK (seed 003, "QUasi Anomalous Knowledge"): a normalising flow trained on background simulation and one on a
 * mixture of signal simulations; every event maps to the 2-D space of its two losses (negative log-likelihoods,
 * shifted so the background sits at the origin). Seed 003 draws a binned contour per mass hypothesis from the
 * sidebands around it; here the contour is the straight line of constant background-minus-signal loss (the
 * likelihood ratio of the two flows), placed per window so that it keeps the table's fraction ε of the equally
 * weighted sidebands, and applied to the whole window.
 *
 * Inputs per event: both jets' features (seed 003: mSD, τ21, τ32, τ43, ... per jet), standardised on the
 * background simulation, named stems in `logFeatures` as logarithms.
 */
import { SidebandError } from '../../events/errors.js';
import type { WindowDef } from '../../events/result.js';
import { standardisation } from '../../classify/autoencoder.js';
import { deriveSeed } from '../../classify/random.js';
import { ConditionalFlow } from '../../nn/flows/flow.js';
import type { Selection } from '../analyse-window.js';
import { jetColumns, selectedHistogram, type JetSample } from './jets.js';

export interface QuakConfig {
  kind: 'quak';
  jetFeatures: string[];
  logFeatures?: string[];
  flow?: { blocks?: number; hidden?: number; epochs?: number; batchSize?: number; lr?: number };
  /** Simulated samples: background events generated, and the signal models of the mixture (generator specs). */
  simulation?: { events: number; signals: string[]; signalEvents: number; seed?: number };
}

export interface QuakModel {
  score: (s: JetSample) => Float64Array;
  seconds: number;
  simulated: { background: number; signal: number };
}

function eventMatrix(s: JetSample, cfg: QuakConfig): Float32Array {
  const cols = jetColumns(s, cfg.jetFeatures, 'quak');
  const logs = cfg.jetFeatures.map((f) => (cfg.logFeatures ?? []).includes(f));
  const all = [...cols[0], ...cols[1]];
  const lg = [...logs, ...logs];
  const d = all.length;
  const out = new Float32Array(s.n * d);
  for (let j = 0; j < d; j++) {
    const c = s.columns[all[j]!]!;
    for (let i = 0; i < s.n; i++) out[i * d + j] = lg[j] ? Math.log(Math.max(c[i]!, 1e-3)) : c[i]!;
  }
  return out;
}

function trainFlow(x: Float32Array, d: number, cfg: QuakConfig, seed: number): ConditionalFlow {
  const n = x.length / d;
  const f = cfg.flow ?? {};
  const flow = new ConditionalFlow(
    { type: 'maf', features: d, context: 1, blocks: f.blocks ?? 3, hidden: f.hidden ?? 32 },
    { seed, capacity: f.batchSize ?? 256 },
  );
  const nVal = Math.floor(n / 5);
  const ctx = new Float32Array(n);
  flow.fit(x.subarray(nVal * d), ctx.subarray(nVal), x.subarray(0, nVal * d), ctx.subarray(0, nVal), {
    epochs: f.epochs ?? 20,
    batchSize: f.batchSize ?? 256,
    lr: f.lr ?? 1e-3,
    patience: 4,
    seed,
    // Inputs are standardised and clamped here; the logit's min-max range would reject events beyond the training set.
    preprocess: { kind: 'standard' },
  });
  return flow;
}

/** Train both flows on the simulated samples. */
export function trainQuak(cfg: QuakConfig, background: JetSample, signal: JetSample, seed: number): QuakModel {
  if (background.n < 200 || signal.n < 200)
    throw new SidebandError(
      `quak: ${background.n} background and ${signal.n} signal simulated events pass the cuts; need 200 of each`,
    );
  const t0 = performance.now();
  const xb = eventMatrix(background, cfg),
    xs = eventMatrix(signal, cfg);
  const d = xb.length / background.n;
  const { mean, std } = standardisation(xb, d);
  const norm = (x: Float32Array) => Float32Array.from(x, (v, i) => (v - mean[i % d]!) / std[i % d]!);
  // Clamp standardised inputs: a flow's affine layers extrapolate wildly far outside their training support.
  const clamp = (x: Float32Array) => Float32Array.from(norm(x), (v) => (v > 8 ? 8 : v < -8 ? -8 : v));
  const bkgFlow = trainFlow(clamp(xb), d, cfg, deriveSeed(seed, 1));
  const sigFlow = trainFlow(clamp(xs), d, cfg, deriveSeed(seed, 2));
  const losses = (x: Float32Array) => {
    const z = clamp(x);
    const ctx = new Float32Array(x.length / d);
    return [bkgFlow.logProb(z, ctx), sigFlow.logProb(z, ctx)] as const;
  };
  // Background centred at the origin of the QUAK space (seed 003): medians of the simulated background's losses.
  const [lb0, ls0] = losses(xb);
  const med = (a: Float64Array) => Float64Array.from(a).sort()[a.length >> 1]!;
  const cb = -med(lb0),
    cs = -med(ls0);
  const seconds = (performance.now() - t0) / 1000;
  return {
    seconds,
    simulated: { background: background.n, signal: signal.n },
    score: (s) => {
      const [lb, ls] = losses(eventMatrix(s, cfg));
      // Background loss minus signal loss: large for events the signal flow explains better than the background one.
      // A loss that is not finite (density underflow far in a tail) never passes: -Infinity, not NaN in the sort.
      return Float64Array.from(lb, (b, i) => {
        const v = -b - cb - (-ls[i]! - cs);
        return Number.isFinite(v) ? v : -Infinity;
      });
    },
  };
}

export function quakSelections(
  model: QuakModel,
  s: JetSample & { window: WindowDef },
  edges: Float64Array,
  workingPoints: number[],
  seed: number,
): Selection[] {
  const [lo, hi] = s.window.sr;
  const score = model.score(s);
  let nLow = 0,
    nHigh = 0;
  for (const m of s.mjj)
    if (m < lo) nLow++;
    else if (m >= hi) nHigh++;
  if (nLow + nHigh < 50)
    throw new SidebandError(`quak (window ${s.window.id}): too few sideband events (${nLow + nHigh})`);
  const w = (m: number) =>
    m >= lo && m < hi ? 0 : m < lo ? (nHigh ? 0.5 / nLow : 1 / nLow) : nLow ? 0.5 / nHigh : 1 / nHigh;
  const order = Array.from({ length: s.n }, (_, i) => i)
    .filter((i) => w(s.mjj[i]!) > 0)
    .sort((a, b) => score[b]! - score[a]!);
  return workingPoints.map((wp) => {
    let acc = 0,
      thr = Infinity;
    for (const i of order) {
      acc += w(s.mjj[i]!);
      if (acc >= wp) {
        thr = score[i]!;
        break;
      }
    }
    const pick = Uint8Array.from(score, (v) => (v > thr ? 1 : 0));
    return {
      workingPoint: wp,
      histogram: selectedHistogram(s.mjj, pick, edges, s.label),
      pick,
      model: {
        background: 'simulation (flow)',
        classifier: 'quak (MAF background and signal-mixture flows)',
        ensemble: 1,
        folds: 1,
        seeds: [seed],
        trainSeconds: model.seconds,
      },
    };
  });
}
