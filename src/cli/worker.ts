/** `sideband worker <topology.yaml> [--set key.path=value]... [--run-id ID] [--metrics-port P]`: see src/scaleout/worker.ts. */
import { commandMetrics } from '../metrics/server.js';
import { Worker } from '../scaleout/worker.js';
import { loadTopology } from '../topology/load.js';
import { flag, metricsEndpoint, parseCommand } from './args.js';
import { kafkaPolicy } from '../kafka/config.js';
import { WORKER } from './specs.js';

export async function workerCommand(argv: string[]): Promise<number> {
  const args = parseCommand(WORKER, argv);
  // Cleartext SASL and TLS without certificate checks only when asked for (src/kafka/config.ts).
  kafkaPolicy.insecure = flag(args, 'insecure') === 'true';
  const file = args.positional[0]!;
  const quiet = flag(args, 'quiet') === 'true';
  const t = await loadTopology(file, args.flags.get('set') ?? [], (m) => {
    if (!quiet) process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  });
  const ac = new AbortController();
  process.once('SIGTERM', () => ac.abort());
  process.once('SIGINT', () => ac.abort());
  const runId = flag(args, 'run-id');
  const log = (m: string) => {
    if (!quiet) process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  };
  const { metrics, close } = await commandMetrics('worker', metricsEndpoint(args, t), log);
  try {
    const w = new Worker(t, {
      file,
      signal: ac.signal,
      ...(runId ? { runId } : {}),
      log,
      observer: metrics.observer(),
    });
    await w.run();
  } finally {
    await close();
  }
  return 0;
}
