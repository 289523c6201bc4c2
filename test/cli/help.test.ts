/**
 * Help from the same tables that parse the options (src/cli/specs.ts): every command's --help lists every option,
 * its default and an example; --help works anywhere on a command line; --version prints package.json's version.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommand, renderHelp } from '../../src/cli/args.js';
import { EXIT_CODE_HELP } from '../../src/cli/exit-codes.js';
import { COMMAND_SPECS, RUN } from '../../src/cli/specs.js';
import { repoRoot } from '../helpers/paths.js';
import { sideband } from './helpers.js';

const tables = COMMAND_SPECS.flatMap((c) => [c, ...(c.subcommands ?? [])]);

describe('help', () => {
  it.each(tables.map((t) => [t.name, t] as const))(
    'sideband %s --help lists every option, default and example',
    (name, spec) => {
      const r = sideband([...name.split(' '), '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(renderHelp(spec));
      expect(r.stdout.startsWith(`sideband ${name}: ${spec.summary}\n\nusage: sideband ${name} `)).toBe(true);
      for (const o of spec.options) {
        expect(r.stdout).toContain(`--${o.name}${o.value ? ` ${o.value}` : ''} `);
        if (o.default !== undefined && o.value) expect(r.stdout).toContain(`default ${o.default}`);
        if (o.example) expect(r.stdout).toContain(`e.g. --${o.name} ${o.example}`);
      }
      expect(r.stdout).toContain('\nexamples:\n');
      for (const e of spec.examples) expect(r.stdout).toContain(`  ${e}\n`);
    },
  );

  it('--help anywhere on the command line, after other options or a bad one, prints the help', () => {
    const r = sideband(['run', 'topologies/quickstart.yaml', '--set', 'seed=2', '--nonsense', '--help']);
    expect(r).toMatchObject({ code: 0, stdout: renderHelp(RUN) });
    expect(sideband(['stats', 'zdisc', '--n', '3', '-h']).stdout).toContain('usage: sideband stats zdisc --n N --b B');
    expect(sideband(['help', 'fit']).stdout).toContain('usage: sideband fit --spectrum FILE.csv');
  });

  it('sideband --help lists the commands and the exit codes; no command is a usage error', () => {
    const r = sideband(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMAND_SPECS) expect(r.stdout).toContain(`  ${c.name.padEnd(10)} ${c.summary}\n`);
    for (const [code, what] of EXIT_CODE_HELP) expect(r.stdout).toContain(`${String(code).padStart(3)}  ${what}`);
    expect(sideband([])).toMatchObject({ code: 2, stdout: '' });
  });

  it('--version prints the version of package.json', () => {
    const version = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;
    expect(sideband(['--version'])).toMatchObject({ code: 0, stdout: `sideband ${version}\n` });
    expect(sideband(['-V']).stdout).toBe(`sideband ${version}\n`);
  });
});

describe('option tables', () => {
  it('fill defaults, check values and reject repeats of single options', () => {
    const gen = COMMAND_SPECS.find((c) => c.name === 'generate')!;
    const a = parseCommand(gen, ['--events', '10', '--out=x.parquet']);
    expect(a.flags.get('seed')).toEqual(['0']);
    expect(a.flags.get('mjj-min')).toEqual(['1100']);
    expect(() => parseCommand(gen, ['--events', '-3', '--out', 'x'])).toThrow(
      "option --events: expected a positive integer, got '-3'",
    );
    expect(() => parseCommand(gen, ['--events', '1', '--events', '2', '--out', 'x'])).toThrow(
      "option --events given twice ('1', '2')",
    );
    expect(() => parseCommand(gen, ['--events', '1', '--out'])).toThrow(
      'option --out needs a value (FILE, e.g. --out events.parquet)',
    );
    expect(() => parseCommand(gen, ['--events', '1', '--out', 'x', '--quiet=yes'])).toThrow(
      "option --quiet takes no value, got 'yes'",
    );
    expect(() => parseCommand(RUN, [])).toThrow('missing <topology.yaml>: the topology file (see topologies/)');
    expect(() => parseCommand(RUN, ['a.yaml', 'b.yaml'])).toThrow("unexpected argument 'b.yaml'");
    const fit = COMMAND_SPECS.find((c) => c.name === 'fit')!;
    expect(() => parseCommand(fit, ['--spectrum', 's.csv', '--function', 'dijet5x'])).toThrow(
      "option --function: must be one of auto, dijet3, dijet4, dijet5, ua2, dijet3d, dijet4d, ua2d, got 'dijet5x'; did you mean 'dijet5'?",
    );
  });
});
