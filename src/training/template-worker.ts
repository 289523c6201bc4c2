/**
 * Worker-thread entry that learns one window's background template (src/background): a flow trains for seconds
 * to minutes, so it runs here and the main thread's event loop stays free for ingestion and metrics.
 */
import { parentPort } from 'node:worker_threads';
import { learnTemplate, type BackgroundConfig } from '../background/models.js';
import type { SrTemplate, TemplateInput } from '../background/template.js';
import { SidebandError } from '../events/errors.js';

if (!parentPort) throw new SidebandError('template-worker: must run as a worker thread');
const port = parentPort;

port.on('message', (msg: { input: TemplateInput; config: BackgroundConfig; label?: Uint8Array }) => {
  let tpl: SrTemplate;
  try {
    tpl = learnTemplate(msg.input, msg.config, msg.label);
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.message : String(e) });
    return;
  }
  port.postMessage({ template: tpl }, [
    ...tpl.columns.map((c) => c.buffer as ArrayBuffer),
    tpl.mjj.buffer as ArrayBuffer,
  ]);
});
