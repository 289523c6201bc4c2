/**
 * Strict topology validation at every depth (src/topology/schema.ts, blocks.ts, field-errors.ts): unknown keys,
 * bad values and unknown registry names are rejected with the file, the full field path, the bad value and, for a
 * near miss, the nearest known name.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { TopologyError } from '../../src/events/errors.js';
import { loadTopology, parseTopology } from '../../src/topology/load.js';
import { repoRoot } from '../helpers/paths.js';

const base = `
name: t
source: { kind: parquet, path: x.parquet }
columns: { mjj: TeV, x: none }
windows: { scheme: single }
features: [x]
`;

/** The message of the TopologyError that `text` (base with replacements or additions) ends in. */
function problem(text: string, overrides: string[] = []): string {
  try {
    parseTopology(text, 'f.yaml', overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyError);
    return (e as Error).message;
  }
  return 'validated';
}

const edit = (from: string, to: string) => base.replace(from, to);

describe('strict topology schema', () => {
  it('rejects unknown keys in every window scheme, with the nearest key', () => {
    expect(problem(edit('{ scheme: single }', '{ scheme: sliding, srWidht: 400 }'))).toBe(
      "f.yaml: windows.srWidht: unknown key, got 400; did you mean 'srWidth'?",
    );
    expect(problem(edit('{ scheme: single }', '{ scheme: edges, edge: [1, 2, 3, 4] }'))).toBe(
      "f.yaml: windows.edge: unknown key, got [1,2,3,4]; did you mean 'edges'?",
    );
    expect(problem(edit('{ scheme: single }', '{ scheme: single, sr: [3300, 3700], sbb: [] }'))).toBe(
      "f.yaml: windows.sbb: unknown key, got []; did you mean 'sb'?",
    );
    expect(
      problem(edit('{ scheme: single }', '{ scheme: table, windows: [{ sr: [1, 2], sb: [[0, 1]], wp: [0.1] }] }')),
    ).toBe('f.yaml: windows.windows[0].wp: unknown key (known: id, sr, sb, workingPoints), got [0.1]');
    expect(problem(edit('{ scheme: single }', '{ scheme: slidin }'))).toBe(
      "f.yaml: windows.scheme: must be one of sliding, edges, table, single, got 'slidin'; did you mean 'sliding'?",
    );
    expect(problem(edit('{ scheme: single }', '{ scheme: single, sr: [3300] }'))).toBe(
      'f.yaml: windows.sr: must be a list of 2 items, got [3300]',
    );
  });

  it('checks each source kind strictly, the kind itself with a suggestion', () => {
    expect(problem(edit('path: x.parquet', 'path: x.parquet, batchsize: 5'))).toBe(
      "f.yaml: source.batchsize: unknown key, got 5; did you mean 'batchSize'?",
    );
    expect(problem(edit('kind: parquet, path: x.parquet', 'kind: generator, events: -4'))).toBe(
      'f.yaml: source.events: must be a positive number, got -4',
    );
    expect(problem(edit('kind: parquet, path: x.parquet', 'kind: kafka, topic: ev, fromBeginnig: true'))).toBe(
      "f.yaml: source.fromBeginnig: unknown key, got true; did you mean 'fromBeginning'?",
    );
    expect(problem(edit('kind: parquet', 'kind: parket'))).toBe(
      "f.yaml: source.kind: must be one of parquet, generator, kafka, hdf5, numpy, root, got 'parket'; did you mean 'parquet'?",
    );
  });

  it('says the top-level key and the value, never "undefined: The object \'\'"', () => {
    expect(problem(`${base}windos: {}\n`)).toBe("f.yaml: windos: unknown key, got {}; did you mean 'windows'?");
    expect(problem(`${base}colour: red\n`)).toMatch(/^f\.yaml: colour: unknown key \(known: name, description, /);
  });

  it('names the bad value of an enum where the value goes, with a suggestion', () => {
    expect(problem(`${base}classifier: { kind: xgboost }\n`)).toBe(
      "f.yaml: classifier.kind: must be one of none, hgb, mlp-atlas2024, mlp-atlas2020, got 'xgboost'",
    );
    expect(problem(`${base}classifier: { kind: hbg }\n`)).toBe(
      "f.yaml: classifier.kind: must be one of none, hgb, mlp-atlas2024, mlp-atlas2020, got 'hbg'; did you mean 'hgb'?",
    );
    expect(problem(`${base}classifier: { kind: hgb, hgb: { maxItr: 5 } }\n`)).toBe(
      "f.yaml: classifier.hgb.maxItr: unknown key, got 5; did you mean 'maxIter'?",
    );
    expect(problem(`${base}fit: { strategy: atlas2042 }\n`)).toBe(
      "f.yaml: fit.strategy: must be one of atlas2024, atlas2020, single, got 'atlas2042'; did you mean 'atlas2024'?",
    );
  });

  it('checks registry names: fit functions, units, cut presets, features', () => {
    expect(problem(`${base}fit: { functions: [dijet4, ua22] }\n`)).toBe(
      "f.yaml: fit.functions[1]: unknown fit function (known: dijet3, dijet4, dijet5, ua2, dijet3d, dijet4d, ua2d), got 'ua22'; did you mean 'ua2'?",
    );
    expect(problem(edit('mjj: TeV', 'mjj: { from: M, unit: tev }'))).toBe(
      "f.yaml: columns.mjj.unit: unknown unit (known: eV, keV, MeV, GeV, TeV, none), got 'tev'; did you mean 'TeV'?",
    );
    expect(problem(edit('mjj: TeV', 'mjj: { from: M, units: TeV }'))).toBe(
      "f.yaml: columns.mjj.units: unknown key, got 'TeV'; did you mean 'unit'?",
    );
    expect(problem(`${base}cuts: atlas2042\n`)).toBe(
      "f.yaml: cuts: must be a preset (atlas2024, atlas2024-control, cms2024, cms2024-control, none) or a list of cuts, got 'atlas2042'; did you mean 'atlas2024'?",
    );
    expect(problem(`${base}cuts: [{ name: c, features: [x], minn: 1 }]\n`)).toBe(
      "f.yaml: cuts[0].minn: unknown key, got 1; did you mean 'min'?",
    );
    expect(problem(edit('features: [x]', 'features: [x, tau21_lightr]'))).toBe(
      "f.yaml: features[1]: neither a mapped column (columns) nor a derived feature, got 'tau21_lightr'; did you mean 'tau21_lighter'?",
    );
  });

  it('checks the kafka, sinks.kafka and metrics blocks', () => {
    expect(problem(`${base}kafka: { brokers: [h:9092], clientID: x }\n`)).toBe(
      "f.yaml: kafka.clientID: unknown key, got 'x'; did you mean 'clientId'?",
    );
    expect(problem(`${base}sinks: { kafka: { result: r } }\n`)).toBe(
      "f.yaml: sinks.kafka.result: unknown key, got 'r'; did you mean 'results'?",
    );
    expect(problem(`${base}metrics: { port: -1 }\n`)).toBe('f.yaml: metrics.port: must be at least 0, got -1');
  });

  it('reports every problem, one per line, and the path of an override', () => {
    const m = problem(base, ['trigger.minSrEvents=-5', 'windows.srWidth=3']);
    expect(m.split('\n')).toEqual([
      'f.yaml: trigger.minSrEvents: must be a positive number, got -5',
      'f.yaml: windows.srWidth: unknown key (known: scheme, sr, sb), got 3',
    ]);
  });

  it('every shipped topology (topologies/, deploy/) validates', async () => {
    const files = [
      ...readdirSync(path.join(repoRoot, 'topologies'))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => path.join(repoRoot, 'topologies', f)),
      path.join(repoRoot, 'deploy/topology.yaml'),
    ];
    for (const f of files) await expect(loadTopology(f)).resolves.toHaveProperty('name');
  });
});
