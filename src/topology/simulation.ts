import { ignoreElements, from, tap, type Observable } from 'rxjs';
import type { DecodeSpec } from '../events/decode.js';
import { OPERATORS } from '../operators/index.js';
import { WindowBuffers } from '../regions/buffers.js';
import type { SchemeWindow } from '../regions/index.js';
import { withEventLoopTurns } from '../sources/source.js';
import type { WindowSimulation } from '../training/template-runner.js';
import { openSource, runContext, type CompileOptions } from './compile.js';
import { ingestStages, type IngestPlan } from './ingest.js';
import type { Topology } from './schema.js';

/**
 * The simulated events of a SALAD run (the topology's `simulation:` source): read in full, before the data stream
 * starts, through the data's own ingest stages (decode, derive, the same cuts), and routed into window buffers of
 * their own, so every window's template sees the simulated events of its SR and sidebands. Simulation has its own
 * counters and cut flow (logged once read): the run's counts, triggers and spectra stay those of the data.
 */
export interface RunSimulation {
  buffers: WindowBuffers;
  /** Completes when the whole simulation is routed (subscribe before the data stream). */
  load$: Observable<never>;
  /** A window's simulated events. */
  of: WindowSimulation;
  close(): Promise<void>;
}

export async function runSimulation(
  t: Topology,
  spec: DecodeSpec,
  ingest: IngestPlan,
  windows: SchemeWindow[],
  opts: CompileOptions,
): Promise<RunSimulation> {
  const { counters, cutflow, ctx, onSourceError } = runContext(ingest.cuts, {
    ...opts,
    // Simulation events are not the run's events: no metrics, but bad rows still reach the dead-letter route.
    observer: {},
  });
  const source = await openSource({ ...t, source: t.simulation! }, spec, onSourceError, opts.file, {}, opts);
  const buffers = new WindowBuffers(windows, t.features, {
    weight: spec.weight !== undefined,
    label: spec.label !== undefined,
    maxStoreBytes: t.memory?.storeBytes,
    memoryBudget: t.store?.memoryBudget,
    spillDir: t.store?.spillDir,
  });
  const load$ = from(withEventLoopTurns(source.batches(opts.sourceSignal))).pipe(
    ingestStages(ingest, ctx),
    OPERATORS.route(buffers, ctx),
    tap({
      complete: () => {
        const passed = cutflow.entries().at(-1)?.pass ?? 0;
        ctx.log(
          `simulation: ${source.description}: ${counters.read} events read, ${passed} selected, ${counters.stored} in the windows`,
        );
      },
    }),
    ignoreElements(),
  );
  return {
    buffers,
    load$,
    of: (window, features) => {
      const g = buffers.windowEvents(window, features);
      return { columns: g.columns, mjj: g.mjj, ...(g.weight ? { weight: g.weight } : {}) };
    },
    close: async () => {
      await source.close?.();
      buffers.store.close();
    },
  };
}
