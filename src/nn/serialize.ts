/**
 * Trained models as artifacts: a network or flow becomes one JSON-able object (architecture spec, seed,
 * parameter and state values as little-endian float32 in base64, preprocessing, training curve, caller's extras)
 * and back; toBytes/fromBytes give the UTF-8 bytes of that JSON for a file or a message. Writing the file is the
 * caller's job (nn/ does no I/O). Loading rebuilds the model from its spec and checks the tensor list matches.
 */
import { InputError } from '../events/errors.js';
import type { BackendChoice } from './backend.js';
import type { FitResult } from './fit.js';
import { ConditionalFlow, type FlowSpec } from './flows/flow.js';
import type { Preprocessor } from './flows/preprocess.js';
import { Network } from './network.js';
import type { ParamStore } from './params.js';
import type { NetworkSpec } from './spec.js';

export const MODEL_FORMAT = 'sideband-nn';
export const MODEL_VERSION = 1;

export interface SavedModel {
  format: typeof MODEL_FORMAT;
  version: number;
  kind: 'network' | 'flow';
  spec: NetworkSpec | FlowSpec;
  seed: number;
  /** Parameter block then state block, float32 little-endian, base64. */
  values: string;
  tensors: { name: string; size: number }[];
  states: { name: string; size: number }[];
  preprocessor?: Preprocessor;
  training?: FitResult;
  extra?: Record<string, unknown>;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function bytesToBase64(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 3) {
    const a = b[i]!;
    const c = i + 1 < b.length ? b[i + 1]! : 0;
    const d = i + 2 < b.length ? b[i + 2]! : 0;
    const n = (a << 16) | (c << 8) | d;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += i + 1 < b.length ? B64[(n >> 6) & 63]! : '=';
    out += i + 2 < b.length ? B64[n & 63]! : '=';
  }
  return out;
}

export function base64ToBytes(s: string): Uint8Array {
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const v = [0, 1, 2, 3].map((k) => (i + k < clean.length ? B64.indexOf(clean[i + k]!) : 0));
    if (v.some((x) => x < 0))
      throw new InputError('nn model: values are not base64', { field: 'values', offset: String(i) });
    const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

function values(store: ParamStore): string {
  const snap = store.snapshot();
  const bytes = new Uint8Array(snap.length * 4);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < snap.length; i++) dv.setFloat32(i * 4, snap[i]!, true);
  return bytesToBase64(bytes);
}

function restoreValues(store: ParamStore, saved: SavedModel): void {
  const names = store.params.map((p) => ({ name: p.name, size: p.size }));
  const states = store.states.map((s) => ({ name: s.name, size: s.size }));
  if (
    JSON.stringify(names) !== JSON.stringify(saved.tensors) ||
    JSON.stringify(states) !== JSON.stringify(saved.states)
  ) {
    throw new InputError('nn model: saved tensors do not match the architecture rebuilt from its spec', {
      field: 'tensors',
    });
  }
  const bytes = base64ToBytes(saved.values);
  const n = store.size + store.stateSize;
  if (bytes.length !== n * 4)
    throw new InputError(`nn model: ${bytes.length} value bytes, the architecture needs ${n * 4}`, { field: 'values' });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const snap = new Float32Array(n);
  for (let i = 0; i < n; i++) snap[i] = dv.getFloat32(i * 4, true);
  store.restore(snap);
}

function header(store: ParamStore) {
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    tensors: store.params.map((p) => ({ name: p.name, size: p.size })),
    states: store.states.map((s) => ({ name: s.name, size: s.size })),
    values: values(store),
  } as const;
}

export function saveNetwork(
  net: Network,
  o: { training?: FitResult; extra?: Record<string, unknown> } = {},
): SavedModel {
  return {
    ...header(net.params),
    kind: 'network',
    spec: net.spec,
    seed: net.seed,
    training: o.training,
    extra: o.extra,
  };
}

export function saveFlow(flow: ConditionalFlow, o: { extra?: Record<string, unknown> } = {}): SavedModel {
  return {
    ...header(flow.params),
    kind: 'flow',
    spec: flow.spec,
    seed: flow.seed,
    preprocessor: flow.preprocessor,
    training: flow.training,
    extra: o.extra,
  };
}

function check(saved: SavedModel, kind: 'network' | 'flow'): void {
  if (saved.format !== MODEL_FORMAT)
    throw new InputError(`nn model: format ${String(saved.format)} is not ${MODEL_FORMAT}`, { field: 'format' });
  if (saved.version !== MODEL_VERSION)
    throw new InputError(`nn model: version ${saved.version} is not ${MODEL_VERSION}`, { field: 'version' });
  if (saved.kind !== kind) throw new InputError(`nn model: a ${saved.kind}, not a ${kind}`, { field: 'kind' });
}

export function loadNetwork(saved: SavedModel, o: { backend?: BackendChoice; capacity?: number } = {}): Network {
  check(saved, 'network');
  const net = new Network(saved.spec as NetworkSpec, { seed: saved.seed, backend: o.backend, capacity: o.capacity });
  restoreValues(net.params, saved);
  return net;
}

export function loadFlow(saved: SavedModel, o: { backend?: BackendChoice; capacity?: number } = {}): ConditionalFlow {
  check(saved, 'flow');
  const flow = new ConditionalFlow(saved.spec as FlowSpec, {
    seed: saved.seed,
    backend: o.backend,
    capacity: o.capacity,
  });
  restoreValues(flow.params, saved);
  flow.preprocessor = saved.preprocessor;
  flow.training = saved.training;
  return flow;
}

export function toBytes(saved: SavedModel): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(saved));
}

export function fromBytes(bytes: Uint8Array): SavedModel {
  let obj: unknown;
  try {
    obj = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new InputError('nn model: bytes are not JSON', { offset: '0' }, { cause: e });
  }
  return obj as SavedModel;
}
