/**
 * Compile a tail-search topology (a `conrad:` block, seed 004) into a runnable flow: source → decode → derive →
 * select → abcd. The single window is read in the tail feature (its SR is the tail M > M_c, its SB the region
 * below); the window buffers store the classifier features and the control marker; at end of stream CONRAD runs
 * once and emits one result per false-positive-rate working point (src/operators/abcd.ts).
 */
import { from, tap } from 'rxjs';
import type { EventBatch, SourcePosition } from '../events/batch.js';
import { cutFeatures } from '../events/cuts.js';
import { DERIVED_FEATURES } from '../events/derive.js';
import { TopologyError } from '../events/errors.js';
import { OPERATORS } from '../operators/index.js';
import { WindowBuffers } from '../regions/buffers.js';
import { withEventLoopTurns } from '../sources/source.js';
import type { AnalysisPlan } from '../analysis/analyse-window.js';
import {
  type CompiledRun,
  type CompileOptions,
  decodeSpec,
  openSource,
  resolveCuts,
  runContext,
  topologyWindows,
} from './compile.js';
import { ingestPlan, ingestStages } from './ingest.js';
import type { Topology } from './schema.js';

export async function compileConrad(t: Topology, opts: CompileOptions): Promise<CompiledRun> {
  const file = opts.file;
  const block = t.conrad!;
  const spec = decodeSpec(t);
  const cuts = resolveCuts(t, file);
  const windows = topologyWindows(t, file);
  if (windows.length !== 1 || windows[0]!.sb.length !== 1 || windows[0]!.sb[0]![1] !== windows[0]!.sr[0])
    throw new TopologyError(
      'a tail search (conrad) takes one window whose SR is the tail and whose one SB lies just below it ' +
        '(windows: {scheme: single, sr: [cut, max], sb: [[min, cut]]}, in the tail feature)',
      { file, path: 'windows' },
    );
  const provided = new Set(Object.keys(spec.columns));
  for (const [p, c] of [
    ['conrad.tailFeature', block.tailFeature],
    ['conrad.control.column', block.control.column],
  ] as const)
    if (!provided.has(c)) throw new TopologyError(`'${c}' is not a mapped column (columns)`, { file, path: p });
  for (const [i, f] of (block.logFeatures ?? []).entries())
    if (!t.features.includes(f))
      throw new TopologyError(`'${f}' is not one of the features`, { file, path: `conrad.logFeatures[${i}]` });
  if (t.classifier.kind !== 'none')
    throw new TopologyError("a tail search trains its own classifier (conrad.classifier); leave 'classifier' out", {
      file,
      path: 'classifier',
    });
  // What must be derived: the features, the cuts' and derive.features' inputs the source does not give. No mjj.
  const derived = [...new Set([...t.derive.features, ...cutFeatures(cuts), ...t.features])].filter(
    (f) => !provided.has(f),
  );
  const unknown = derived.filter((f) => !(DERIVED_FEATURES as readonly string[]).includes(f));
  if (unknown.length)
    throw new TopologyError(
      `feature${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} neither mapped nor derivable`,
      {
        file,
        path: 'features',
      },
    );
  const { counters, cutflow, ctx, onSourceError } = runContext(cuts, opts);
  const source = opts.source ?? (await openSource(t, spec, onSourceError, file, ctx.observer, opts));
  const stored = [...t.features, block.control.column];
  const buffers = new WindowBuffers(windows, stored, {
    weight: spec.weight !== undefined,
    label: spec.label !== undefined,
    maxStoreBytes: t.memory?.storeBytes,
  });
  const ingest = ingestPlan(spec, cuts, derived, 'column', stored);
  const model = `conrad (${block.flow?.type ?? 'maf'} flow, hgb x${block.classifier?.ensemble ?? 5})`;
  const plan: AnalysisPlan = {
    runId: opts.runId,
    topology: t.name,
    features: t.features,
    binning: t.binning,
    workingPoints: t.workingPoints,
    fit: t.fit,
    concurrency: 1,
    queue: 0,
    model,
  };
  const routed = new Map<string, SourcePosition>();
  const batches = withEventLoopTurns(source.batches(opts.sourceSignal));
  const results$ = from(opts.wrapBatches ? opts.wrapBatches(batches) : batches).pipe(
    ingestStages(ingest, ctx),
    tap((b: EventBatch) => {
      for (const p of b.positions)
        routed.set(p.kind === 'kafka' ? `${p.topic}\u0000${p.partition}` : p.kind === 'file' ? p.file : 'generator', p);
    }),
    OPERATORS.abcd(
      buffers,
      {
        runId: opts.runId,
        topology: t.name,
        features: t.features,
        block,
        workingPoints: t.workingPoints,
        seed: t.seed,
      },
      ctx,
    ),
  );
  return {
    topology: t,
    source,
    windows,
    buffers,
    counters,
    cutflow,
    cuts,
    plan,
    results$,
    positions: () => [...routed.values()],
    close: async () => {
      await source.close?.();
    },
  };
}
