/**
 * `sideband run <topology.yaml>`: load the topology (with --set overrides), run it, print the summary table and
 * end with the run's status: exit 0 when it produced results, 3 when no input was usable, 4 when every analysis
 * failed, 5 when an input's rows could not be counted (src/cli/exit-codes.ts). The failures are thrown as errors,
 * so they are printed by main.ts even under --quiet. The run checkpoints into `<out>.checkpoint/`; SIGINT/SIGTERM
 * stop it at its next checkpoint (exit 130/143) without replacing the previous outputs, and --resume continues it.
 */
import path from 'node:path';
import { AnalysisError, NoInputError } from '../events/errors.js';
import { kafkaPolicy } from '../kafka/config.js';
import { commandMetrics } from '../metrics/server.js';
import { runTopology } from '../run.js';
import { RunCheckpoint } from '../scaleout/run-checkpoint.js';
import { safeSegment } from '../scaleout/safe-path.js';
import { locationRoot } from '../sources/paths.js';
import { loadTopology } from '../topology/load.js';
import { flag, metricsEndpoint, numberFlag, parseCommand } from './args.js';
import { EXIT } from './exit-codes.js';
import { Progress } from './progress.js';
import { RUN } from './specs.js';
import { summaryTable } from './summary.js';

export async function runCommand(argv: string[]): Promise<number> {
  const args = parseCommand(RUN, argv);
  const file = args.positional[0]!;
  const quiet = flag(args, 'quiet') === 'true';
  // Cleartext SASL and TLS without certificate checks only when asked for (src/kafka/config.ts).
  kafkaPolicy.insecure = flag(args, 'insecure') === 'true';
  // Log lines go above the progress display while it is drawn, plain to stderr otherwise.
  let progress: Progress | undefined;
  const log = (m: string) => {
    if (quiet) return;
    if (progress) progress.log(m);
    else process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  };
  const overrides = args.flags.get('set') ?? [];
  const topology = await loadTopology(file, overrides, log);
  // The topology names its output directory: only as one safe path segment under out/.
  const outDir = flag(args, 'out') ?? path.join('out', safeSegment(topology.name));
  // Input files must lie under the working directory, the topology's directory, a directory given with
  // --allow-path, or the location a --set on this command line gave the source (the user's choice, not the file's).
  const given = (topology.source as { path?: unknown }).path;
  const inputRoots = [
    process.cwd(),
    path.dirname(path.resolve(file)),
    ...(args.flags.get('allow-path') ?? []),
    ...(typeof given === 'string' && overrides.some((o) => /^source(\.path)?=/.test(o)) ? [locationRoot(given)] : []),
  ];
  // A Kafka run's committed offsets stand on its checkpoint: it always continues from it.
  const resume = flag(args, 'resume') === 'true' || topology.source.kind === 'kafka';
  const checkpoint =
    flag(args, 'no-checkpoint') === 'true'
      ? undefined
      : RunCheckpoint.open(
          {
            dir: `${path.resolve(outDir)}.checkpoint`,
            resume,
            intervalMs: 1000 * numberFlag(args, 'checkpoint-every', 30),
            log,
          },
          topology,
        );
  // Handlers first, so that a signal at any later moment stops the run the same way: at the next checkpoint (the
  // in-flight analyses get a grace period), or at once without one; a second signal quits.
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(sig === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted);
    log(
      `${sig}: stopping${checkpoint ? ' at the next checkpoint' : ''}; ${outDir} is left as it was (press again to quit at once)`,
    );
    stop.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
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
      signal: stop.signal,
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
      sinkFlush: kafka && (() => kafka.flush()),
      checkpoint,
      inputRoots,
    });
    progress = undefined;
    if (!quiet) process.stdout.write(summaryTable(summary, results, where));
    if (summary.status === 'no-input')
      throw new NoInputError(`${summary.message}; ${outDir} was not replaced, this run's outputs are in ${where}`);
    if (summary.status === 'analysis-failed')
      throw new AnalysisError(`${summary.message}; outputs (status analysis-failed) in ${where}`);
    if (summary.events.rowsUnknown > 0) {
      process.stderr.write(
        `sideband run: ${summary.events.rowsUnknown} input(s) could not be read and their events not counted (see dead-letters.jsonl)\n`,
      );
      return EXIT.rowsUnknown;
    }
  } finally {
    progress = undefined;
    if (kafka && !kafkaClosed) await closeKafka().catch(() => {});
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close();
  }
  return 0;
}
