/**
 * The bad inputs of issue 18, each through the real binary: the message it ends in (one line, the file and the full
 * field path, the bad value, a suggestion for a near miss) and the exit code (src/cli/exit-codes.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateParquet, parquetTopology, type Ran, scratch, sideband, tinyTopology } from './helpers.js';

/** The error line main.ts prints: `sideband <command>: <message>`, the program named once. */
function errorLine(r: Ran): string {
  const first =
    r.stderr
      .trimEnd()
      .split('\n')
      .filter((l) => !/^\d{4}-\d\d-\d\dT/.test(l))[0] ?? '';
  return first;
}

describe('bad topology fields end in exit 2 with the full path, the value and a suggestion', () => {
  const dir = scratch();

  it('a typo inside a nested block (windows: {srWidht: 400}) is rejected, not run with the default', () => {
    const file = tinyTopology(dir, '', 'nested');
    writeFileSync(file, readFileSync(file, 'utf8').replace('scheme: sliding,', 'scheme: sliding, srWidht: 400,'));
    const r = sideband(['run', file, '--out', path.join(dir, 'o')]);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe(`sideband run: ${file}: windows.srWidht: unknown key, got 400; did you mean 'srWidth'?`);
  });

  it('a top-level typo names its key (no "undefined: The object \'\'")', () => {
    const file = tinyTopology(dir, 'alrt: { z: 2 }\n', 'top');
    const r = sideband(['run', file]);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe(`sideband run: ${file}: alrt: unknown key, got {"z":2}; did you mean 'alert'?`);
  });

  it('classifier.kind: xgboost prints the bad value where the value goes', () => {
    const file = tinyTopology(dir, 'classifier: { kind: xgboost }\n', 'clf');
    const r = sideband(['run', file]);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe(
      `sideband run: ${file}: classifier.kind: must be one of none, hgb, mlp-atlas2024, mlp-atlas2020, got 'xgboost'`,
    );
  });

  it('--set values are validated the same way, at any depth (fit function names, units)', () => {
    const file = tinyTopology(dir, '', 'set');
    const r = sideband(['run', file, '--set', 'fit.functions=[dijet4, dijt3]', '--set', 'columns.mjj=Gev']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${file}: fit.functions[1]: unknown fit function (known: dijet3, dijet4, dijet5, ua2, dijet3d, dijet4d, ua2d), got 'dijt3'; did you mean 'dijet3'?`,
    );
    expect(r.stderr).toContain(
      `${file}: columns.mjj: unknown unit (known: eV, keV, MeV, GeV, TeV, none), got 'Gev'; did you mean 'GeV'?`,
    );
  });
});

describe('bad command lines end in exit 2', () => {
  it('an unknown option is rejected with the nearest known one (--outdir)', () => {
    const r = sideband(['run', 'topologies/quickstart.yaml', '--outdir', 'x']);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe('sideband run: unknown option --outdir; did you mean --out?');
    expect(r.stderr).toContain("(see 'sideband run --help')");
  });

  it('--metrics-port abc is a usage error naming the option, not a Node internals message', () => {
    const r = sideband(['run', 'topologies/quickstart.yaml', '--metrics-port', 'abc']);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe("sideband run: option --metrics-port: expected a port number (0-65535), got 'abc'");
  });

  it('messages name the program once', () => {
    for (const args of [
      ['produce', '--topic', 't'],
      ['generate', '--out', 'x.parquet'],
      ['stats', 'zdisc', '--n', '1'],
    ]) {
      const line = errorLine(sideband(args));
      expect(line).toMatch(/^sideband \w+: /);
      expect(line.slice('sideband'.length)).not.toContain('sideband');
    }
    expect(errorLine(sideband(['produce', '--topic', 't']))).toBe(
      "sideband produce: option --from SRC is required: a Parquet file, directory or glob, or 'generate' for generated events",
    );
  });

  it('an unknown command or subcommand suggests the nearest', () => {
    expect(sideband(['rnu'])).toMatchObject({ code: 2 });
    expect(errorLine(sideband(['rnu']))).toBe("sideband: unknown command 'rnu'; did you mean 'run'?");
    expect(errorLine(sideband(['stats', 'zdsic']))).toBe(
      "sideband stats: unknown subcommand 'zdsic' (zdisc, cls, bumphunt); did you mean 'zdisc'?",
    );
  });
});

describe("the README's --set source.path on a generator topology", () => {
  it('topologies/atlas2024-cwola.yaml --set source.path=F reads F: the source switches to Parquet, logged', () => {
    const dir = scratch();
    const file = path.join(dir, 'events.parquet');
    generateParquet(file, 20000);
    const out = path.join(dir, 'out');
    const r = sideband([
      'run',
      'topologies/atlas2024-cwola.yaml',
      '--set',
      `source.path=${file}`,
      '--set',
      'classifier={kind: none}',
      '--set',
      'sinks.report=false',
      '--out',
      out,
    ]);
    expect(r.stderr).toMatch(
      /^\S+ --set source\.path: source switched from generator to parquet \(dropped events, mjjMin, signals\)\n\S+ sideband run atlas2024-cwola: parquet source,/,
    );
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.events).toMatchObject({ read: 20000, accepted: 20000 });
    expect(r.code).toBe(0);
    expect(summary.status).toBe('ok');
    expect(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).inputs[0].path).toBe(file);
  });
});

describe('runs that produce nothing do not exit 0, and say so under --quiet', () => {
  it('--out /proc/nope fails at once with its reason (exit 1), no mkdir retry loop', () => {
    const dir = scratch();
    const t0 = Date.now();
    const r = sideband(['run', tinyTopology(dir), '--out', '/proc/nope', '--quiet'], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(errorLine(r)).toMatch(
      /^sideband run: --out \/proc\/nope: cannot create the run's directory \/proc\/nope\.tmp-[0-9a-f-]+ beside it: no such file or directory \(ENOENT\)$/,
    );
  });

  it('every input unreadable (a truncated and a fake Parquet file): exit 3, "rows unknown", not 0 events', () => {
    const dir = scratch();
    generateParquet(path.join(dir, 'good.parquet'), 2000);
    const bad = path.join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'fake.parquet'), 'not a parquet file\n');
    writeFileSync(path.join(bad, 'truncated.parquet'), readFileSync(path.join(dir, 'good.parquet')).subarray(0, 4000));
    const out = path.join(dir, 'out');
    const r = sideband(['run', parquetTopology(dir, bad), '--out', out, '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(errorLine(r)).toMatch(
      new RegExp(
        `^sideband run: no usable input: 2 inputs unreadable \\(rows unknown\\); ${out} was not replaced, this run's outputs are in ${out}\\.failed-[0-9a-f-]+$`,
      ),
    );
    // Without --quiet the summary table says "rows unknown" where it used to say "unreadable 0".
    const loud = sideband(['run', parquetTopology(dir, bad), '--out', out]);
    expect(loud.code).toBe(3);
    expect(loud.stdout).toContain('rejected 0 (unreadable 2 inputs with rows unknown)');
    expect(loud.stdout).toContain('no-input, no usable input');
  });

  it('100 % of events rejected: exit 3 with the reasons', () => {
    const dir = scratch();
    const file = path.join(dir, 'events.parquet');
    generateParquet(file, 1500);
    const topo = parquetTopology(dir, file);
    // The topology maps a column the file does not have: every event is rejected as missing_column.
    writeFileSync(topo, readFileSync(topo, 'utf8').replace('columns: { mjj: GeV }', 'columns: { mjj: GeV, x_m: GeV }'));
    const r = sideband(['run', topo, '--out', path.join(dir, 'out'), '--quiet']);
    expect(r.code).toBe(3);
    expect(errorLine(r)).toMatch(
      /^sideband run: no usable input: all 1500 events read were rejected \(missing_column 1500\);/,
    );
  });

  it('every fit failed: exit 4, the outputs are written with status analysis-failed and say why', () => {
    const dir = scratch();
    const out = path.join(dir, 'out');
    // mjj declared in TeV: every event lands far above the windows, so no window has events to fit.
    const r = sideband(['run', tinyTopology(dir), '--out', out, '--set', 'columns.mjj=TeV', '--quiet']);
    expect(r.code).toBe(4);
    expect(errorLine(r)).toBe(
      `sideband run: analysis failed: none of 2 windows produced a valid result (all: no events in the window at all (check the mjj unit in columns and the window range)); outputs (status analysis-failed) in ${out}`,
    );
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('analysis-failed');
    expect(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'))).toMatchObject({
      status: 'analysis-failed',
      exitCode: 4,
    });
  });

  it('a successful run exits 0 and says what it produced', () => {
    const dir = scratch();
    const r = sideband(['run', tinyTopology(dir), '--out', path.join(dir, 'out')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('finished in');
    expect(r.stdout).toContain(': ok, 2 of 2 windows with a valid result');
    expect(sideband(['run', tinyTopology(dir), '--out', path.join(dir, 'out'), '--quiet'])).toMatchObject({
      code: 0,
      stdout: '',
      stderr: '',
    });
  });
});
