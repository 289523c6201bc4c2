/**
 * The hash of what defines a topology's per-window Z: the columns, derived features, cuts, windows, trigger policy,
 * binning, classifier, method, background model, working points and fit. A calibration (`sideband validate`)
 * records it and a run refuses a calibration whose hash differs, since a mean and width measured for one analysis
 * say nothing about another. Left out: the source (the calibration is applied to new data, that is its purpose),
 * the seed (every validation sample has its own), and what only reports (name, sinks, alert, plots, statistics,
 * metrics, concurrency).
 */
import { createHash } from 'node:crypto';
import type { Topology } from './schema.js';

const ANALYSIS_KEYS = [
  'columns',
  'label',
  'weight',
  'derive',
  'cuts',
  'windows',
  'features',
  'trigger',
  'binning',
  'classifier',
  'method',
  'background',
  'workingPoints',
  'fit',
  'conrad',
] as const;

/** JSON with object keys sorted, so that the hash does not depend on the order a file writes them in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** sha256 (hex) of the topology's analysis blocks. */
export function analysisHash(t: Topology): string {
  const picked: Record<string, unknown> = {};
  for (const k of ANALYSIS_KEYS) picked[k] = (t as unknown as Record<string, unknown>)[k];
  return createHash('sha256').update(canonical(picked)).digest('hex');
}
