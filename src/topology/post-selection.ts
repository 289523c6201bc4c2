/**
 * The part of a topology after the selection: canonical columns in (the stored features and mjj, in GeV), no
 * derivation, no cuts. A scaled-out worker runs one window of it on the router's records; validation runs it on
 * pseudo-datasets made from the selected events (down-up sampling). Everything downstream of the window buffers
 * (trigger, classifier, fit, statistics, alert) is the topology's own.
 */
import type { Topology } from './schema.js';

export function postSelectionTopology(t: Topology, stored: string[], windows?: Topology['windows']): Topology {
  const columns: Topology['columns'] = {};
  for (const f of stored) columns[f] = f === 'mjj' ? 'GeV' : 'none';
  return {
    ...t,
    columns,
    ...(t.label ? { label: 'label' } : {}),
    ...(t.weight ? { weight: 'weight' } : {}),
    derive: { mjj: 'column', features: [] },
    cuts: 'none',
    ...(windows ? { windows } : {}),
  };
}
