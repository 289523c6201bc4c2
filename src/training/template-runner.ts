/**
 * Learns a window's background template off the event loop: one worker thread per template (a template is one
 * long job per window, not a pool of short ones), or inline when the classifier trains inline (workers = 0).
 */
import { Worker } from 'node:worker_threads';
import { learnTemplate, type BackgroundConfig } from '../background/models.js';
import type { SrTemplate, TemplateInput } from '../background/template.js';
import { SidebandError } from '../events/errors.js';
import type { WindowSnapshot } from '../events/snapshot.js';

/** A window's simulated events (SALAD), in the snapshot's feature order; absent when the run has no simulation. */
export type WindowSimulation = (window: WindowSnapshot['window'], features: string[]) => TemplateInput['simulation'];

/** The template input of a snapshot (its columns are copies already, so they are sent as they are). */
export function templateInputOf(snapshot: WindowSnapshot, seed: number, simulation?: WindowSimulation): TemplateInput {
  const sim = simulation?.(snapshot.window, snapshot.features);
  return {
    features: snapshot.features,
    columns: snapshot.columns,
    mjj: snapshot.mjj,
    ...(snapshot.weight ? { weight: snapshot.weight } : {}),
    sr: snapshot.window.sr,
    sb: snapshot.window.sb,
    seed,
    ...(sim ? { simulation: sim } : {}),
  };
}

export async function learnWindowTemplate(
  snapshot: WindowSnapshot,
  config: BackgroundConfig,
  seed: number,
  inline: boolean,
  simulation?: WindowSimulation,
): Promise<SrTemplate> {
  const input = templateInputOf(snapshot, seed, simulation);
  const wid = snapshot.window.id;
  if (inline) {
    try {
      return learnTemplate(input, config, snapshot.label);
    } catch (e) {
      throw new SidebandError(`background ${config.model} (window ${wid}): ${(e as Error).message}`, { cause: e });
    }
  }
  const w = new Worker(new URL('./template-worker.js', import.meta.url));
  try {
    return await new Promise<SrTemplate>((resolve, reject) => {
      w.once('message', (msg: { template?: SrTemplate; error?: string }) => {
        if (msg.template) resolve(msg.template);
        else reject(new SidebandError(`background ${config.model} (window ${wid}): ${msg.error}`));
      });
      w.once('error', (e) =>
        reject(
          new SidebandError(`background ${config.model} (window ${wid}): worker crashed: ${e.message}`, { cause: e }),
        ),
      );
      w.postMessage({ input, config, ...(snapshot.label ? { label: snapshot.label } : {}) });
    });
  } finally {
    await w.terminate();
  }
}
