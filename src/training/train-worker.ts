/**
 * Worker-thread entry of the training pool: receives TrainJobs, posts progress and results. Training here keeps
 * the main thread's event loop free for ingestion.
 */
import { parentPort } from 'node:worker_threads';
import { forestBuffers } from '../classify/forest.js';
import { runTrainJob, type TrainJob } from '../classify/train-job.js';
import { SidebandError } from '../events/errors.js';
import { loadTf } from './tfjs-backend.js';
import { histogramThreads } from './hgb-threads.js';

if (!parentPort) throw new SidebandError('train-worker: must run as a worker thread');
const port = parentPort;

port.on('message', (msg: { id: number; job: TrainJob }) => {
  let last = 0;
  runTrainJob(msg.job, { tf: loadTf, histograms: histogramThreads }, (done, total) => {
    // Throttle progress messages: at most one per 5 % of the job.
    if (done === total || done - last >= Math.max(1, Math.floor(total / 20))) {
      last = done;
      port.postMessage({ id: msg.id, progress: [done, total] });
    }
  }).then(
    (result) =>
      port.postMessage({ id: msg.id, result }, [
        ...result.scores.map((s) => s.buffer as ArrayBuffer),
        ...(result.forest ? forestBuffers(result.forest) : []),
        ...(result.lookup ? [result.lookup.buffer as ArrayBuffer] : []),
      ]),
    (e: unknown) => port.postMessage({ id: msg.id, error: e instanceof Error ? `${e.message}` : String(e) }),
  );
});
