/**
 * Command-line parsing. Every command declares its options once, in a CommandSpec (src/cli/specs.ts): name, whether
 * it takes a value, the value's kind, its default, help text and an example. The same table parses (`--name value`,
 * `--name=value`, repeated options, booleans), validates (unknown options with a "did you mean", numbers, ports,
 * choices, required options), fills defaults and writes the command's --help, so the three cannot disagree.
 * `parseArgs` (no table, lenient) remains for the benchmarks' own flags.
 */
import { didYouMean, suggestion } from '../events/did-you-mean.js';
import { UsageError } from '../events/errors.js';
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

/** How an option's value is checked. */
export type OptionKind = 'string' | 'number' | 'integer' | 'count' | 'port' | 'numbers';

export interface OptionSpec {
  /** Without the leading dashes: 'out', 'metrics-port'. */
  name: string;
  /** Placeholder of the value in help ('DIR', 'N'); absent: a boolean flag that takes no value. */
  value?: string;
  kind?: OptionKind;
  /** Allowed values (checked, suggested when mistyped, listed in help). */
  choices?: readonly string[];
  /** Filled in when the option is absent, and shown in help. */
  default?: string;
  /** Shown in help where the default depends on other input (`out/<topology name>`). */
  defaultText?: string;
  required?: boolean;
  repeatable?: boolean;
  help: string;
  /** An example value, shown in help. */
  example?: string;
}

export interface CommandSpec {
  /** 'run', or 'stats zdisc' for a subcommand. */
  name: string;
  summary: string;
  /** The arguments after the name, e.g. '<topology.yaml> [options]'. */
  usage: string;
  positionals?: Array<{ name: string; help: string; required?: boolean }>;
  options: OptionSpec[];
  examples: string[];
  /** Paragraphs printed after the options. */
  notes?: string[];
  subcommands?: CommandSpec[];
}

/** --help is every command's, never declared in a table. */
const HELP_FLAGS = ['--help', '-h'];

/** Whether argv asks for help anywhere (before a `--`). */
export function wantsHelp(argv: string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (HELP_FLAGS.includes(a)) return true;
  }
  return false;
}

function checkValue(o: OptionSpec, v: string): void {
  const bad = (what: string) => new UsageError(`option --${o.name}: expected ${what}, got '${v}'`);
  const n = Number(v);
  switch (o.kind) {
    case 'number':
      if (v.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      break;
    case 'integer':
      if (v.trim() === '' || !Number.isInteger(n)) throw bad('an integer');
      break;
    case 'count':
      if (v.trim() === '' || !Number.isInteger(n) || n <= 0) throw bad('a positive integer');
      break;
    case 'port':
      if (!/^\d+$/.test(v) || n > 65535) throw bad('a port number (0-65535)');
      break;
    case 'numbers':
      v.split(',').forEach((x, i) => {
        if (x.trim() === '' || !Number.isFinite(Number(x)))
          throw new UsageError(`option --${o.name}: entry ${i + 1} of '${v}' is not a number`);
      });
      break;
    default:
      break;
  }
  if (o.choices && !o.choices.includes(v))
    throw new UsageError(
      `option --${o.name}: must be one of ${o.choices.join(', ')}, got '${v}'${suggestion(v, o.choices)}`,
    );
}

/**
 * Parse argv against a command's table: unknown options, a missing or malformed value, a missing required option and
 * surplus positional arguments are UsageErrors; absent options get their defaults.
 */
export function parseCommand(spec: CommandSpec, argv: string[]): ParsedArgs {
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const push = (o: OptionSpec, v: string) => {
    checkValue(o, v);
    const prev = flags.get(o.name);
    if (prev && !o.repeatable && o.value) throw new UsageError(`option --${o.name} given twice ('${prev[0]}', '${v}')`);
    flags.set(o.name, [...(prev ?? []), v]);
  };
  const lookup = (name: string): OptionSpec => {
    const o = byName.get(name);
    if (o) return o;
    const near = didYouMean(name, byName.keys());
    throw new UsageError(`unknown option --${name}${near ? `; did you mean --${near}?` : ''}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) {
      positional.push(a);
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`unknown option ${a} (options are spelled --name)`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const o = lookup(name);
    if (!o.value) {
      if (eq > 0) throw new UsageError(`option --${name} takes no value, got '${a.slice(eq + 1)}'`);
      push(o, 'true');
      continue;
    }
    if (eq > 0) {
      push(o, a.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith('--') && next.length > 2))
      throw new UsageError(
        `option --${name} needs a value (${o.value}${o.example ? `, e.g. --${name} ${o.example}` : ''})`,
      );
    push(o, next);
    i++;
  }
  const slots = spec.positionals ?? [];
  for (const [k, p] of slots.entries())
    if (p.required && positional[k] === undefined) throw new UsageError(`missing ${p.name}: ${p.help}`);
  if (positional.length > slots.length)
    throw new UsageError(
      `unexpected argument '${positional[slots.length]}'${slots.length ? '' : ` (${spec.name} takes options only)`}`,
    );
  for (const o of spec.options) {
    if (flags.has(o.name)) continue;
    if (o.required)
      throw new UsageError(`option --${o.name} ${o.value ?? ''} is required: ${o.help}`.replace('  ', ' '));
    if (o.default !== undefined) flags.set(o.name, [o.default]);
  }
  return { positional, flags };
}

/** A command's full help: usage, arguments, every option with its default and an example, examples. */
export function renderHelp(spec: CommandSpec): string {
  const out = [`sideband ${spec.name}: ${spec.summary}`, '', `usage: sideband ${spec.name} ${spec.usage}`.trimEnd()];
  if (spec.subcommands?.length) {
    out.push('', 'subcommands:');
    for (const c of spec.subcommands) out.push(`  ${c.name.split(' ').pop()!.padEnd(12)} ${c.summary}`);
  }
  if (spec.positionals?.length) {
    out.push('', 'arguments:');
    for (const p of spec.positionals) out.push(`  ${p.name.padEnd(26)} ${p.help}`);
  }
  const opts = [...spec.options, { name: 'help', help: 'print this help and exit' } as OptionSpec];
  out.push('', 'options:');
  for (const o of opts) {
    const left = `--${o.name}${o.value ? ` ${o.value}` : ''}`;
    const extras = [
      o.required ? 'required' : '',
      o.choices ? `one of ${o.choices.join(', ')}` : '',
      o.default !== undefined && o.value ? `default ${o.default}` : o.defaultText ? `default ${o.defaultText}` : '',
      o.repeatable ? 'repeatable' : '',
    ].filter(Boolean);
    const text = `${o.help}${extras.length ? ` (${extras.join('; ')})` : ''}`;
    out.push(...wrap(`  ${left.padEnd(26)} `, text, 120));
    if (o.example) out.push(`${' '.repeat(29)}e.g. --${o.name} ${o.example}`);
  }
  if (spec.notes?.length) for (const n of spec.notes) out.push('', ...wrap('', n, 120));
  if (spec.examples.length) {
    out.push('', 'examples:');
    for (const e of spec.examples) out.push(`  ${e}`);
  }
  return `${out.join('\n')}\n`;
}

/** Word-wrap `text` after `lead`, continuation lines indented to the lead's width. */
function wrap(lead: string, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = lead;
  const indent = ' '.repeat(lead.length);
  for (const word of text.split(' ')) {
    if (line.length + word.length > width && line.trim() !== '' && line !== indent && line !== lead) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines;
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
