import path from 'node:path';
import { UsageError } from '../events/errors.js';
import { commandMetrics } from '../metrics/server.js';
import { runTopology } from '../run.js';
import { loadTopology } from '../topology/load.js';
import { flag, metricsEndpoint, parseArgs } from './args.js';
import { Progress } from './progress.js';
import { summaryTable } from './summary.js';

export async function runCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['quiet']);
  const file = args.positional[0];
  if (!file) {
    throw new UsageError(
      'usage: sideband run <topology.yaml> [--out DIR] [--set key.path=value]... [--metrics-port P] [--quiet]',
    );
  }
  const topology = await loadTopology(file, args.flags.get('set') ?? []);
  const outDir = flag(args, 'out') ?? path.join('out', topology.name);
  const quiet = flag(args, 'quiet') === 'true';
  const log = (m: string) => {
    if (!quiet) process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  };
  log(
    `sideband run ${topology.name}: ${topology.source.kind} source, ${topology.windows.scheme} windows, classifier ${topology.classifier.kind}, output ${outDir}`,
  );
  const { metrics, close } = await commandMetrics('run', metricsEndpoint(args, topology), log);
  // The Kafka client loads only for topologies that declare Kafka sinks.
  const kafka = topology.sinks.kafka
    ? await (await import('../sinks/kafka.js')).openTopologyKafkaSinks(topology, file)
    : undefined;
  try {
    const { summary, results } = await runTopology(topology, {
      file,
      outDir,
      log,
      metrics,
      progress: quiet ? undefined : (run, t0) => new Progress(run, t0),
      onResult: kafka && ((r) => kafka.result(r)),
      onAlert: kafka && ((a) => kafka.alert(a)),
      flush: kafka && (() => kafka.close()),
    });
    if (!quiet) process.stdout.write(summaryTable(summary, results));
  } finally {
    await close();
  }
  return 0;
}
