/**
 * Worker entry of data-parallel neural training (see nn-parallel.ts): builds the job's model in a shared heap,
 * swaps heap buffers with the other replicas, runs src/nn's fit loop as replica `index`, and posts epoch reports
 * and, at the end, the trained model.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fit, type Objective } from '../nn/fit.js';
import { ConditionalFlow } from '../nn/flows/flow.js';
import { Network } from '../nn/network.js';
import { NetworkObjective } from '../nn/objective.js';
import { saveFlow, saveNetwork } from '../nn/serialize.js';
import type { Heap } from '../nn/backend.js';
import { ThreadReplica } from './nn-replica.js';
import type { WorkerSetup } from './nn-parallel.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;

function build(): {
  heap: Heap;
  objective: Objective;
  train: Uint32Array;
  val: Uint32Array | null;
  save: () => unknown;
} {
  const job = setup.job;
  if (job.kind === 'network') {
    const net = new Network(job.spec, {
      seed: job.seed,
      backend: job.backend,
      capacity: job.capacity ?? job.fit.batchSize,
      shared: true,
    });
    const objective = new NetworkObjective(net, { x: job.x, y: job.y, w: job.w }, job.loss);
    return { heap: net.heap, objective, train: job.train, val: job.val ?? null, save: () => net };
  }
  const flow = new ConditionalFlow(job.spec, {
    seed: job.seed,
    backend: job.backend,
    capacity: job.capacity ?? job.fit.batchSize,
    shared: true,
  });
  flow.preprocessor = setup.preprocessor;
  // X holds the training rows, then the validation rows (both preprocessed by the main thread)
  const nTrain = setup.flowTrainRows!;
  const nAll = job.X.length / job.spec.features;
  const train = Uint32Array.from({ length: nTrain }, (_, i) => i);
  const val = nAll > nTrain ? Uint32Array.from({ length: nAll - nTrain }, (_, i) => nTrain + i) : null;
  return { heap: flow.heap, objective: flow.objective(job.X, job.m), train, val, save: () => flow };
}

try {
  const b = build();
  const replica = new ThreadReplica(setup.index, setup.count, setup.control, b.heap, b.objective.params);
  port.postMessage({ type: 'heap', heap: b.heap.buffer });
  port.once('message', (msg: { type: string; heaps: (SharedArrayBuffer | ArrayBuffer)[] }) => {
    try {
      replica.setPeers(msg.heaps);
      const result = fit(b.objective, b.train, b.val, {
        ...setup.job.fit,
        replica,
        onEpoch: (report) => {
          if (setup.index === 0) port.postMessage({ type: 'epoch', report });
        },
      });
      const model = b.save();
      if (setup.index === 0) {
        let saved: ReturnType<typeof saveFlow> | ReturnType<typeof saveNetwork>;
        if (model instanceof ConditionalFlow) {
          model.training = result;
          saved = saveFlow(model, { extra: setup.job.extra });
        } else saved = saveNetwork(model as Network, { training: result, extra: setup.job.extra });
        port.postMessage({ type: 'done', model: saved, result });
      } else port.postMessage({ type: 'done' });
    } catch (e) {
      ThreadReplica.fail(setup.control);
      port.postMessage({ type: 'error', error: e instanceof Error ? e.message : String(e) });
    }
  });
} catch (e) {
  ThreadReplica.fail(setup.control);
  port.postMessage({ type: 'error', error: e instanceof Error ? e.message : String(e) });
}
