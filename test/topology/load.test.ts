import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { loadTopology, parseTopology } from '../../src/topology/load.js';
import { TopologyError } from '../../src/events/errors.js';
import { repoRoot } from '../helpers/paths.js';

const minimal = `
name: t
source: { kind: parquet, path: x.parquet }
columns: { mjj: TeV }
windows: { scheme: single }
features: [mjj]
`;

describe('topology loading', () => {
  it('fills defaults', () => {
    const t = parseTopology(minimal, 't.yaml');
    expect(t.trigger).toEqual({ minSrEvents: 2000, growthFactor: 2 });
    expect(t.workingPoints).toEqual([0.1, 0.02, 0.01]);
    expect(t.fit).toEqual({ strategy: 'atlas2024', sqrtS: 13000 });
    expect(t.cuts).toBe('none');
  });

  it('names the file and the field path of a bad value', () => {
    const bad = minimal.replace('features: [mjj]', 'features: [mjj]\ntrigger: { minSrEvents: -5 }');
    try {
      parseTopology(bad, 'topologies/bad.yaml');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(TopologyError);
      expect((e as TopologyError).message).toMatch(/^topologies\/bad\.yaml: trigger\.minSrEvents: /);
    }
  });

  it('rejects unknown keys (a typo must not be ignored) and YAML syntax errors with a line', () => {
    expect(() => parseTopology(`${minimal}\nwindos: {}`, 'a.yaml')).toThrow(/a\.yaml: .*windos/);
    expect(() => parseTopology('name: [unclosed', 'b.yaml')).toThrow(/b\.yaml: line 1/);
  });

  it('applies --set overrides with YAML-typed values', () => {
    const t = parseTopology(minimal, 't.yaml', [
      'source.path=/data/run2.parquet',
      'trigger.minSrEvents=500',
      'workingPoints=[0.05]',
    ]);
    expect(t.source).toEqual({ kind: 'parquet', path: '/data/run2.parquet' });
    expect(t.trigger.minSrEvents).toBe(500);
    expect(t.workingPoints).toEqual([0.05]);
    expect(() => parseTopology(minimal, 't.yaml', ['__proto__.x=1'])).toThrow('not allowed');
    expect(() => parseTopology(minimal, 't.yaml', ['novalue'])).toThrow('--set expects key.path=value');
  });

  it('does not construct objects from YAML tags (a topology never contains code)', () => {
    const t = parseTopology(`${minimal}\ndescription: !!js/function "function(){}"`, 't.yaml');
    expect(typeof t.description).toBe('string');
  });

  it('every shipped topology validates', async () => {
    const dir = path.join(repoRoot, 'topologies');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) await expect(loadTopology(path.join(dir, f))).resolves.toHaveProperty('name');
  });
});
