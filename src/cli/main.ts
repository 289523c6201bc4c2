/**
 * `sideband` command-line entry: a table of subcommands, each in its own file under src/cli, loaded on demand so
 * that `sideband fit` does not pay for loading the Kafka client. Options and help come from src/cli/specs.ts;
 * `--help` anywhere on a command line prints that command's help. Commands throw; errors are printed here, once.
 */
import { didYouMean } from '../events/did-you-mean.js';
import { UsageError } from '../events/errors.js';
import { type CommandSpec, parseCommand, renderHelp, wantsHelp } from './args.js';
import { EXIT, EXIT_CODE_HELP, exitCodeOf } from './exit-codes.js';
import { COMMAND_SPECS, subcommand } from './specs.js';

export type Command = (argv: string[]) => Promise<number>;

const LOADERS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.js')).runCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  inject: async () => (await import('./inject.js')).injectCommand,
  generate: async () => (await import('./generate.js')).generateCommand,
  produce: async () => (await import('./produce.js')).produceCommand,
  router: async () => (await import('./router.js')).routerCommand,
  worker: async () => (await import('./worker.js')).workerCommand,
  fit: async () => (await import('./fit.js')).fitCommand,
  stats: async () => (await import('./stats.js')).statsCommand,
  ddp: async () => (await import('./ddp.js')).ddpCommand,
};

function usage(): string {
  const lines = COMMAND_SPECS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  const codes = EXIT_CODE_HELP.map(([code, what]) => `  ${String(code).padStart(3)}  ${what}`);
  return (
    'usage: sideband <command> [options]\n\n' +
    `commands:\n${lines.join('\n')}\n\n` +
    "Run 'sideband <command> --help' for a command's options, defaults and examples; " +
    "'sideband --version' for the version.\n\n" +
    `exit codes:\n${codes.join('\n')}\n`
  );
}

async function version(): Promise<string> {
  const { runVersions } = await import('../sinks/manifest.js');
  return (await runVersions()).sideband;
}

/** The table whose help `argv` asks for: the command's, or a subcommand's (`stats zdisc --help`). */
function helpFor(spec: CommandSpec, rest: string[]): CommandSpec {
  return subcommand(spec, rest[0]) ?? spec;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    process.stderr.write(usage());
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const spec = COMMAND_SPECS.find((c) => c.name === rest[0]);
    process.stdout.write(spec ? renderHelp(helpFor(spec, rest.slice(1))) : usage());
    return EXIT.ok;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`sideband ${await version()}\n`);
    return EXIT.ok;
  }
  const spec = COMMAND_SPECS.find((c) => c.name === name);
  const load = LOADERS[name];
  if (!spec || !load) {
    const near = didYouMean(name, Object.keys(LOADERS));
    const what = name.startsWith('-') ? `unknown option ${name} before the command` : `unknown command '${name}'`;
    process.stderr.write(`sideband: ${what}${near ? `; did you mean '${near}'?` : ''}\n\n${usage()}`);
    return EXIT.usage;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(renderHelp(helpFor(spec, rest)));
    return EXIT.ok;
  }
  try {
    // Options are checked before the command's module loads, so a usage error costs no import of the pipeline.
    if (!spec.subcommands) parseCommand(spec, rest);
    const code = await (await load())(rest);
    return typeof code === 'number' ? code : EXIT.ok;
  } catch (e) {
    // The one place where a command's failure is printed: the command's name, then what failed.
    const code = exitCodeOf(e);
    process.stderr.write(`sideband ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    if (code === EXIT.usage && e instanceof UsageError) process.stderr.write(`(see 'sideband ${name} --help')\n`);
    return code;
  }
}
