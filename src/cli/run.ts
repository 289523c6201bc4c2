import path from 'node:path';
import { UsageError } from '../events/errors.js';
import { kafkaPolicy } from '../kafka/config.js';
import { commandMetrics } from '../metrics/server.js';
import { runTopology } from '../run.js';
import { RunCheckpoint, RunInterrupted } from '../scaleout/run-checkpoint.js';
import { safeSegment } from '../scaleout/safe-path.js';
import { loadTopology } from '../topology/load.js';
import { flag, metricsEndpoint, numberFlag, parseArgs } from './args.js';
import { Progress } from './progress.js';
import { summaryTable } from './summary.js';

/** Exit codes of `sideband run` beyond 0/1/2: input that could not be counted, and a run stopped by a signal. */
const EXIT_ROWS_UNKNOWN = 5;
const EXIT_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

const USAGE =
  'usage: sideband run <topology.yaml> [--out DIR] [--set key.path=value]... [--metrics-port P] [--quiet]\n' +
  '  [--resume] [--checkpoint-every SECONDS | --no-checkpoint] [--allow-path DIR]... [--insecure]';

export async function runCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['quiet', 'resume', 'no-checkpoint', 'insecure']);
  const file = args.positional[0];
  if (!file) throw new UsageError(USAGE);
  const topology = await loadTopology(file, args.flags.get('set') ?? []);
  // The topology names its output directory: only as one safe path segment under out/.
  const outDir = flag(args, 'out') ?? path.join('out', safeSegment(topology.name));
  const quiet = flag(args, 'quiet') === 'true';
  kafkaPolicy.insecure = flag(args, 'insecure') === 'true';
  const log = (m: string) => {
    if (!quiet) process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  };
  // Input files must lie under the working directory, the topology's directory, or a directory given here.
  const inputRoots = [process.cwd(), path.dirname(path.resolve(file)), ...(args.flags.get('allow-path') ?? [])];
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
  log(
    `sideband run ${topology.name}: ${topology.source.kind} source, ${topology.windows.scheme} windows, classifier ${topology.classifier.kind}, output ${outDir}`,
  );
  // SIGTERM and SIGINT stop the run at its next checkpoint (in-flight analyses get a grace period to finish).
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) return;
    log(`${sig}: stopping at the next checkpoint`);
    stop.abort(sig);
  };
  if (checkpoint) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
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
      sinkFlush: kafka && (() => kafka.flush()),
      checkpoint,
      signal: stop.signal,
      inputRoots,
    });
    if (!quiet) process.stdout.write(summaryTable(summary, results));
    if (summary.events.rowsUnknown > 0) {
      process.stderr.write(
        `sideband run: ${summary.events.rowsUnknown} input(s) could not be read and their events not counted (see dead-letters.jsonl)\n`,
      );
      return EXIT_ROWS_UNKNOWN;
    }
  } catch (e) {
    if (!(e instanceof RunInterrupted)) throw e;
    process.stderr.write(`sideband run: ${e.message}\n`);
    return EXIT_SIGNAL[e.signalName] ?? 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await close();
  }
  return 0;
}
