/**
 * The stream's view of seed 003's CMS methods (`method:` in a topology): a HistogramSelector that trains the
 * method once per state of the data — the whole SR sample a window snapshot holds (with `binning.range` every
 * snapshot holds all of it) and the control region collected beside the stream — and selects every window's
 * events with that one model, as CMS trains one model per search, not one per mass bin. Training runs on the
 * calling thread between turns of the event loop (end-of-stream analyses: ingestion is over by then).
 */
import type { HistogramSelector, Selection } from '../analysis/analyse-window.js';
import { trainVaeQr, vaeQrSelections, type VaeQrConfig, type VaeQrModel } from '../analysis/cms/vae-qr.js';
import { trainTntAutoencoder, tntSelections, type TntConfig } from '../analysis/cms/tnt.js';
import type { Autoencoder } from '../classify/autoencoder.js';
import { quakSelections, trainQuak, type QuakConfig, type QuakModel } from '../analysis/cms/quak.js';
import type { JetSample } from '../analysis/cms/jets.js';
import { applyCuts, cutFeatures, type Cut } from '../events/cuts.js';
import { deriveFeatures, type MjjMode } from '../events/derive.js';
import { EventGenerator, parseResonanceSpec } from '../sources/generator.js';
import { SidebandError } from '../events/errors.js';
import type { WindowSnapshot } from '../events/snapshot.js';
import type { ControlRegionCollector } from '../regions/control-region.js';

export type CmsMethodConfig = (VaeQrConfig | TntConfig | QuakConfig) & { controlRegion?: string };

const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

export function cmsMethodSelector(
  method: CmsMethodConfig,
  opts: {
    seed: number;
    /** Every working point any window asks for (the regressions are trained for all at once). */
    workingPoints: number[];
    control?: ControlRegionCollector;
    log?: (m: string) => void;
    /** What simulated samples must pass (QUAK): the topology's cuts, features and mjj mode. */
    cuts?: Cut[];
    features?: string[];
    mjjMode?: MjjMode;
  },
): { select: HistogramSelector; model: string } {
  const log = opts.log ?? (() => {});
  if (method.kind === 'tnt') return tntSelector(method, opts, log);
  if (method.kind === 'quak') return quakSelector(method, opts, log);
  const levels = [...new Set(opts.workingPoints.map((wp) => 1 - wp))].sort((a, b) => a - b);
  let cached: { key: string; model: Promise<VaeQrModel> } | undefined;
  const modelFor = (snap: WindowSnapshot): Promise<VaeQrModel> => {
    const control = opts.control;
    if (!control) throw new SidebandError(`method ${method.kind}: needs a control region (method.controlRegion)`);
    const key = `${snap.n}/${control.size}`;
    if (cached?.key !== key) {
      cached = {
        key,
        model: pause().then(() => {
          const m = trainVaeQr(method as VaeQrConfig, snap, control.sample(), levels, opts.seed);
          log(
            `vae-qr: autoencoder on ${m.controlJets} control-region jets (${m.seconds.autoencoder.toFixed(1)} s), ` +
              `${m.folds}-fold quantile regressions at ${levels.join(', ')} on ${m.srEvents} SR events (${m.seconds.regression.toFixed(1)} s)`,
          );
          return m;
        }),
      };
    }
    return cached.model;
  };
  return {
    model: method.kind,
    select: async (snap, edges, workingPoints): Promise<Selection[]> => {
      const model = await modelFor(snap);
      await pause();
      return vaeQrSelections(model, snap, edges, workingPoints);
    },
  };
}

/** Tag N' Train: the autoencoder once per control sample, the classifiers per window (they learn its SR). */
function tntSelector(
  method: TntConfig,
  opts: { seed: number; control?: ControlRegionCollector },
  log: (m: string) => void,
): { select: HistogramSelector; model: string } {
  let cached: { key: number; ae: Promise<Autoencoder> } | undefined;
  return {
    model: 'tnt',
    select: async (snap, edges, workingPoints) => {
      const control = opts.control;
      if (!control) throw new SidebandError('method tnt: needs a control region (method.controlRegion)');
      if (cached?.key !== control.size) {
        cached = {
          key: control.size,
          ae: pause().then(() => {
            const ae = trainTntAutoencoder(method, control.sample(), opts.seed);
            log(`tnt: autoencoder on ${2 * control.size} control-region jets (${ae.training.seconds.toFixed(1)} s)`);
            return ae;
          }),
        };
      }
      const ae = await cached.ae;
      await pause();
      return tntSelections(method, ae, snap, edges, workingPoints, opts.seed);
    },
  };
}

/**
 * Generated events through the topology's cuts and features: QUAK's "simulation", and a comparison's injected
 * signal. `rows`: each kept event's position among the generated ones.
 */
export function simulate(
  events: number,
  seed: number,
  signals: string[],
  signalEvents: number,
  o: { cuts: Cut[]; features: string[]; mjjMode: MjjMode },
): JetSample & { rows: Uint32Array } {
  const specs = signals.map((t, k) => ({
    // Mixture members are written without n (the last n= wins when one is given); the events are shared evenly.
    ...parseResonanceSpec(`${t},n=0`),
    n: Math.floor(signalEvents / signals.length) + (k < signalEvents % signals.length ? 1 : 0),
  }));
  const g = new EventGenerator({ events, seed, mjjMin: 1200, substructure: 'cms2024', signals: specs });
  const b = g.next(events);
  deriveFeatures(b, [...cutFeatures(o.cuts), ...o.features, 'mjj'], o.mjjMode);
  applyCuts(b, o.cuts);
  const sel = b.selection!;
  return {
    features: o.features,
    columns: o.features.map((f) => Float32Array.from(sel, (i) => b.columns[f]![i]!)),
    mjj: Float32Array.from(sel, (i) => b.columns.mjj![i]!),
    n: sel.length,
    rows: Uint32Array.from(sel),
  };
}

/** QUAK: both flows trained once on simulation (generated here, with seeds apart from the data's). */
function quakSelector(
  method: QuakConfig,
  opts: { seed: number; cuts?: Cut[]; features?: string[]; mjjMode?: MjjMode },
  log: (m: string) => void,
): { select: HistogramSelector; model: string } {
  let model: Promise<QuakModel> | undefined;
  return {
    model: 'quak',
    select: async (snap, edges, workingPoints) => {
      model ??= pause().then(() => {
        const sim = method.simulation;
        if (!sim) throw new SidebandError('method quak: needs method.simulation (background events and signal models)');
        const o = {
          cuts: opts.cuts ?? [],
          features: opts.features ?? snap.features,
          mjjMode: opts.mjjMode ?? 'column',
        };
        const simSeed = sim.seed ?? opts.seed + 1_000_003;
        const bkg = simulate(sim.events, simSeed, [], 0, o);
        const sig = simulate(sim.signalEvents, simSeed + 1, sim.signals, sim.signalEvents, o);
        const m = trainQuak(method, bkg, sig, opts.seed);
        log(
          `quak: flows on ${bkg.n} simulated background and ${sig.n} simulated signal events (${m.seconds.toFixed(1)} s)`,
        );
        return m;
      });
      const m = await model;
      await pause();
      return quakSelections(m, snap, edges, workingPoints, opts.seed);
    },
  };
}
