/**
 * `sideband` command-line entry: a table of subcommands, each in its own file under src/cli, loaded on demand so
 * that `sideband fit` does not pay for loading the Kafka client.
 */
import { exitCodeOf, EXIT } from './exit-codes.js';

export type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: {
    summary: 'run a topology: sideband run <topology.yaml> [--out DIR] [--set a.b=v]... [--metrics-port P]',
    load: async () => (await import('./run.js')).runCommand,
  },
  generate: {
    summary:
      'write calibrated dijet events: sideband generate --events N --seed S [--signal "mA=3500,mB=500,mC=100,n=1000"]... --out FILE.parquet',
    load: async () => (await import('./generate.js')).generateCommand,
  },
  produce: {
    summary:
      'replay events into a topic: sideband produce --from FILE.parquet|generate --topic T [--format arrow|json] [--rate R]',
    load: async () => (await import('./produce.js')).produceCommand,
  },
  router: {
    summary:
      'scale-out front half: sideband router <topology.yaml> [--metrics-port P] (source -> cuts -> repartition topic keyed by window)',
    load: async () => (await import('./router.js')).routerCommand,
  },
  worker: {
    summary:
      'scale-out back half: sideband worker <topology.yaml> [--metrics-port P] (owns the windows of its partitions, checkpoints, results topic)',
    load: async () => (await import('./worker.js')).workerCommand,
  },
  fit: {
    summary:
      'fit an mjj spectrum: sideband fit --spectrum FILE.csv --function dijet3|dijet4|dijet5|ua2|auto [--sr LO,HI] [--json]',
    load: async () => (await import('./fit.js')).fitCommand,
  },
  stats: {
    summary: 'significance, limits, bump hunt: sideband stats zdisc|cls|bumphunt ... [--json]',
    load: async () => (await import('./stats.js')).statsCommand,
  },
  ddp: {
    summary: 'DDP neural bump hunter: sideband ddp generate|scan|plot|train ... (seed 002)',
    load: async () => (await import('./ddp.js')).ddpCommand,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `usage: sideband <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`sideband: unknown command '${name}'\n${usage()}`);
    return EXIT.usage;
  }
  if (rest[0] === '--help' || rest[0] === '-h') {
    process.stdout.write(`sideband ${name}: ${cmd.summary}\n`);
    return 0;
  }
  try {
    const code = await (await cmd.load())(rest);
    return typeof code === 'number' ? code : EXIT.ok;
  } catch (e) {
    // The one place where a command's failure is printed: the command's name, then what failed.
    const code = exitCodeOf(e);
    process.stderr.write(`sideband ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    if (code === EXIT.usage) process.stderr.write(`(see 'sideband ${name} --help')\n`);
    return code;
  }
}
