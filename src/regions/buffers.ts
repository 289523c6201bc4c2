import type { Column } from '../events/batch.js';
import type { WindowSnapshot } from '../events/snapshot.js';
import { EventStore } from '../events/store.js';
import { analysisLabel, analysisLabelOfKey, type CutFlowEntry } from '../events/result.js';
import { windowSpan, type SchemeWindow } from './scheme.js';
import { SidebandError } from '../events/errors.js';

/**
 * The window buffers of a run: every window's SR and SB contents as views over one shared EventStore, with
 * per-window counts kept exact by counting events per elementary mass interval (the intervals between all
 * window edges). Routing an event costs one binary search over a few dozen edges and one increment.
 */
export interface TriggerPolicy {
  /** First analysis when the SR holds this many selected events. */
  minSrEvents: number;
  /** Analyse again when the SR has grown by this factor since the last analysis... */
  growthFactor?: number;
  /** ...or by this many events. */
  growthEvents?: number;
  /** ...or when this many seconds have passed since its last analysis and its SR has grown at all (`every: 10m`). */
  every?: number;
  /** Score new events with the last training's ensemble between retrainings (operators/score.ts). */
  online?: boolean;
  /** Online: new window events needed before a window refits (default 1). */
  onlineMinEvents?: number;
  /**
   * Online: score new events with each model's table on a grid of the window (`lookup`, the default: one load per
   * model and event) or by walking its trees (`exact`); src/classify/forest-lookup.ts.
   */
  onlineScoring?: 'lookup' | 'exact';
  /** Online lookup: cells of the grid (default 2^18: 1 MB per model). */
  onlineCells?: number;
}

export type Role = 'sr' | 'sb_low' | 'sb_high';

/**
 * What an analysis was asked on: the store's first `storeEvents` events (the store only grows, so that prefix is the
 * window's content at the request), the window's counts and the cut flow at that moment. Enough to take the
 * snapshot later (when the analysis starts, so waiting analyses hold no copy of events) or after a restart.
 */
export interface AnalysisAsOf {
  window: number;
  trigger: WindowSnapshot['trigger'];
  /** The request's number among its window's requests (0 = the first threshold); names its results. */
  sequence: number;
  storeEvents: number;
  counts: { sr: number; sbLow: number; sbHigh: number };
  cutflow: CutFlowEntry[];
  /** Arrival time (Unix ms) of the batch after which the analysis was asked for (alert latency). */
  arrivedAt?: number;
}

/** The part of the buffers' state that is not the stored events: what a run checkpoint saves besides the store. */
export interface BuffersState {
  counts: number[];
  lastAnalysed: number[];
  requests: number[];
  admitted: AnalysisAsOf[];
}

export class WindowBuffers {
  readonly store: EventStore;
  /** Sorted unique window edges; elementary interval e is [edges[e], edges[e+1]). */
  private readonly edges: Float64Array;
  private readonly covered: Uint8Array;
  private readonly counts: Float64Array;
  /** Per window: elementary interval ranges of SR, low SB and high SB. */
  private readonly spans: Array<Record<Role, [number, number]>>;
  private readonly lastAnalysed: number[];
  /** Requests made per window so far: the next request's sequence number. */
  private readonly requests: number[];
  /** Analyses admitted and not finished, by window id and sequence (a checkpoint runs them again on resume). */
  private readonly admitted = new Map<string, AnalysisAsOf>();

  /**
   * `keep`: a mass range to buffer beyond the windows' own spans, for analyses that histogram (and fit) a wider
   * spectrum than a window's SB+SR, as seed 001 fits 1.8–8.2 TeV for every region.
   */
  constructor(
    readonly windows: SchemeWindow[],
    features: string[],
    opts: {
      weight: boolean;
      label: boolean;
      chunkSize?: number;
      keep?: [number, number];
      maxStoreBytes?: number;
      /** Spill the store to disk past this many resident bytes (store.memoryBudget). */
      memoryBudget?: number;
      spillDir?: string;
    },
  ) {
    if (windows.length === 0) throw new SidebandError('window buffers: no windows');
    const all = new Set<number>();
    if (opts.keep) all.add(opts.keep[0]).add(opts.keep[1]);
    for (const w of windows) {
      all.add(w.sr[0]).add(w.sr[1]);
      for (const [a, b] of w.sb) all.add(a).add(b);
    }
    this.edges = Float64Array.from([...all].sort((a, b) => a - b));
    this.counts = new Float64Array(this.edges.length - 1);
    this.covered = new Uint8Array(this.edges.length - 1);
    const interval = (x: number) => this.edges.indexOf(x);
    this.spans = windows.map((w) => {
      const [lo, hi] = windowSpan(w);
      for (let e = interval(lo); e < interval(hi); e++) this.covered[e] = 1;
      const low = w.sb.filter(([, b]) => b <= w.sr[0]);
      const high = w.sb.filter(([a]) => a >= w.sr[1]);
      const range = (ivs: Array<[number, number]>): [number, number] =>
        ivs.length
          ? [interval(Math.min(...ivs.map((i) => i[0]))), interval(Math.max(...ivs.map((i) => i[1])))]
          : [0, 0];
      return { sr: [interval(w.sr[0]), interval(w.sr[1])], sb_low: range(low), sb_high: range(high) };
    });
    if (opts.keep) for (let e = interval(opts.keep[0]); e < interval(opts.keep[1]); e++) this.covered[e] = 1;
    this.lastAnalysed = windows.map(() => 0);
    this.requests = windows.map(() => 0);
    const stored = features.includes('mjj') ? features : [...features, 'mjj'];
    this.store = new EventStore({
      features: stored,
      weight: opts.weight,
      label: opts.label,
      chunkSize: opts.chunkSize,
      maxBytes: opts.maxStoreBytes,
      memoryBudget: opts.memoryBudget,
      spillDir: opts.spillDir,
    });
  }

  /**
   * Route the selected events of a batch: count each in its elementary interval and store those that any window
   * reads. Returns how many were stored. Hot.
   */
  route(columns: Record<string, Column>, selection: Uint32Array, weight?: Float32Array, label?: Uint8Array): number {
    const mjj = columns.mjj;
    if (!mjj) throw new SidebandError('window buffers: batch has no mjj column');
    const edges = this.edges,
      counts = this.counts,
      covered = this.covered;
    const last = edges.length - 1;
    const keep = new Uint32Array(selection.length);
    let k = 0;
    for (let j = 0; j < selection.length; j++) {
      const i = selection[j]!;
      const m = mjj[i]!;
      if (!(m >= edges[0]! && m < edges[last]!)) continue;
      let lo = 0,
        hi = last; // binary search: edges[lo] <= m < edges[hi]
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (m < edges[mid]!) hi = mid;
        else lo = mid;
      }
      if (covered[lo] === 0) continue;
      counts[lo]!++;
      keep[k++] = i;
    }
    if (k > 0) {
      const cols = this.store.features.map((f) => {
        const c = columns[f];
        if (!c) throw new SidebandError(`window buffers: batch has no column '${f}' to store`);
        return c;
      });
      this.store.append(cols, keep, k, weight, label);
    }
    return k;
  }

  count(w: number, role: Role): number {
    const [a, b] = this.spans[w]![role];
    let s = 0;
    for (let e = a; e < b; e++) s += this.counts[e]!;
    return s;
  }

  /** Windows whose SR crossed the first threshold or grew enough since their last analysis. */
  due(policy: Pick<TriggerPolicy, 'minSrEvents' | 'growthFactor' | 'growthEvents'>): Array<{
    window: number;
    trigger: 'threshold' | 'growth';
  }> {
    const out: Array<{ window: number; trigger: 'threshold' | 'growth' }> = [];
    for (let w = 0; w < this.windows.length; w++) {
      const sr = this.count(w, 'sr');
      const last = this.lastAnalysed[w]!;
      if (last === 0) {
        if (sr >= policy.minSrEvents) out.push({ window: w, trigger: 'threshold' });
      } else if (
        (policy.growthFactor && sr >= last * policy.growthFactor) ||
        (policy.growthEvents && sr >= last + policy.growthEvents)
      ) {
        out.push({ window: w, trigger: 'growth' });
      }
    }
    for (const d of out) this.lastAnalysed[d.window] = this.count(d.window, 'sr');
    return out;
  }

  /**
   * Whether window w, analysed before, holds more SR events than at its last analysis; if so that count becomes
   * its last analysed one (a retraining by time is being asked for).
   */
  takeGrowth(w: number): boolean {
    const sr = this.count(w, 'sr');
    const last = this.lastAnalysed[w]!;
    if (last === 0 || !(sr > last)) return false;
    this.lastAnalysed[w] = sr;
    return true;
  }

  /** Analyses admitted and not finished yet. */
  get unfinished(): number {
    return this.admitted.size;
  }

  /** The sequence number of window w's next analysis request (threshold, growth or end). */
  nextSequence(w: number): number {
    return this.requests[w]!++;
  }

  /**
   * Admit an analysis of window w: record what it is asked on (now, or `asOf` for one restored from a checkpoint)
   * without copying events; `snapshotOf` takes the copy when the analysis starts.
   */
  admit(
    w: number,
    trigger: WindowSnapshot['trigger'],
    sequence: number,
    cutflow: CutFlowEntry[],
    asOf?: AnalysisAsOf,
  ): AnalysisAsOf {
    const a: AnalysisAsOf = asOf ?? {
      window: w,
      trigger,
      sequence,
      storeEvents: this.store.size,
      counts: { sr: this.count(w, 'sr'), sbLow: this.count(w, 'sb_low'), sbHigh: this.count(w, 'sb_high') },
      cutflow,
    };
    this.admitted.set(`${this.windows[w]!.id}/${analysisLabel(a.trigger, a.sequence)}`, a);
    return a;
  }

  /** An admitted analysis that will not run (a newer request of its window took its place). */
  withdraw(a: AnalysisAsOf): void {
    this.admitted.delete(`${this.windows[a.window]!.id}/${analysisLabel(a.trigger, a.sequence)}`);
  }

  /** An admitted analysis has emitted its results (call with any of them: its key names the analysis). */
  finished(result: { window: { id: string }; key?: string }): void {
    if (result.key) this.admitted.delete(`${result.window.id}/${analysisLabelOfKey(result.key)}`);
  }

  /** The snapshot of an admitted analysis: the window's events among the store's first `storeEvents`. */
  snapshotOf(
    a: AnalysisAsOf,
    trainingFeatures: string[],
    range?: [number, number],
    spectrumBinWidth?: number,
  ): WindowSnapshot {
    const snap = this.snapshot(
      a.window,
      a.trigger,
      a.cutflow,
      trainingFeatures,
      range,
      spectrumBinWidth,
      a.storeEvents,
    );
    return { ...snap, counts: { ...a.counts }, sequence: a.sequence };
  }

  /** Counts, trigger levels, request numbers and unfinished analyses, for a checkpoint. */
  exportState(): BuffersState {
    return {
      counts: Array.from(this.counts),
      lastAnalysed: [...this.lastAnalysed],
      requests: [...this.requests],
      admitted: [...this.admitted.values()],
    };
  }

  /** Restore what exportState saved (the store's events are restored separately); returns the unfinished analyses. */
  importState(s: BuffersState): AnalysisAsOf[] {
    if (s.counts.length !== this.counts.length || s.lastAnalysed.length !== this.windows.length)
      throw new SidebandError('window buffers: the checkpoint was written for other windows');
    this.counts.set(s.counts);
    for (let w = 0; w < this.windows.length; w++) {
      this.lastAnalysed[w] = s.lastAnalysed[w]!;
      this.requests[w] = s.requests[w]!;
    }
    this.admitted.clear();
    return s.admitted;
  }

  /**
   * A copy of window w's events (SR and SBs, or every buffered event in `range`), detached from the store so
   * ingestion can go on; with `storeEvents`, of the store's first that many events only (the inclusive spectrum too).
   */
  snapshot(
    w: number,
    trigger: WindowSnapshot['trigger'],
    cutflow: CutFlowEntry[],
    trainingFeatures: string[],
    range?: [number, number],
    spectrumBinWidth?: number,
    storeEvents?: number,
  ): WindowSnapshot {
    const win = this.windows[w]!;
    const g = this.windowEvents(win, trainingFeatures, range, storeEvents);
    return {
      window: { id: win.id, sr: win.sr, sb: win.sb },
      trigger,
      features: trainingFeatures,
      columns: g.columns,
      mjj: g.mjj,
      weight: g.weight,
      label: g.label,
      n: g.n,
      counts: { sr: this.count(w, 'sr'), sbLow: this.count(w, 'sb_low'), sbHigh: this.count(w, 'sb_high') },
      cutflow,
      ...(spectrumBinWidth ? { spectrum: this.spectrum(spectrumBinWidth, storeEvents) } : {}),
    };
  }

  /**
   * A detached copy of the stored events in a window's span (or `range`), `features` as columns: what a snapshot
   * holds, and the simulated events of a window (a SALAD run routes its simulation into buffers of its own).
   */
  windowEvents(
    win: Pick<SchemeWindow, 'sr' | 'sb'>,
    features: string[],
    range?: [number, number],
    storeEvents?: number,
  ): { n: number; columns: Float32Array[]; mjj: Float32Array; weight?: Float32Array; label?: Uint8Array } {
    const [lo, hi] = range ?? windowSpan(win);
    const g = this.store.gather(lo, hi, storeEvents);
    const idx = features.map((f) => {
      const i = this.store.features.indexOf(f);
      if (i < 0) throw new SidebandError(`window buffers: feature '${f}' is not stored`);
      return i;
    });
    return { n: g.n, columns: idx.map((i) => g.columns[i]!), mjj: g.mjj, weight: g.weight, label: g.label };
  }

  /** The mjj histogram of every buffered event over the buffers' whole range, in bins of about `width` GeV. */
  spectrum(width: number, storeEvents?: number): { edges: Float64Array; counts: Float64Array } {
    const lo = this.edges[0]!,
      hi = this.edges[this.edges.length - 1]!;
    const bins = Math.max(1, Math.round((hi - lo) / width));
    const edges = Float64Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
    return { edges, counts: this.store.mjjHistogram(lo, hi, bins, storeEvents) };
  }
}
