/**
 * Window histograms as UHI JSON (schema version 1, scikit-hep/uhi `histogram.schema.json`): the serialisation that
 * boost-histogram and hist read directly (`hist.Hist(d)` on the decoded dictionary, `uhi.io.json.object_hook`).
 * Per result two histograms over the same variable mjj axis (GeV, no flow bins):
 *   - `observed`: weighted storage, values = the (ensemble-median) counts, variances = the counts (the statistics
 *     treat an ensemble median as Poisson: src/classify/ensemble.ts);
 *   - `background`: the sideband fit's prediction, variances = its uncertainty² (absent without a fit).
 */
import type { WindowResult } from '../events/result.js';

export type UhiMetadata = Record<string, string | number | boolean>;

export interface UhiHistogram {
  uhi_schema: 1;
  writer_info: Record<string, UhiMetadata>;
  metadata: UhiMetadata;
  axes: {
    type: 'variable';
    edges: number[];
    underflow: false;
    overflow: false;
    circular: false;
    metadata: UhiMetadata;
  }[];
  storage: { type: 'weighted'; values: number[]; variances: number[] };
}

const WRITER = { sideband: { version: '0.1.0' } };

function histogram(edges: number[], values: number[], variances: number[], metadata: UhiMetadata): UhiHistogram {
  return {
    uhi_schema: 1,
    writer_info: WRITER,
    metadata,
    axes: [
      {
        type: 'variable',
        edges,
        underflow: false,
        overflow: false,
        circular: false,
        metadata: { name: 'mjj', label: 'm_jj [GeV]', unit: 'GeV' },
      },
    ],
    storage: { type: 'weighted', values, variances },
  };
}

/** The UHI histograms of one result, keyed `<name>-observed` and `<name>-background`. */
export function resultHistograms(r: WindowResult, name: string): Record<string, UhiHistogram> {
  const h = r.histogram;
  if (!h || h.counts.length === 0 || h.edges.length !== h.counts.length + 1) return {};
  const meta: UhiMetadata = {
    window: r.window.id,
    sr_low_GeV: r.window.sr[0],
    sr_high_GeV: r.window.sr[1],
    working_point: r.workingPoint ?? 'inclusive',
    trigger: r.trigger,
    run_id: r.runId,
    topology: r.topology,
  };
  const out: Record<string, UhiHistogram> = {
    [`${name}-observed`]: histogram(h.edges, h.counts, h.counts, { ...meta, kind: 'observed' }),
  };
  const f = r.fit;
  if (f && f.prediction.length === h.counts.length && f.function) {
    out[`${name}-background`] = histogram(
      h.edges,
      f.prediction,
      f.predictionErr.map((e) => e * e),
      {
        ...meta,
        kind: 'background fit',
        function: f.function,
        converged: f.converged,
      },
    );
  }
  return out;
}
