/** Models as artifacts: save to bytes and back gives the same predictions, densities and samples. */
import { InputError } from '../../src/events/errors.js';
import { ConditionalFlow } from '../../src/nn/flows/flow.js';
import { Network } from '../../src/nn/network.js';
import { NetworkObjective } from '../../src/nn/objective.js';
import { fit } from '../../src/nn/fit.js';
import {
  base64ToBytes,
  bytesToBase64,
  fromBytes,
  loadFlow,
  loadNetwork,
  saveFlow,
  saveNetwork,
  toBytes,
} from '../../src/nn/serialize.js';
import { batchNorm, branches, conv1d, dense, flatten, network, toSequence } from '../../src/nn/spec.js';
import { mulberry32 } from '../../src/stats/random.js';

describe('nn serialisation', () => {
  it('base64 round trip of every length', () => {
    for (let n = 0; n < 9; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) & 255);
      expect(Array.from(base64ToBytes(bytesToBase64(b)))).toEqual(Array.from(b));
    }
    expect(bytesToBase64(Uint8Array.from([104, 105]))).toBe('aGk=');
  });

  it('a trained network with batch norm and convolutions survives bytes', () => {
    const r = mulberry32(2);
    const x = Float32Array.from({ length: 40 * 8 }, () => r());
    const y = Float32Array.from({ length: 40 * 2 }, () => r());
    const spec = network(8, [
      toSequence(1),
      branches([[conv1d(3, 3, { activation: 'relu' })]], true),
      flatten(),
      dense(6, { activation: 'relu' }),
      batchNorm(),
      dense(2),
    ]);
    const net = new Network(spec, { seed: 5, capacity: 16 });
    const rows = Uint32Array.from({ length: 40 }, (_, i) => i);
    const res = fit(new NetworkObjective(net, { x, y }, { name: 'mse' }), rows, null, { epochs: 2, batchSize: 16 });
    const bytes = toBytes(saveNetwork(net, { training: res, extra: { note: 'test' } }));
    const saved = fromBytes(bytes);
    expect(saved.extra).toEqual({ note: 'test' });
    expect(saved.training!.trainLoss).toEqual(res.trainLoss);
    const back = loadNetwork(saved, { capacity: 7 });
    expect(Array.from(back.predict(x))).toEqual(Array.from(net.predict(x)));
  });

  it('a fitted flow survives bytes: log-densities, samples, preprocessing', () => {
    const r = mulberry32(3);
    const X = Float32Array.from({ length: 400 }, () => r());
    const m = Float32Array.from({ length: 200 }, () => r());
    const flow = new ConditionalFlow(
      { type: 'rqs', features: 2, context: 1, blocks: 2, hidden: 8, bins: 4, tailBound: 3 },
      { seed: 1, capacity: 50 },
    );
    flow.fit(X, m, null, null, { epochs: 1, batchSize: 50 });
    const back = loadFlow(fromBytes(toBytes(saveFlow(flow))));
    expect(back.preprocessor).toEqual(flow.preprocessor);
    expect(Array.from(back.logProb(X.subarray(0, 20), m.subarray(0, 10)))).toEqual(
      Array.from(flow.logProb(X.subarray(0, 20), m.subarray(0, 10))),
    );
    expect(Array.from(back.sample(5, 0.3, 4))).toEqual(Array.from(flow.sample(5, 0.3, 4)));
  });

  it('refuses a model whose tensors do not match its spec, and non-models', () => {
    const net = new Network(network(3, [dense(4), dense(1)]), { capacity: 4 });
    const saved = saveNetwork(net);
    expect(() => loadNetwork({ ...saved, spec: network(3, [dense(5), dense(1)]) })).toThrow(InputError);
    expect(() => loadNetwork({ ...saved, format: 'other' as 'sideband-nn' })).toThrow(/format/);
    expect(() => loadFlow(saved)).toThrow(/not a flow/);
    expect(() => fromBytes(Uint8Array.from([1, 2, 3]))).toThrow(InputError);
  });
});
