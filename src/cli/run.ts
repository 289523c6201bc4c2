/**
 * `sideband run <topology.yaml>`: load the topology (with --set overrides), run it, print the summary table and
 * end with the run's status: exit 0 when it produced results, 3 when no input was usable, 4 when every analysis
 * failed (src/cli/exit-codes.ts). Those verdicts are thrown as errors, so they are printed by main.ts even under
 * --quiet. SIGINT/SIGTERM stop the run without replacing the previous outputs.
 */
import path from 'node:path';
import { AnalysisError, NoInputError } from '../events/errors.js';
import { commandMetrics } from '../metrics/server.js';
import { runTopology } from '../run.js';
import { loadTopology } from '../topology/load.js';
import { flag, metricsEndpoint, parseCommand } from './args.js';
import { Progress } from './progress.js';
import { RUN } from './specs.js';
import { summaryTable } from './summary.js';

export async function runCommand(argv: string[]): Promise<number> {
  const args = parseCommand(RUN, argv);
  const file = args.positional[0]!;
  const quiet = flag(args, 'quiet') === 'true';
  // Log lines go above the progress display while it is drawn, plain to stderr otherwise.
  let progress: Progress | undefined;
  const log = (m: string) => {
    if (quiet) return;
    if (progress) progress.log(m);
    else process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  };
  const overrides = args.flags.get('set') ?? [];
  const topology = await loadTopology(file, overrides, log);
  const outDir = flag(args, 'out') ?? path.join('out', topology.name);
  // Handlers first, so that a signal at any later moment stops the run the same way.
  const ac = new AbortController();
  const onSignal = (sig: string) => {
    if (ac.signal.aborted) process.exit(130); // a second signal: stop now
    log(`${sig}: stopping; ${outDir} is left as it was (press again to quit at once)`);
    ac.abort();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  log(
    `sideband run ${topology.name}: ${topology.source.kind} source, ${topology.windows.scheme} windows, classifier ${topology.classifier.kind}, output ${outDir}`,
  );
  const { metrics, close } = await commandMetrics('run', metricsEndpoint(args, topology), log);
  // The Kafka client loads only for topologies that declare Kafka sinks.
  const kafka = topology.sinks.kafka
    ? await (await import('../sinks/kafka.js')).openTopologyKafkaSinks(topology, file)
    : undefined;
  let kafkaClosed = false;
  const closeKafka = async () => {
    kafkaClosed = true;
    await kafka?.close();
  };
  try {
    const {
      summary,
      results,
      outDir: where,
    } = await runTopology(topology, {
      file,
      outDir,
      overrides,
      signal: ac.signal,
      log,
      metrics,
      progress: quiet
        ? undefined
        : (run, t0, info) => {
            progress = new Progress(run, t0, info);
            return progress;
          },
      onResult: kafka && ((r) => kafka.result(r)),
      onAlert: kafka && ((a) => kafka.alert(a)),
      flush: kafka && closeKafka,
    });
    progress = undefined;
    if (!quiet) process.stdout.write(summaryTable(summary, results, where));
    if (summary.status === 'no-input')
      throw new NoInputError(`${summary.message}; ${outDir} was not replaced, this run's outputs are in ${where}`);
    if (summary.status === 'analysis-failed')
      throw new AnalysisError(`${summary.message}; outputs (status analysis-failed) in ${where}`);
  } finally {
    progress = undefined;
    if (kafka && !kafkaClosed) await closeKafka().catch(() => {});
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    await close();
  }
  return 0;
}
