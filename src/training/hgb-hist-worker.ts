/**
 * Helper thread of ThreadedHistograms (hgb-threads.ts): waits on the shared control array, fills its share of a
 * node's block histograms (blocks b with b mod T = its thread number) and reports. Runs a synchronous loop: the
 * fit's arrays arrive as a message read with receiveMessageOnPort, so no event-loop turn is needed between steps.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { accumulateBlock, HIST_BLOCK, histogramLength, type HistogramInputs } from '../classify/hgb.js';
import { SidebandError } from '../events/errors.js';
import { CTL, KIND, type AttachMessage } from './hgb-threads.js';

if (!parentPort) throw new SidebandError('hgb-hist-worker: must run as a worker thread');
const port = parentPort;
const { ctl, thread, threads } = workerData as { ctl: Int32Array; thread: number; threads: number };

let seen = 0;
let x: HistogramInputs | undefined;
let partials: Float64Array = new Float64Array(0);
let len = 0;
for (;;) {
  Atomics.wait(ctl, CTL.seq, seen);
  seen = Atomics.load(ctl, CTL.seq);
  const kind = Atomics.load(ctl, CTL.kind);
  if (kind === KIND.exit) break;
  try {
    if (kind === KIND.attach) {
      // Posted before the signal; spin briefly in case it is not yet queued on this side.
      let m = receiveMessageOnPort(port);
      while (!m) m = receiveMessageOnPort(port);
      const a = m.message as AttachMessage;
      x = { binned: a.binned, nFeatures: a.nFeatures, idx: a.idx, grad: a.grad, hess: a.hess };
      partials = a.partials;
      len = histogramLength(a.nFeatures);
    } else if (kind === KIND.build && x) {
      const start = Atomics.load(ctl, CTL.start),
        stop = Atomics.load(ctl, CTL.stop),
        root = Atomics.load(ctl, CTL.root) === 1;
      const blocks = Math.ceil((stop - start) / HIST_BLOCK);
      for (let b = thread; b < blocks; b += threads) {
        const s = start + b * HIST_BLOCK;
        partials.fill(0, b * len, (b + 1) * len);
        accumulateBlock(x, s, Math.min(stop, s + HIST_BLOCK), root, partials, b * len);
      }
    }
  } catch {
    Atomics.store(ctl, CTL.failed, 1);
  }
  Atomics.add(ctl, CTL.done, 1);
  Atomics.notify(ctl, CTL.done);
}
