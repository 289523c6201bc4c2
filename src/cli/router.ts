/** `sideband router <topology.yaml> [--set key.path=value]... [--metrics-port P]`: see src/scaleout/router.ts. */
import { commandMetrics } from '../metrics/server.js';
import { runRouter } from '../scaleout/router.js';
import { loadTopology } from '../topology/load.js';
import { flag, metricsEndpoint, parseCommand } from './args.js';
import { kafkaPolicy } from '../kafka/config.js';
import { ROUTER } from './specs.js';

export async function routerCommand(argv: string[]): Promise<number> {
  const args = parseCommand(ROUTER, argv);
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
  const log = (m: string) => {
    if (!quiet) process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  };
  const { metrics, close } = await commandMetrics('router', metricsEndpoint(args, t), log);
  try {
    const r = await runRouter(t, { file, signal: ac.signal, log, observer: metrics.observer() });
    if (!quiet) process.stdout.write(`${JSON.stringify(r)}\n`);
  } finally {
    await close();
  }
  return 0;
}
