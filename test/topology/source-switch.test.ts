/** `--set source.<field>=v` on a source of another kind (src/topology/source-switch.ts). */
import { describe, expect, it } from '@jest/globals';
import { parseTopology } from '../../src/topology/load.js';

const generated = `
name: g
source: { kind: generator, events: 1000, mjjMin: 1800, batchSize: 512, signals: ["mA=3500,mB=500,mC=100,n=10"] }
columns: { mjj: GeV }
windows: { scheme: single }
features: [mjj]
`;

describe('--set on a source field of another kind', () => {
  it('source.path on a generator topology reads that file: the source becomes parquet, the switch is logged', () => {
    const logs: string[] = [];
    const t = parseTopology(generated, 'g.yaml', ['source.path=run2/events.parquet'], (m) => logs.push(m));
    expect(t.source).toEqual({ kind: 'parquet', path: 'run2/events.parquet', batchSize: 512 });
    expect(logs).toEqual([
      '--set source.path: source switched from generator to parquet (dropped events, mjjMin, signals)',
    ]);
    // A directory or a glob of Parquet files implies Parquet too.
    expect(parseTopology(generated, 'g.yaml', ['source.path=data/*.parquet']).source).toMatchObject({
      kind: 'parquet',
    });
  });

  it('source.topic switches to Kafka and source.events to the generator; the whole block can still be given', () => {
    const parquet = generated.replace(/source: .*\n/, 'source: { kind: parquet, path: x.parquet }\n');
    expect(parseTopology(parquet, 'p.yaml', ['source.topic=events']).source).toEqual({
      kind: 'kafka',
      topic: 'events',
      format: 'arrow',
    });
    expect(parseTopology(parquet, 'p.yaml', ['source.events=500']).source).toEqual({ kind: 'generator', events: 500 });
    expect(parseTopology(generated, 'g.yaml', ['source={kind: parquet, path: F.parquet}']).source).toEqual({
      kind: 'parquet',
      path: 'F.parquet',
    });
  });

  it('the extension names the format; a field no kind takes names the spelling that works', () => {
    expect(parseTopology(generated, 'g.yaml', ['source.path=events.h5']).source).toMatchObject({
      kind: 'hdf5',
      path: 'events.h5',
    });
    expect(parseTopology(generated, 'g.yaml', ['source.path=innerdata.npy']).source).toMatchObject({
      kind: 'numpy',
      path: 'innerdata.npy',
    });
    expect(() => parseTopology(generated, 'g.yaml', ['source.paht=x.parquet'])).toThrow(
      "g.yaml: source.paht: a generator source has no field 'paht'; did you mean 'path'?; to read another source, replace the whole block, e.g. --set 'source={kind: parquet, path: FILE}'",
    );
  });

  it('fields the current kind takes are set as they are', () => {
    expect(parseTopology(generated, 'g.yaml', ['source.events=77']).source).toMatchObject({
      kind: 'generator',
      events: 77,
      mjjMin: 1800,
    });
  });
});
