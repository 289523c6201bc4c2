/**
 * Near-online scoring of one window between retrainings (`trigger.online`): the window keeps the ensemble of its
 * last training, and every event that reaches the window afterwards is scored by models that never saw it. An
 * event that arrived after the training snapshot was in no fold, so each member scores it with all of its fold
 * models, and its selection is the average of those models' votes: fold model f passes it when its score is above
 * the cut that kept ε of fold f's reference events (a score exactly on the cut passes with that cut's tie
 * probability, as selectPerFold resolves ties), so the new event counts 1/k for each fold that passes it. Each
 * fold's cut keeps ε of the reference events in expectation, so the average does too. With `combine: average` the
 * members' fold-averaged scores are averaged and compared with the one cut of the averaged out-of-fold scores.
 *
 * The new weights are added to every member's histogram of every working point (kept from the training), the
 * bin-wise median is taken as the analysis does, and the sideband fit is redone starting from the last accepted
 * fit's parameters (warm start), so Z and alerts move with each batch at a cost bounded per new event (one pass of
 * the ensemble) plus one fit per working point. The end-of-stream analysis never uses this state: it retrains
 * from scratch on the whole buffer, so a run's final results are those of a batch run of the same events.
 *
 * Variance of the SR count: the training part keeps the analysis' variance (a fixed fraction of the SR); the
 * events added since are a thinned Poisson stream, whose selected SR count adds its own value.
 *
 * Pure (arrays in, results out): the stream's `score` operator feeds it the events and emits its results.
 */
import { SidebandError } from '../events/errors.js';
import type { WindowResult } from '../events/result.js';
import type { StoredEvents } from '../events/store.js';
import type { BinMapper } from '../classify/binning.js';
import { binForForest, scoreBinned, type FlatForest } from '../classify/forest.js';
import { cellIndex, gridCells, type LookupGrid } from '../classify/forest-lookup.js';
import { medianHistogram } from '../classify/ensemble.js';
import {
  analyseSelection,
  type AnalysisPlan,
  type HistogramStats,
  type ResultHeader,
  type Selection,
} from './analyse-window.js';

/** A window's ensemble as trained: per member, one model per cross-validation split and the fold it scored. */
export interface OnlineEnsemble {
  combine: 'median' | 'average';
  folds: number;
  members: Array<{ forests: FlatForest[]; folds: Uint8Array; mappers?: BinMapper[] }>;
  /**
   * Online scoring by lookup (`trigger.onlineScoring: lookup`, src/classify/forest-lookup.ts): every model tabulated
   * on one grid, and from the tables and the working points' cuts, each cell's vote per working point and member
   * (the fold-average selectionWeights gives an event of that cell): entry (cell·points + w)·members + j.
   */
  lookup?: { grid: LookupGrid; points: number; votes: Float32Array };
}

/** What a working point's selection keeps for online scoring. */
export interface OnlineSelection {
  ensemble: OnlineEnsemble;
  /** Per member (one for `average`): per fold f, [2f] the cut and [2f+1] the tie pass probability. */
  cuts: Float64Array[];
  /** The same cuts for the tabulated models (set on their own scores of the reference events), with lookup. */
  lookupCuts?: Float64Array[];
  /** Fraction of the reference events on which the tabulated and the exact selections agree. */
  lookupAgreement?: number;
  /** This working point's index w in the ensemble's vote table. */
  lookupPoint?: number;
  /** Per member (one for `average`): its selected histogram. */
  memberCounts: Float64Array[];
  /** The same for the truth-signal events, when the input has labels. */
  memberSignal?: Float64Array[];
}

export interface OnlineWindowInit {
  /** Window index among the buffers' windows. */
  window: number;
  /** Header of the training's results (window, counts, cut flow); trigger and sequence are replaced. */
  header: ResultHeader;
  /** The training snapshot held the store's first `storeEvents` events. */
  storeEvents: number;
  /** Sequence of the training analysis (named in every online result). */
  trainedSequence: number;
  edges: Float64Array;
  /** mjj range of the window's view ([lo, hi) of the snapshot). */
  range: [number, number];
  fitFrom?: number;
  selections: Selection[];
  /** The training's results: their accepted fits start the online refits. */
  results: WindowResult[];
  /** Index in the store's features of each training feature, and of mjj. */
  featureIndex: number[];
  mjjIndex: number;
}

interface PointState {
  selection: Selection;
  online?: OnlineSelection;
  counts: Float64Array[];
  signal?: Float64Array[];
  /** SR count variance of the training part, and the median SR count it belongs to. */
  srVariance?: number;
  srAtTraining: number;
  warm?: { function: string; params: number[] };
}

/** One window's online state: the ensemble of its last training and the histograms grown since. */
export class OnlineWindow {
  readonly window: number;
  /** Store index up to which events have been counted. */
  cursor: number;
  readonly storeEvents: number;
  readonly trainedSequence: number;
  /** Window events scored since the training, and since the last emitted result. */
  scored = 0;
  pending = 0;
  /** Wall time spent in the ensemble (scoring and fold votes) on those events, seconds; the figure per event. */
  ensembleSeconds = 0;
  private readonly points: PointState[];
  /** The ensemble of the last training (undefined for an inclusive window). */
  readonly ensemble?: OnlineEnsemble;
  private readonly edges: Float64Array;
  private readonly srBins: number[];

  constructor(private readonly init: OnlineWindowInit) {
    this.window = init.window;
    this.cursor = init.storeEvents;
    this.storeEvents = init.storeEvents;
    this.trainedSequence = init.trainedSequence;
    this.edges = init.edges;
    const sr = init.header.window.sr;
    this.srBins = [];
    for (let b = 0; b + 1 < this.edges.length; b++)
      if (this.edges[b]! < sr[1] && this.edges[b + 1]! > sr[0]) this.srBins.push(b);
    this.ensemble = init.selections.find((s) => s.online)?.online?.ensemble;
    this.points = init.selections.map((selection) => {
      const online = selection.online;
      if (!online && selection.workingPoint !== null)
        throw new SidebandError(`online window ${sr}: working point ${selection.workingPoint} has no online state`);
      const counts = online
        ? online.memberCounts.map((c) => Float64Array.from(c))
        : [Float64Array.from(selection.histogram.counts)];
      const signal = online?.memberSignal
        ? online.memberSignal.map((c) => Float64Array.from(c))
        : selection.histogram.signal
          ? [Float64Array.from(selection.histogram.signal)]
          : undefined;
      const result = init.results.find((r) => r.workingPoint === selection.workingPoint);
      const warm =
        result?.fit && result.fit.status === 'ok'
          ? { function: result.fit.function, params: result.fit.params }
          : undefined;
      return {
        selection,
        online,
        counts,
        signal,
        srVariance: selection.histogram.srCountVariance,
        srAtTraining: this.srCount(this.combined(counts)),
        ...(warm ? { warm } : {}),
      };
    });
  }

  /**
   * Score and count the stored events [from, from + events.n) that this window has not counted yet (those at or
   * above its cursor) and lie in its mjj range. Returns how many of them were the window's. HOT.
   */
  update(events: StoredEvents, from: number): number {
    const skip = Math.max(0, this.cursor - from);
    if (skip >= events.n) return 0;
    const [lo, hi] = this.init.range;
    const mjj = events.columns[this.init.mjjIndex]!;
    const take = new Uint32Array(events.n - skip);
    let m = 0;
    for (let i = skip; i < events.n; i++) {
      const x = mjj[i]!;
      if (x >= lo && x < hi) take[m++] = i;
    }
    this.cursor = from + events.n;
    if (m === 0) return 0;
    // The window's new events, columnar: bins, weights and labels, and the training features for the ensemble.
    const edges = this.edges;
    const nb = edges.length - 1;
    const bin = new Int32Array(m);
    for (let k = 0; k < m; k++) {
      const v = mjj[take[k]!]!;
      if (!(v >= edges[0]! && v < edges[nb]!)) {
        bin[k] = -1;
        continue;
      }
      let a = 0;
      let b = nb;
      while (b - a > 1) {
        const c = (a + b) >>> 1;
        if (edges[c]! <= v) a = c;
        else b = c;
      }
      bin[k] = a;
    }
    const weight = events.weight;
    const label = events.label;
    let columns: Float32Array[] | undefined;
    const features = () =>
      (columns ??= this.init.featureIndex.map((f) => {
        const src = events.columns[f]!;
        const out = new Float32Array(m);
        for (let k = 0; k < m; k++) out[k] = src[take[k]!]!;
        return out;
      }));
    const ensembles = new Map<OnlineEnsemble, Float64Array[][]>();
    // With lookup, every working point's votes in one pass over the events: one read of each event's cell in the
    // vote table gives them all.
    const tabulated = this.points.filter((p) => p.online?.ensemble.lookup && p.online.lookupPoint !== undefined);
    let lookupVotes: Map<PointState, Float64Array[]> | undefined;
    if (tabulated.length > 0) {
      const t0 = performance.now();
      const votes = votesByLookup(tabulated[0]!.online!.ensemble, features(), m);
      lookupVotes = new Map(tabulated.map((p) => [p, votes[p.online!.lookupPoint!]!]));
      this.ensembleSeconds += (performance.now() - t0) / 1000;
    }
    for (const p of this.points) {
      if (!p.online) {
        // Inclusive: every event counts with its weight, as the inclusive histogram fills.
        for (let k = 0; k < m; k++) {
          if (bin[k]! < 0) continue;
          const w = weight ? weight[take[k]!]! : 1;
          p.counts[0]![bin[k]!] = p.counts[0]![bin[k]!]! + w;
          if (p.signal && label?.[take[k]!]) p.signal[0]![bin[k]!] = p.signal[0]![bin[k]!]! + w;
        }
        continue;
      }
      let votes = lookupVotes?.get(p);
      if (!votes) {
        // Scores of every model of the ensemble on the new events: computed once, shared by the working points.
        const t0 = performance.now();
        let scores = ensembles.get(p.online.ensemble);
        if (!scores) {
          scores = scoreEnsemble(p.online.ensemble, features(), m);
          ensembles.set(p.online.ensemble, scores);
        }
        votes = selectionWeights(p.online, scores, m);
        this.ensembleSeconds += (performance.now() - t0) / 1000;
      }
      // The classifier's histograms count events (the CWoLa selection fills unweighted), so do the online ones.
      for (let j = 0; j < votes.length; j++) {
        const v = votes[j]!;
        const c = p.counts[j]!;
        const s = p.signal?.[j];
        for (let k = 0; k < m; k++) {
          if (bin[k]! < 0 || v[k] === 0) continue;
          c[bin[k]!] = c[bin[k]!]! + v[k]!;
          if (s && label?.[take[k]!]) s[bin[k]!] = s[bin[k]!]! + v[k]!;
        }
      }
    }
    this.scored += m;
    this.pending += m;
    return m;
  }

  /** The window's results now: per working point, the median of the grown histograms, refitted from the last fit. */
  results(plan: AnalysisPlan, stats: HistogramStats, header: ResultHeader): WindowResult[] {
    this.pending = 0;
    return this.points.map((p) => {
      const { counts, spread } = this.combinedWithSpread(p.counts);
      const srNow = this.srCount(counts);
      const h = p.selection.histogram;
      const selection: Selection = {
        ...p.selection,
        histogram: {
          edges: h.edges,
          counts: Array.from(counts),
          ...(spread ? { spread: Array.from(spread) } : {}),
          ...(p.srVariance !== undefined
            ? { srCountVariance: p.srVariance + Math.max(0, srNow - p.srAtTraining) }
            : {}),
          ...(p.signal ? { signal: Array.from(this.combined(p.signal)) } : {}),
        },
      };
      const result = analyseSelection(header, plan, this.edges, selection, this.init.fitFrom, stats, p.warm);
      result.online = {
        trainedSequence: this.trainedSequence,
        trainedOnStoreEvents: this.storeEvents,
        scoredEvents: this.scored,
        ensembleSeconds: this.ensembleSeconds,
        models: p.online ? p.online.ensemble.members.reduce((a, x) => a + x.forests.length, 0) : 0,
        ...(p.online
          ? {
              scoring: p.online.lookupPoint !== undefined ? ('lookup' as const) : ('exact' as const),
              ...(p.online.lookupPoint !== undefined
                ? {
                    lookupCells: gridCells(p.online.ensemble.lookup!.grid),
                    lookupAgreement: p.online.lookupAgreement!,
                  }
                : {}),
            }
          : {}),
        ...(p.warm ? { warmStart: p.warm.function } : {}),
      };
      if (result.fit?.status === 'ok') p.warm = { function: result.fit.function, params: result.fit.params };
      return result;
    });
  }

  private combined(members: Float64Array[]): Float64Array {
    return members.length === 1 ? members[0]! : medianHistogram(members).counts;
  }

  private combinedWithSpread(members: Float64Array[]): { counts: Float64Array; spread?: Float64Array } {
    return members.length === 1 ? { counts: Float64Array.from(members[0]!) } : medianHistogram(members);
  }

  private srCount(counts: Float64Array): number {
    let s = 0;
    for (const b of this.srBins) s += counts[b]!;
    return s;
  }
}

/**
 * Raw scores of every model of every member on m events: [member][split] → Float64Array(m). The batch is binned once
 * per bin mapper and the bins are shared by every model trained on that mapper.
 */
function scoreEnsemble(e: OnlineEnsemble, columns: Float32Array[], m: number): Float64Array[][] {
  const binned = new Map<BinMapper, Uint8Array>();
  return e.members.map((member) =>
    member.forests.map((f) => {
      let bins = binned.get(f.mapper);
      if (!bins) {
        bins = binForForest(f, columns, m);
        binned.set(f.mapper, bins);
      }
      const out = new Float64Array(m);
      scoreBinned(f, bins, m, out);
      return out;
    }),
  );
}

/**
 * Each cell's vote per working point and member, the fold-average of selectionWeights for an event of that cell:
 * per model q (member·splits + split, one table each), its value against the cut of the fold it scored, sharing
 * 1/splits, a tie passing with the cut's tie probability. float32 table values against cuts set on the same float32
 * values: the comparisons are exact. The votes are stored float32 (relative rounding 6e-8 on each count added).
 * Once per training: cells × models × points comparisons, reading the tables in cell order (~0.2 s at 2^18 cells,
 * 50 models, 2 working points).
 */
export function voteTable(e: OnlineEnsemble, tables: Float32Array[], cuts: Float64Array[][]): Float32Array {
  const models = tables.length;
  const W = cuts.length;
  const J = e.members.length;
  const member = new Int32Array(models);
  const share = new Float64Array(models);
  const thr = new Float64Array(models * W);
  const tie = new Float64Array(models * W);
  let q = 0;
  e.members.forEach((mb, j) => {
    for (const f of mb.folds) {
      member[q] = j;
      share[q] = 1 / mb.folds.length;
      for (let w = 0; w < W; w++) {
        thr[q * W + w] = cuts[w]![j]![2 * f]!;
        tie[q * W + w] = cuts[w]![j]![2 * f + 1]! / mb.folds.length;
      }
      q++;
    }
  });
  if (q !== models) throw new SidebandError(`online lookup: ${models} tables for the ensemble's ${q} models`);
  const cells = tables[0]?.length ?? 0;
  if (tables.some((t) => t.length !== cells)) throw new SidebandError('online lookup: tables of different grids');
  const votes = new Float32Array(cells * W * J);
  const acc = new Float64Array(W * J);
  for (let c = 0; c < cells; c++) {
    acc.fill(0);
    for (let q = 0; q < models; q++) {
      const x = tables[q]![c]!;
      const j = member[q]!;
      for (let w = 0, at = q * W; w < W; w++, at++) {
        const t = thr[at]!;
        if (x > t) acc[w * J + j]! += share[q]!;
        else if (x === t) acc[w * J + j]! += tie[at]!;
      }
    }
    votes.set(acc, c * W * J);
  }
  return votes;
}

/** Per working point of the vote table, per member: each new event's selected weight, its cell's vote. HOT. */
function votesByLookup(e: OnlineEnsemble, columns: Float32Array[], m: number): Float64Array[][] {
  const { grid, points: W, votes: table } = e.lookup!;
  const J = e.members.length;
  const cells = new Int32Array(m);
  cellIndex(grid, columns, m, cells);
  const votes = Array.from({ length: W }, () => e.members.map(() => new Float64Array(m)));
  for (let k = 0; k < m; k++) {
    const base = cells[k]! * W * J;
    for (let w = 0; w < W; w++) for (let j = 0; j < J; j++) votes[w]![j]![k] = table[base + w * J + j]!;
  }
  return votes;
}

/** Per member (one for `average`): each new event's selected weight in [0, 1]. HOT. */
function selectionWeights(o: OnlineSelection, scores: Float64Array[][], m: number): Float64Array[] {
  const cuts = o.cuts;
  const e = o.ensemble;
  if (e.combine === 'average') {
    const avg = new Float64Array(m);
    let models = 0;
    for (const member of scores) {
      const scale = 1 / member.length;
      for (const s of member) for (let k = 0; k < m; k++) avg[k] = avg[k]! + s[k]! * scale;
      models++;
    }
    const thr = cuts[0]![0]!;
    const pAt = cuts[0]![1]!;
    const out = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      const s = avg[k]! / models;
      out[k] = s > thr ? 1 : s === thr ? pAt : 0;
    }
    return [out];
  }
  return scores.map((member, j) => {
    const out = new Float64Array(m);
    const c = cuts[j]!;
    const folds = e.members[j]!.folds;
    const share = 1 / member.length;
    member.forEach((s, split) => {
      const f = folds[split]!;
      const thr = c[2 * f]!;
      const pAt = c[2 * f + 1]!;
      for (let k = 0; k < m; k++) {
        const x = s[k]!;
        if (x > thr) out[k] = out[k]! + share;
        else if (x === thr) out[k] = out[k]! + share * pAt;
      }
    });
    return out;
  });
}

/** The online state of every window of a run: the newest training of each window wins. */
export class OnlineWindows {
  private readonly byWindow = new Map<number, OnlineWindow>();

  /** Keep `w` unless the window already holds a state trained on more events (analyses may finish out of order). */
  offer(w: OnlineWindow): boolean {
    const held = this.byWindow.get(w.window);
    if (held && held.storeEvents >= w.storeEvents) return false;
    this.byWindow.set(w.window, w);
    return true;
  }

  get(window: number): OnlineWindow | undefined {
    return this.byWindow.get(window);
  }

  all(): OnlineWindow[] {
    return [...this.byWindow.values()];
  }

  /** The bin mappers of window w's last ensemble, per member and split (the next retraining's warm start). */
  mappers(window: number): BinMapper[][] | undefined {
    const e = this.byWindow.get(window)?.ensemble;
    if (!e?.members.every((m) => m.mappers)) return undefined;
    return e.members.map((m) => m.mappers!);
  }
}
