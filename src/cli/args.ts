/** Minimal flag parser shared by the subcommands: `--name value`, `--name=value`, repeated flags, booleans. */
import { UsageError } from '../events/errors.js';
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: string[], booleans: string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const push = (k: string, v: string) => flags.set(k, [...(flags.get(k) ?? []), v]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) {
      push(a.slice(2, eq), a.slice(eq + 1));
      continue;
    }
    const key = a.slice(2);
    if (booleans.includes(key)) {
      push(key, 'true');
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) throw new UsageError(`option --${key} needs a value`);
    push(key, next);
    i++;
  }
  return { positional, flags };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v ? v[v.length - 1] : undefined;
}

export function numberFlag(args: ParsedArgs, name: string, fallback?: number): number {
  const v = flag(args, name);
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`option --${name} is required`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`option --${name}: '${v}' is not a number`);
  return n;
}

/** Where a command serves its metrics: --metrics-port/--metrics-host, else the topology's `metrics:` block. */
export function metricsEndpoint(
  args: ParsedArgs,
  topology: { metrics?: { host?: string; port?: number } },
): { port?: string | number; host?: string } {
  return {
    port: flag(args, 'metrics-port') ?? topology.metrics?.port,
    host: flag(args, 'metrics-host') ?? topology.metrics?.host,
  };
}

/** Run a parse of an option's value; its failure is a usage error naming the option. */
export function asUsage<T>(option: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError(`option ${option}: ${(e as Error).message}`, { cause: e });
  }
}
