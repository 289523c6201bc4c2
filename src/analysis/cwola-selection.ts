/**
 * CWoLa hunting on one window (seed 001, with seed 000's cross-validation and ensembling): train classifiers to
 * tell the window's SR events from its SB events, score every event only with models that never saw it, keep the
 * top ε of each fold's SR events (threshold per fold), and fill the mjj histogram of the selected SR and SB events
 * (the fit needs the sidebands too). With an ensemble, each member selects on its own and the histograms are
 * combined bin-wise by the median, with the median's standard error as a per-bin uncertainty (seed 000 §V.C.2).
 *
 * This is the stream's entry point: the window trigger hands a snapshot here. Jobs are trained by the `train`
 * function the caller gives (the run's training pool in src/training, so ingestion goes on; inline in tests).
 */
import { ROLE_NONE, ROLE_SR, sidebandReference } from '../background/sideband-reference.js';
import type { SrTemplate } from '../background/template.js';
import { SidebandError } from '../events/errors.js';
import type { EvaluationResult, HistogramResult, ModelInfo } from '../events/result.js';
import type { WindowSnapshot } from '../events/snapshot.js';
import { resolveClassifierConfig, type ClassifierConfig } from '../classify/config.js';
import { assignFolds, cvSplits, efficiencyMap } from '../classify/crossval.js';
import { cwolaWeights, ecdfMapPerRegion, reweightToMatch } from '../classify/decorrelate.js';
import { meanRankCorrelation } from '../classify/diversity.js';
import { averageScores, fillHistogram, medianHistogram } from '../classify/ensemble.js';
import { evaluate, evaluateMembers } from '../classify/metrics.js';
import { thresholdForEfficiency } from '../classify/workingpoints.js';
import { deriveSeed, mulberry32 } from '../classify/random.js';
import { toShared, type Trainer, type TrainJob, type TrainResult } from '../classify/train-job.js';
import type { BinMapper } from '../classify/binning.js';
import type { FlatForest } from '../classify/forest.js';
import { cellIndex, lookupGrid } from '../classify/forest-lookup.js';
import { voteTable, type OnlineEnsemble, type OnlineSelection } from './online-window.js';

export interface WorkingPointSelection {
  workingPoint: number;
  histogram: HistogramResult;
  model: ModelInfo;
  evaluation?: EvaluationResult;
  /** Looser working points' neighbours that selected exactly the same events, merged into this one. */
  mergedWorkingPoints?: number[];
  /** What scoring events that arrive after this training needs (with `keepModels`; HGB, atlas2024 folds only). */
  online?: OnlineSelection;
  /** The events the first member kept (1 = kept), over the snapshot's events. */
  pick?: Uint8Array;
}

/** Minimum events per class for a meaningful training (per window). */
const MIN_EVENTS_PER_CLASS = 50;

export async function selectWithClassifier(
  snapshot: WindowSnapshot,
  config: Partial<ClassifierConfig>,
  binning: { edges: Float64Array },
  opts: {
    train: Trainer;
    onProgress?: (done: number, total: number) => void;
    /**
     * Give the runtime's event loop a turn (the training runtime passes one): the preparation of each member and
     * its histograms is a separate step, so a metrics scrape or a liveness probe is never held for the whole window.
     */
    pause?: () => Promise<void>;
    /** Keep the trained models and each working point's cuts, to score events that arrive later (trigger.online). */
    keepModels?: boolean;
    /** HGB warm start: per member and split, the previous training's bin mappers (reused, not refitted). */
    warmMappers?: BinMapper[][];
    /** With keepModels: tabulate every model on a grid of this many cells for online scoring by lookup (0: exact). */
    lookupCells?: number;
    /**
     * A learned SR background template (src/background: CATHODE, ...): the classifier then learns SR data against
     * the template in the SR, instead of SR data against the sideband data; every data event is still scored
     * out of fold and selected, so the selected spectrum is fitted as usual. Several templates (an ensemble of
     * template models, `background.templates`): member m of the classifier ensemble learns against template
     * m mod K, so the bin-wise spread over members carries the templates' spread into the fit.
     */
    template?: SrTemplate | SrTemplate[];
  },
): Promise<WorkingPointSelection[]> {
  const cfg = resolveClassifierConfig(config);
  const wid = snapshot.window.id;
  const t0 = performance.now();
  const learnedAll = opts.template === undefined ? [] : Array.isArray(opts.template) ? opts.template : [opts.template];
  const learned = learnedAll[0];
  if (snapshot.columns.length === 0) throw new SidebandError(`classifier (window ${wid}): no features in the snapshot`);
  const n = snapshot.n;
  if (learned && (cfg.ecdfFeatures.length > 0 || cfg.reweightSidebands || cfg.thresholdFrom === 'sb'))
    throw new SidebandError(
      `classifier (window ${wid}): ecdfFeatures, reweightSidebands and thresholdFrom 'sb' act on sideband training events; a learned template (${learned.info.model}) trains on none`,
    );

  // Features, with seed 001's per-region ECDF mapping of the named ones.
  let dataColumns = snapshot.columns;
  // The training arrays against one reference: the sideband data, or one learned template.
  const trainingArrays = (tpl: SrTemplate | undefined) => {
    const template = tpl ? learnedReference(snapshot, tpl) : sidebandReference(snapshot);
    if (template.nData < MIN_EVENTS_PER_CLASS || template.nTemplate < MIN_EVENTS_PER_CLASS) {
      throw new SidebandError(
        `classifier (window ${wid}): too few events to train (SR ${template.nData}, SB ${template.nTemplate}; need ${MIN_EVENTS_PER_CLASS} each)`,
      );
    }
    const { role, y } = template;
    // Rows of the training arrays: the snapshot's events, then the template's (a learned template only).
    const nAll = role.length;
    let columns = dataColumns;
    let weight: Float32Array;
    const used = new Uint8Array(nAll);
    if (tpl) {
      columns = columns.map((c, j) => concat(c, tpl.columns[j]!));
      weight = learnedWeights(snapshot, tpl, template.nData);
      // Training uses the SR data and the template; the sideband data are only scored (and selected, for the fit).
      for (let i = 0; i < nAll; i++) used[i] = role[i] === ROLE_SR || role[i] === ROLE_TEMPLATE ? 1 : 0;
    } else {
      weight = cwolaWeights(role, cfg.equalSidebandWeights, sidebandReweighting(snapshot, role, cfg, wid));
      // Training uses the window's SR and SB events; every event of the snapshot is scored (seed 001 applies the
      // network to the whole mjj spectrum, so events outside the SR and SB, when present, are scored and selected too).
      for (let i = 0; i < n; i++) used[i] = role[i] !== ROLE_NONE ? 1 : 0;
    }
    const shared = { columns: columns.map((c) => toShared(c)), y: toShared(y), weight: toShared(weight) };
    return { template, role, nAll, used, shared };
  };
  if (cfg.ecdfFeatures.length > 0) {
    const { role } = sidebandReference(snapshot);
    const idx = cfg.ecdfFeatures.map((f) => {
      const i = snapshot.features.indexOf(f);
      if (i < 0)
        throw new SidebandError(
          `classifier (window ${wid}): ecdfFeatures names '${f}', not among ${snapshot.features.join(', ')}`,
        );
      return i;
    });
    const mapped = ecdfMapPerRegion(
      idx.map((i) => dataColumns[i]!),
      cfg.ecdfEdges.length > 1 ? regionsOf(snapshot.mjj, cfg.ecdfEdges) : ecdfRegionsOfWindow(snapshot, role),
    );
    dataColumns = dataColumns.slice();
    idx.forEach((i, k) => {
      dataColumns[i] = mapped[k]!;
    });
  }
  const references = learnedAll.length ? learnedAll.map((t) => trainingArrays(t)) : [trainingArrays(undefined)];
  // The snapshot's own events have the same roles against every reference.
  const { template, role } = references[0]!;

  const onlineUnavailable = !opts.keepModels
    ? 'not asked for'
    : cfg.kind !== 'hgb'
      ? `online scoring needs an HGB ensemble (classifier ${cfg.kind})`
      : cfg.cv !== 'atlas2024'
        ? `online scoring needs atlas2024 cross-validation (cv ${cfg.cv})`
        : cfg.ecdfFeatures.length > 0
          ? 'online scoring cannot apply the per-region ECDF mapping of ecdfFeatures'
          : undefined;
  const splits = cvSplits(cfg.cv, cfg.folds);
  // Online scoring by lookup (median combination): every model is tabulated on one grid of the window's events.
  const grid =
    onlineUnavailable === undefined && cfg.combine === 'median' && (opts.lookupCells ?? 0) > 0
      ? lookupGrid(dataColumns, opts.lookupCells!)
      : undefined;
  // Warm start reuses the binning only where the previous ensemble has the same shape (members, splits, one model each).
  const warm =
    cfg.kind === 'hgb' &&
    cfg.cv === 'atlas2024' &&
    opts.warmMappers?.length === cfg.ensemble &&
    opts.warmMappers.every((m) => m.length === splits.length)
      ? opts.warmMappers
      : undefined;
  const perSplit = cfg.cv === 'atlas2020' ? cfg.candidates : 1;
  const total = cfg.ensemble * splits.length * perSplit;
  let done = 0;
  const seeds: number[] = [];
  let backend = 'js';

  // One member: its own fold assignment and its own seeds, all its jobs submitted at once to the pool. HGB
  // without row or feature subsampling is a deterministic function of its rows: members then differ only in
  // their folds, and seed 001's candidates not at all (ModelInfo's correlations show it).
  type Member = {
    /** Out-of-fold score of every data event (the snapshot's n; template events are never scored). */
    score: Float64Array;
    fold: Uint8Array;
    /** Roles of the member's training arrays (data, then its template's events). */
    role: Uint8Array;
    seed: number;
    candidateCorrelation: number;
    /** Per split (atlas2024): the model and the fold it scored, when models are kept. */
    forests?: FlatForest[];
    forestFolds?: Uint8Array;
    mappers?: BinMapper[];
    /** Per split, its model tabulated on `grid`. */
    lookups?: Float32Array[];
  };
  const member = async (m: number): Promise<Member> => {
    await opts.pause?.();
    const seed = deriveSeed(cfg.seed, m);
    seeds.push(seed);
    const { role, nAll, used, shared } = references[m % references.length]!;
    const fold = assignFolds(role, cfg.folds, seed);
    // Hot: one pass over the events into a scratch index list, then one copy of the rows found.
    // `all`: every data event of the folds (to score); otherwise the training rows of the folds.
    const scratch = new Uint32Array(nAll);
    const rowsOf = (folds: number[], all = false) => {
      const want = new Uint8Array(256);
      const end = all ? n : nAll;
      for (const f of folds) want[f] = 1;
      let k = 0;
      if (all) {
        for (let i = 0; i < end; i++) if (want[fold[i]!]) scratch[k++] = i;
      } else {
        for (let i = 0; i < end; i++) if (used[i] && want[fold[i]!]) scratch[k++] = i;
      }
      return scratch.slice(0, k);
    };
    const testRows = Array.from({ length: cfg.folds }, (_, t) => rowsOf([t], true));
    const jobs: Promise<{ split: number; c: number; r: TrainResult }>[] = [];
    splits.forEach((sp, si) => {
      const trainAll = rowsOf(sp.train);
      const validationAll = rowsOf([sp.validation]);
      // classifier.maxTrainEvents: a seeded uniform subsample per split, validation in the same proportion.
      const cap = cfg.maxTrainEvents;
      const keep = cap > 0 && trainAll.length > cap ? cap / trainAll.length : 1;
      const trainRows = subsampleRows(trainAll, keep, deriveSeed(seed, 1000 + si));
      const validationRows = subsampleRows(validationAll, keep, deriveSeed(seed, 2000 + si));
      for (let c = 0; c < perSplit; c++) {
        const job: TrainJob = {
          kind: cfg.kind,
          ...shared,
          trainRows,
          validationRows,
          scoreRows: [testRows[sp.test]!],
          seed: deriveSeed(seed, si * perSplit + c),
          hgb: cfg.hgb,
          mlp: cfg.mlp,
          mlpBackend: cfg.backend,
          ...(onlineUnavailable === undefined ? { keepModel: true } : {}),
          ...(grid ? { lookupGrid: grid } : {}),
          ...(warm?.[m]?.[si] ? { hgbMapper: warm[m]![si]! } : {}),
        };
        jobs.push(
          opts.train(job).then((r) => {
            done++;
            backend = r.backend;
            opts.onProgress?.(done, total);
            return { split: si, c, r };
          }),
        );
      }
    });
    const results = await Promise.all(jobs);
    const score = new Float64Array(nAll).fill(NaN);
    if (cfg.cv === 'atlas2024') {
      for (const { split, r } of results) {
        const rows = testRows[splits[split]!.test]!;
        const s = r.scores[0]!;
        for (let k = 0; k < rows.length; k++) score[rows[k]!] = s[k]!;
      }
      if (onlineUnavailable === undefined) {
        const bySplit = results.slice().sort((a, b) => a.split - b.split);
        if (bySplit.every((x) => x.r.forest)) {
          const forests = bySplit.map((x) => x.r.forest!);
          const forestFolds = Uint8Array.from(bySplit, (x) => splits[x.split]!.test);
          const mappers = bySplit.every((x) => x.r.mapper) ? bySplit.map((x) => x.r.mapper!) : undefined;
          const lookups = bySplit.every((x) => x.r.lookup) ? bySplit.map((x) => x.r.lookup!) : undefined;
          return {
            score,
            fold,
            role,
            seed,
            candidateCorrelation: NaN,
            forests,
            forestFolds,
            ...(mappers ? { mappers } : {}),
            ...(lookups ? { lookups } : {}),
          };
        }
      }
    } else {
      // seed 001: per (test, validation) keep the candidate with the lowest validation loss, map its test-part
      // output to an efficiency relative to the test part's SR events, average over the k−1 validation parts.
      // The score is 1 − mean efficiency, so that larger is more signal-like as everywhere else.
      const acc = new Float64Array(nAll);
      let corrSum = 0;
      let corrN = 0;
      for (let si = 0; si < splits.length; si++) {
        const cands = results.filter((x) => x.split === si);
        const c = meanRankCorrelation(cands.map((x) => x.r.scores[0]!));
        if (c === c) {
          corrSum += c;
          corrN++;
        }
        const best = cands.reduce((a, b) => (b.r.validationLoss < a.r.validationLoss ? b : a));
        const rows = testRows[splits[si]!.test]!;
        const s = best.r.scores[0]!;
        const ref = Float64Array.from(
          Array.from(rows.keys()).filter((k) => role[rows[k]!] === ROLE_SR),
          (k) => s[k]!,
        );
        const eff = efficiencyMap(s, ref);
        for (let k = 0; k < rows.length; k++) acc[rows[k]!] = acc[rows[k]!]! + eff[k]! / (cfg.folds - 1);
      }
      for (let i = 0; i < n; i++) score[i] = 1 - acc[i]!;
      for (let i = n; i < nAll; i++) score[i] = NaN;
      return { score, fold, role, seed, candidateCorrelation: corrN > 0 ? corrSum / corrN : NaN };
    }
    return { score, fold, role, seed, candidateCorrelation: NaN };
  };

  let members: Member[];
  try {
    members = await inOrder(cfg.ensemble, MEMBERS_IN_FLIGHT, member);
  } catch (e) {
    throw new SidebandError(`classifier (window ${wid}): ${(e as Error).message}`, { cause: e });
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  let nSrRows = 0;
  for (let i = 0; i < n; i++) if (role[i] === ROLE_SR) nSrRows++;
  const srRows = new Uint32Array(nSrRows);
  for (let i = 0, k = 0; i < n; i++) if (role[i] === ROLE_SR) srRows[k++] = i;
  const memberCorrelation = meanRankCorrelation(
    members.map((x) => x.score),
    srRows,
  );
  const candCorr = members.map((x) => x.candidateCorrelation).filter((c) => c === c);
  const model: ModelInfo = {
    background: template.name,
    classifier: cfg.kind,
    backend,
    ensemble: cfg.ensemble,
    folds: cfg.folds,
    seeds: seeds.slice().sort((a, b) => a - b),
    trainSeconds,
    ...(memberCorrelation === memberCorrelation ? { memberCorrelation } : {}),
    ...(candCorr.length > 0 ? { candidateCorrelation: candCorr.reduce((a, b) => a + b, 0) / candCorr.length } : {}),
    warmStart: warm ? 'binning' : 'none',
    ...(learned ? { template: templateInfo(learnedAll) } : {}),
  };

  // Truth-aware evaluation on the SR events, with the member-averaged out-of-fold score.
  let evaluation: EvaluationResult | undefined;
  // Data events only: members against different templates have training arrays of different lengths.
  const dataScores = members.map((x) => x.score.subarray(0, n));
  if (snapshot.label) {
    const avg = averageScores(dataScores);
    // Typed arrays over the SR events, and each member's SR scores made only while it is evaluated, not all eleven
    // at once (the run's peak is set earlier, by the members' scores: docs/scale.md).
    const s = Float64Array.from(srRows, (i) => avg[i]!);
    const l = Uint8Array.from(srRows, (i) => snapshot.label![i]!);
    let nSig = 0;
    for (let k = 0; k < l.length; k++) nSig += l[k]!;
    if (nSig > 0 && nSig < l.length) {
      evaluation = evaluate(s, l, { minBackground: cfg.sicMinBackground });
      // Each member on its own, for the 68 % band of the SIC curve over members.
      if (members.length > 1) {
        const own = function* () {
          for (const x of members) yield Float64Array.from(srRows, (i) => x.score[i]!);
        };
        evaluation.members = evaluateMembers(own(), l, { minBackground: cfg.sicMinBackground, ensembleScores: s });
      }
    }
  }

  const edges = binning.edges;
  const nSr = template.nData;
  const out: WorkingPointSelection[] = [];
  let previous: Uint8Array[] | undefined;
  const ensemble: OnlineEnsemble | undefined =
    onlineUnavailable === undefined && members.every((x) => x.forests)
      ? {
          combine: cfg.combine,
          folds: cfg.folds,
          members: members.map((x) => ({
            forests: x.forests!,
            folds: x.forestFolds!,
            ...(x.mappers ? { mappers: x.mappers } : {}),
          })),
        }
      : undefined;
  // Online scoring by lookup: every model's table (model q = member·splits + split), and the cell of every data
  // event, for the tabulated models' own cuts; the vote table of the working points is made from them after the loop.
  const scoreTable =
    ensemble && grid && members.every((x) => x.lookups) ? members.flatMap((x) => x.lookups!) : undefined;
  let cells: Int32Array | undefined;
  if (scoreTable) {
    cells = new Int32Array(n);
    cellIndex(grid!, dataColumns, n, cells);
  }
  for (const eps of cfg.workingPoints) {
    let histogram: HistogramResult;
    let masks: Uint8Array[];
    let memberCounts: Float64Array[];
    const cuts: Float64Array[] = [];
    const lookupCuts: Float64Array[] = [];
    let agree = 0;
    let refs = 0;
    if (cfg.combine === 'median') {
      // One tie-breaking stream for every working point: two working points that keep the same number of events
      // per fold then keep the same events, and are merged below.
      masks = [];
      for (const { score, fold, role: own, seed } of members) {
        await opts.pause?.();
        const c = new Float64Array(2 * cfg.folds);
        const mask = selectPerFold(score, fold, own, cfg, eps, deriveSeed(seed, 1), c).subarray(0, n);
        masks.push(mask);
        cuts.push(c);
        if (scoreTable && cells) {
          // The tabulated models' cuts, set on their own out-of-fold scores of the same reference events, and how
          // often their selection agrees with the exact one there.
          const j = masks.length - 1;
          const first = j * splits.length;
          const splitOf = new Int32Array(cfg.folds).fill(-1);
          ensemble!.members[j]!.folds.forEach((f, si) => {
            splitOf[f] = si;
          });
          const lut = new Float64Array(score.length).fill(NaN);
          for (let i = 0; i < n; i++) {
            const si = splitOf[fold[i]!]!;
            if (si >= 0 && score[i] === score[i]) lut[i] = scoreTable[first + si]![cells[i]!]!;
          }
          const lc = new Float64Array(2 * cfg.folds);
          const lmask = selectPerFold(lut, fold, own, cfg, eps, deriveSeed(seed, 1), lc);
          lookupCuts.push(lc);
          for (let i = 0; i < n; i++) {
            if (!isReference(own[i]!, cfg) || !(score[i] === score[i])) continue;
            refs++;
            if (lmask[i] === mask[i]) agree++;
          }
        }
      }
      const hists = masks.map((mask) => fillHistogram(snapshot.mjj, edges, mask));
      memberCounts = hists;
      const { counts, spread } = medianHistogram(hists);
      histogram = {
        edges: Array.from(edges),
        counts: Array.from(counts),
        spread: Array.from(spread),
        ...srVariance(counts, edges, snapshot.window.sr, masks, role, nSr, cfg.thresholdFrom),
        ...truthSignal(snapshot, edges, masks),
      };
    } else {
      const avg = averageScores(dataScores);
      const oneFold = new Uint8Array(n); // a single threshold over all events: the averaged score mixes folds
      const c = new Float64Array(2);
      masks = [selectPerFold(avg, oneFold, role.subarray(0, n), cfg, eps, deriveSeed(cfg.seed, 1), c)];
      cuts.push(c);
      const counts = fillHistogram(snapshot.mjj, edges, masks[0]);
      memberCounts = [counts];
      histogram = {
        edges: Array.from(edges),
        counts: Array.from(counts),
        ...srVariance(counts, edges, snapshot.window.sr, masks, role, nSr, cfg.thresholdFrom),
        ...truthSignal(snapshot, edges, masks),
      };
    }
    // Working points that select exactly the same events in every member (a tight ε at high mass keeps the same
    // one event per fold) are one selection: merged, so that they are not reported as two results.
    const last = out[out.length - 1];
    if (last && previous && masks.every((m, k) => sameMask(m, previous![k]!))) {
      last.mergedWorkingPoints = [...(last.mergedWorkingPoints ?? []), eps];
      continue;
    }
    previous = masks;
    const online: OnlineSelection | undefined = ensemble
      ? {
          ensemble,
          cuts,
          ...(lookupCuts.length === members.length && refs > 0 ? { lookupCuts, lookupAgreement: agree / refs } : {}),
          memberCounts: memberCounts.map((c) => Float64Array.from(c)),
          ...(snapshot.label
            ? {
                memberSignal: masks.map((mask) =>
                  fillHistogram(snapshot.mjj, edges, selectedSignal(mask, snapshot.label!)),
                ),
              }
            : {}),
        }
      : undefined;
    out.push({
      workingPoint: eps,
      histogram,
      model,
      ...(evaluation ? { evaluation } : {}),
      ...(online ? { online } : {}),
      pick: masks[0]!,
    });
  }
  const tabulated = out.flatMap((x) => (x.online?.lookupCuts ? [x.online] : []));
  if (ensemble && scoreTable && tabulated.length > 0) {
    ensemble.lookup = {
      grid: grid!,
      points: tabulated.length,
      votes: voteTable(
        ensemble,
        scoreTable,
        tabulated.map((o) => o.lookupCuts!),
      ),
    };
    tabulated.forEach((o, w) => {
      o.lookupPoint = w;
    });
  }
  return out;
}

/** Mask of the selected events that are truth signal. Hot (members × working points × events): a plain loop. */
function selectedSignal(mask: Uint8Array, label: Uint8Array): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = mask[i]! & label[i]!;
  return out;
}

/** The selected truth-signal events per bin (median over members), when the snapshot has labels. */
function truthSignal(snapshot: WindowSnapshot, edges: Float64Array, masks: Uint8Array[]): { signal?: number[] } {
  const label = snapshot.label;
  if (!label) return {};
  const hists = masks.map((mask) => fillHistogram(snapshot.mjj, edges, selectedSignal(mask, label)));
  return { signal: Array.from(hists.length === 1 ? hists[0]! : medianHistogram(hists).counts) };
}

/**
 * Per-event base weights with the SB events reweighted so that a named feature's distribution matches the SR's
 * (classify/decorrelate.ts reweightToMatch, over 20 SR quantile bins), times the input's own weights.
 */
function sidebandReweighting(
  snapshot: WindowSnapshot,
  role: Uint8Array,
  cfg: ClassifierConfig,
  wid: string,
): Float32Array | undefined {
  if (!cfg.reweightSidebands) return snapshot.weight;
  const f = snapshot.features.indexOf(cfg.reweightSidebands);
  if (f < 0)
    throw new SidebandError(
      `classifier (window ${wid}): reweightSidebands names '${cfg.reweightSidebands}', not among ${snapshot.features.join(', ')}`,
    );
  const x = snapshot.columns[f]!;
  const sr = Uint8Array.from(role, (r) => (r === ROLE_SR ? 1 : 0));
  const sb = Uint8Array.from(role, (r) => (r !== ROLE_SR && r !== ROLE_NONE ? 1 : 0));
  const ref = Float64Array.from(Array.from(x).filter((_, i) => sr[i])).sort();
  const q = (p: number) => ref[Math.min(ref.length - 1, Math.floor(p * ref.length))]!;
  const edges = Float64Array.from({ length: 21 }, (_, k) => (k === 0 ? -Infinity : k === 20 ? Infinity : q(k / 20)));
  const w = reweightToMatch(x, sb, sr, edges);
  if (snapshot.weight) for (let i = 0; i < w.length; i++) w[i] = w[i]! * snapshot.weight[i]!;
  return w;
}

function sameMask(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Variance of the selected SR count when the threshold comes from the SR: every member keeps exactly
 * k = Σ_folds round(ε·n_fold) of the N_SR SR events, so that part of the count moves with the data only as
 * (k/N_SR)·N_SR does, with variance k²/N_SR (≈ ε·k), far below the Poisson k; the other events in the SR bins (SB
 * events in bins that straddle the SR edge) are Poisson. With thresholds from the sidebands the SR count is a
 * thinned Poisson count: no override.
 */
function srVariance(
  counts: Float64Array,
  edges: Float64Array,
  sr: [number, number],
  masks: Uint8Array[],
  role: Uint8Array,
  nSr: number,
  thresholdFrom: 'sr' | 'sb',
): { srCountVariance?: number } {
  if (thresholdFrom !== 'sr' || !(nSr > 0)) return {};
  let t = 0;
  for (let b = 0; b < counts.length; b++) if (edges[b]! < sr[1] && edges[b + 1]! > sr[0]) t += counts[b]!;
  let k = 0;
  const mask = masks[0]!;
  for (let i = 0; i < mask.length; i++) if (mask[i] && role[i] === ROLE_SR) k++;
  return { srCountVariance: (k * k) / nSr + Math.max(t - k, 0) };
}

/**
 * Per fold, the threshold that keeps a fraction ε of the fold's SR events (or SB events, CMS's variant), and the
 * mask of all the fold's events (SR, SB and any scored event outside them) at or above it. Boosted trees give piecewise-constant scores, so many
 * events can sit exactly on the threshold; a plain `>=` would then pass far more than ε (all events, for a constant
 * model). Ties are therefore resolved at random (seeded): exactly round(ε·n) reference events pass, and every
 * tied non-reference event passes with the same probability as a tied reference event.
 */
/** Whether an event of this role sets the working point's cut (SR events, or SB events with thresholdFrom 'sb'). */
function isReference(role: number, cfg: Pick<ClassifierConfig, 'thresholdFrom'>): boolean {
  return cfg.thresholdFrom === 'sr' ? role === ROLE_SR : role !== ROLE_SR && role !== ROLE_NONE;
}

/**
 * Members whose jobs are in the pool at once. While its jobs run, a member holds arrays of the window's size (its
 * fold list and test rows, a scratch row list, its jobs' scores: about 25 bytes per event); all eleven of
 * atlas2024-cwola at once held 3.2 GB five minutes into the 150M-event run's largest window. Three members' jobs
 * (15 with five splits) keep the pool's workers busy across a member's end. Members are independent (own seeds,
 * own folds), so results do not depend on this.
 */
const MEMBERS_IN_FLIGHT = 3;

/** task(0 … count−1), at most `limit` at once, results in index order; the first failure rejects. */
async function inOrder<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < count && !failed) {
      const i = next++;
      try {
        out[i] = await task(i);
      } catch (e) {
        failed = true; // no new member after a failure
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return out;
}

export function selectPerFold(
  score: Float64Array,
  fold: Uint8Array,
  role: Uint8Array,
  cfg: Pick<ClassifierConfig, 'thresholdFrom'>,
  eps: number,
  seed = 0,
  /** Out: per fold f, [2f] the threshold and [2f+1] the pass probability of a tied non-reference event (online). */
  cuts?: Float64Array,
): Uint8Array {
  const n = score.length;
  let nFolds = 0;
  for (let i = 0; i < n; i++) if (fold[i]! + 1 > nFolds) nFolds = fold[i]! + 1;
  const mask = new Uint8Array(n);
  const rand = mulberry32(seed);
  const isRef = (i: number) => isReference(role[i]!, cfg);
  // Hot: each fold's events, ascending, by one counting pass (a fold then reads only its own events, in the order
  // a scan of all events would meet them, so the tie-breaking draws are the same).
  const start = new Uint32Array(nFolds + 1);
  for (let i = 0; i < n; i++) start[fold[i]! + 1]!++;
  for (let f = 0; f < nFolds; f++) start[f + 1]! += start[f]!;
  const byFold = new Uint32Array(n);
  const fill = start.slice(0, nFolds);
  for (let i = 0; i < n; i++) byFold[fill[fold[i]!]!++] = i;
  for (let f = 0; f < nFolds; f++) {
    const rows = byFold.subarray(start[f]!, start[f + 1]!);
    const ref: number[] = [];
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j]!;
      if (!(score[i]! === score[i]!)) continue;
      if (isRef(i)) ref.push(score[i]!);
    }
    if (cuts && 2 * f + 1 < cuts.length) {
      cuts[2 * f] = Infinity; // a fold without reference events selects nothing
      cuts[2 * f + 1] = 0;
    }
    if (ref.length === 0) continue;
    const thr = thresholdForEfficiency(ref, eps);
    const keep = Math.max(1, Math.round(eps * ref.length));
    let above = 0;
    let at = 0;
    for (const s of ref) {
      if (s > thr) above++;
      else if (s === thr) at++;
    }
    const need = keep - above; // tied reference events to pass, 1 ≤ need ≤ at
    const pAt = need / at;
    if (cuts && 2 * f + 1 < cuts.length) {
      cuts[2 * f] = thr;
      cuts[2 * f + 1] = pAt;
    }
    let refTiedSeen = 0;
    let refTiedPassed = 0;
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j]!;
      const s = score[i]!;
      if (s > thr) mask[i] = 1;
      else if (s === thr) {
        if (isRef(i)) {
          // Sequential sampling without replacement: exactly `need` of the `at` tied reference events pass.
          const left = at - refTiedSeen++;
          if (rand() * left < need - refTiedPassed) {
            mask[i] = 1;
            refTiedPassed++;
          }
        } else if (rand() < pAt) mask[i] = 1;
      }
    }
  }
  return mask;
}

/**
 * Region index of each event by ascending mjj edges (GeV), for the ECDF mapping. Events below the first edge or
 * above the last are mapped with the nearest region (the whole spectrum is scored, seed 001); NaN gets 255.
 */
export function regionsOf(mjj: Float32Array, edges: number[]): Uint8Array {
  if (edges.length - 1 > 254)
    throw new SidebandError(`classifier: ecdfEdges has ${edges.length - 1} regions (at most 254)`);
  const out = new Uint8Array(mjj.length).fill(ROLE_NONE);
  const last = edges.length - 1;
  for (let i = 0; i < mjj.length; i++) {
    const m = mjj[i]!;
    if (!(m === m)) continue;
    let r = 0;
    while (r < last - 1 && m >= edges[r + 1]!) r++;
    out[i] = r;
  }
  return out;
}

/** ECDF regions from the window itself: the SR, each SB, and the events below and above the window (two more). */
function ecdfRegionsOfWindow(snapshot: WindowSnapshot, role: Uint8Array): Uint8Array {
  const out = role.slice();
  const lo = snapshot.window.sr[0];
  for (let i = 0; i < out.length; i++) {
    const m = snapshot.mjj[i]!;
    if (out[i] === ROLE_NONE && m === m) out[i] = m < lo ? 253 : 254;
  }
  return out;
}

/**
 * round(fraction × |rows|) of `rows`, uniformly at random without replacement, kept in ascending order (selection
 * sampling, Knuth's Algorithm S: one pass, no sort). fraction ≥ 1 returns `rows` itself.
 */
export function subsampleRows(rows: Uint32Array, fraction: number, seed: number): Uint32Array {
  if (fraction >= 1) return rows;
  const want = Math.round(fraction * rows.length);
  const out = new Uint32Array(want);
  const rand = mulberry32(seed);
  let k = 0;
  for (let i = 0; i < rows.length && k < want; i++) if (rand() * (rows.length - i) < want - k) out[k++] = rows[i]!;
  return out;
}
/** Role of a template event in the training arrays (after the snapshot's own events). */
export const ROLE_TEMPLATE = 254;

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * What a window's templates report: the first template's info, and with an ensemble of templates its size and each
 * member's fidelity AUC against the SR data and the true SR background (their spread is the templates' spread).
 */
function templateInfo(all: SrTemplate[]): NonNullable<ModelInfo['template']> {
  const first = all[0]!.info;
  if (all.length === 1) return first;
  const auc = (k: 'aucVsData' | 'aucVsTruth') => all.map((t) => t.info.fidelity?.[k] ?? null);
  return {
    ...first,
    templates: all.length,
    trainSeconds: all.reduce((s, t) => s + t.info.trainSeconds, 0),
    memberFidelity: { aucVsData: auc('aucVsData'), aucVsTruth: auc('aucVsTruth') },
  };
}

/**
 * Roles and labels of a learned template's training arrays: the snapshot's events with their window roles (SR
 * data = 1, sidebands = 0 but not trained on), then the template's events (label 0, role ROLE_TEMPLATE).
 */
function learnedReference(
  snapshot: WindowSnapshot,
  tpl: SrTemplate,
): { name: string; role: Uint8Array; y: Uint8Array; nData: number; nTemplate: number } {
  const ref = sidebandReference(snapshot);
  if (tpl.columns.length !== snapshot.columns.length)
    throw new SidebandError(
      `classifier (window ${snapshot.window.id}): the ${tpl.info.model} template has ${tpl.columns.length} features, the data ${snapshot.columns.length}`,
    );
  const n = snapshot.n;
  const role = new Uint8Array(n + tpl.n);
  role.set(ref.role);
  role.fill(ROLE_TEMPLATE, n);
  const y = new Uint8Array(n + tpl.n);
  y.set(ref.y);
  return { name: tpl.info.model, role, y, nData: ref.nData, nTemplate: tpl.n };
}

/** Training weights: SR data their own (or 1), the template's scaled to the same total, sidebands 1 (unused). */
function learnedWeights(snapshot: WindowSnapshot, tpl: SrTemplate, nSr: number): Float32Array {
  const n = snapshot.n;
  const w = new Float32Array(n + tpl.n).fill(1);
  let sumData = 0;
  const [lo, hi] = snapshot.window.sr;
  for (let i = 0; i < n; i++) {
    const m = snapshot.mjj[i]!;
    if (!(m >= lo && m < hi)) continue;
    const v = snapshot.weight ? snapshot.weight[i]! : 1;
    w[i] = v;
    sumData += v;
  }
  let sumT = 0;
  for (let k = 0; k < tpl.n; k++) sumT += tpl.weight[k]!;
  const scale = sumT > 0 ? (sumData || nSr) / sumT : 1;
  for (let k = 0; k < tpl.n; k++) w[n + k] = tpl.weight[k]! * scale;
  return w;
}
