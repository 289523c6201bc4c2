/**
 * pyhf HistFactory JSON workspaces and patchsets (schemas 1.0.0 of scikit-hep/pyhf: workspace.json, patchset.json,
 * jsonpatch.json): reading them into the HistFactory model of fit/histfactory.ts, and applying a patch (RFC 6902
 * JSON Patch, the format of pyhf patchsets) to a workspace. Every error names the file and the JSON path.
 */
import { InputError } from '../events/errors.js';
import type { ChannelSpec, HistFactorySpec, ModifierSpec, ParameterSetting } from '../fit/histfactory.js';

export interface Workspace {
  channels: ChannelSpec[];
  observations: { name: string; data: number[] }[];
  measurements: { name: string; config: { poi: string; parameters: ParameterSetting[] } }[];
  version: string;
}

export interface Patch {
  metadata: { name: string; values: number[] } & Record<string, unknown>;
  patch: JsonPatchOp[];
}
export interface Patchset {
  metadata: {
    references: Record<string, string>;
    digests: Record<string, string>;
    labels: string[];
    description: string;
  } & Record<string, unknown>;
  patches: Patch[];
  version: string;
}

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

const MODIFIER_TYPES = new Set(['normfactor', 'lumi', 'shapefactor', 'normsys', 'histosys', 'shapesys', 'staterror']);

function fail(file: string, field: string, message: string): never {
  throw new InputError(`pyhf workspace: ${message}`, { file, field }, { reason: 'bad_workspace' });
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function numbers(v: unknown, file: string, field: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
    fail(file, field, 'expected an array of finite numbers');
  return v as number[];
}

function str(v: unknown, file: string, field: string): string {
  if (typeof v !== 'string' || v === '') fail(file, field, 'expected a non-empty string');
  return v;
}

function modifier(v: unknown, file: string, field: string, nbins: number): ModifierSpec {
  if (!isObject(v)) fail(file, field, 'a modifier must be an object with name, type and data');
  const name = str(v.name, file, `${field}.name`);
  const type = str(v.type, file, `${field}.type`);
  if (!MODIFIER_TYPES.has(type)) {
    fail(file, `${field}.type`, `unsupported modifier type '${type}' (supported: ${[...MODIFIER_TYPES].join(', ')})`);
  }
  const d = v.data;
  switch (type) {
    case 'normfactor':
    case 'lumi':
    case 'shapefactor':
      if (d !== null && d !== undefined) fail(file, `${field}.data`, `${type} takes data null`);
      return { name, type, data: null } as ModifierSpec;
    case 'normsys':
      if (!isObject(d) || typeof d.lo !== 'number' || typeof d.hi !== 'number')
        fail(file, `${field}.data`, 'normsys data must be {"lo": number, "hi": number}');
      return { name, type, data: { lo: d.lo, hi: d.hi } };
    case 'histosys': {
      if (!isObject(d)) fail(file, `${field}.data`, 'histosys data must be {"lo_data": [...], "hi_data": [...]}');
      const lo = numbers(d.lo_data, file, `${field}.data.lo_data`),
        hi = numbers(d.hi_data, file, `${field}.data.hi_data`);
      if (lo.length !== nbins || hi.length !== nbins)
        fail(file, `${field}.data`, `histosys lo_data/hi_data need ${nbins} bins`);
      return { name, type, data: { lo_data: lo, hi_data: hi } };
    }
    default: {
      const arr = numbers(d, file, `${field}.data`);
      if (arr.length !== nbins) fail(file, `${field}.data`, `${type} data has ${arr.length} bins, the sample ${nbins}`);
      return { name, type: type as 'shapesys' | 'staterror', data: arr };
    }
  }
}

/** Validate a parsed JSON document as a pyhf workspace (the parts the engine reads, strictly). */
export function parseWorkspace(doc: unknown, file: string): Workspace {
  if (!isObject(doc))
    fail(file, '$', 'a workspace is a JSON object with channels, observations, measurements, version');
  if (!Array.isArray(doc.channels) || doc.channels.length === 0) fail(file, 'channels', 'expected a non-empty array');
  const channels: ChannelSpec[] = doc.channels.map((c: unknown, ci: number) => {
    const at = `channels[${ci}]`;
    if (!isObject(c) || !Array.isArray(c.samples) || c.samples.length === 0)
      fail(file, at, 'a channel needs a name and a non-empty samples array');
    const name = str(c.name, file, `${at}.name`);
    let nbins = -1;
    const samples = c.samples.map((s: unknown, si: number) => {
      const sat = `${at}.samples[${si}]`;
      if (!isObject(s)) fail(file, sat, 'a sample must be an object with name, data and modifiers');
      const data = numbers(s.data, file, `${sat}.data`);
      if (nbins < 0) nbins = data.length;
      else if (data.length !== nbins)
        fail(file, `${sat}.data`, `${data.length} bins, the channel's first sample has ${nbins}`);
      if (!Array.isArray(s.modifiers)) fail(file, `${sat}.modifiers`, 'expected an array');
      return {
        name: str(s.name, file, `${sat}.name`),
        data,
        modifiers: s.modifiers.map((m: unknown, mi: number) =>
          modifier(m, file, `${sat}.modifiers[${mi}]`, data.length),
        ),
      };
    });
    return { name, samples };
  });
  if (!Array.isArray(doc.observations)) fail(file, 'observations', 'expected an array');
  const observations = doc.observations.map((o: unknown, i: number) => {
    if (!isObject(o)) fail(file, `observations[${i}]`, 'expected {"name", "data"}');
    return {
      name: str(o.name, file, `observations[${i}].name`),
      data: numbers(o.data, file, `observations[${i}].data`),
    };
  });
  if (!Array.isArray(doc.measurements) || doc.measurements.length === 0)
    fail(file, 'measurements', 'expected a non-empty array');
  const measurements = doc.measurements.map((m: unknown, i: number) => {
    const at = `measurements[${i}]`;
    if (!isObject(m) || !isObject(m.config)) fail(file, at, 'expected {"name", "config": {"poi", "parameters"}}');
    const params = m.config.parameters ?? [];
    if (!Array.isArray(params)) fail(file, `${at}.config.parameters`, 'expected an array');
    return {
      name: str(m.name, file, `${at}.name`),
      config: {
        poi: str(m.config.poi, file, `${at}.config.poi`),
        parameters: params.map((p: unknown, j: number) => {
          if (!isObject(p)) fail(file, `${at}.config.parameters[${j}]`, 'expected an object');
          return p as unknown as ParameterSetting;
        }),
      },
    };
  });
  const version =
    typeof doc.version === 'string' ? doc.version : fail(file, 'version', 'expected a string such as "1.0.0"');
  return { channels, observations, measurements, version };
}

/** The model and observed data of one measurement (the first when `measurement` is not given). */
export function workspaceModel(
  ws: Workspace,
  file: string,
  options: { measurement?: string; interpolation?: HistFactorySpec['interpolation'] } = {},
): { spec: HistFactorySpec; observations: Record<string, number[]>; measurement: string } {
  const m = options.measurement ? ws.measurements.find((x) => x.name === options.measurement) : ws.measurements[0];
  if (!m)
    fail(
      file,
      'measurements',
      `no measurement named '${options.measurement}' (have: ${ws.measurements.map((x) => x.name).join(', ')})`,
    );
  const observations: Record<string, number[]> = {};
  for (const o of ws.observations) observations[o.name] = o.data;
  for (const c of ws.channels) {
    if (!observations[c.name]) fail(file, 'observations', `no observation for channel ${c.name}`);
  }
  return {
    spec: {
      channels: ws.channels,
      poi: m.config.poi,
      parameters: m.config.parameters,
      interpolation: options.interpolation,
    },
    observations,
    measurement: m.name,
  };
}

export function parsePatchset(doc: unknown, file: string): Patchset {
  if (!isObject(doc) || !Array.isArray(doc.patches))
    throw new InputError(
      'pyhf patchset: expected an object with metadata, patches, version',
      { file, field: '$' },
      { reason: 'bad_workspace' },
    );
  doc.patches.forEach((p: unknown, i: number) => {
    if (!isObject(p) || !isObject(p.metadata) || typeof p.metadata.name !== 'string' || !Array.isArray(p.patch)) {
      throw new InputError(
        'pyhf patchset: a patch needs metadata.name and a patch array',
        { file, field: `patches[${i}]` },
        { reason: 'bad_workspace' },
      );
    }
  });
  return doc as unknown as Patchset;
}

/** JSON pointer tokens (RFC 6901). */
function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw new InputError(`json patch: bad pointer '${path}'`, { field: path }, { reason: 'bad_workspace' });
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolveParent(doc: unknown, tokens: string[], path: string): [Record<string, unknown> | unknown[], string] {
  let node = doc;
  for (const t of tokens.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined;
    if (node === undefined)
      throw new InputError(`json patch: path '${path}' does not exist`, { field: path }, { reason: 'bad_workspace' });
  }
  return [node as Record<string, unknown> | unknown[], tokens[tokens.length - 1]!];
}

function getAt(doc: unknown, path: string): unknown {
  let node = doc;
  for (const t of pointer(path)) {
    node = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined;
    if (node === undefined)
      throw new InputError(`json patch: path '${path}' does not exist`, { field: path }, { reason: 'bad_workspace' });
  }
  return node;
}

/** Apply an RFC 6902 JSON Patch to a deep copy of `doc`. */
export function applyJsonPatch<T>(doc: T, ops: JsonPatchOp[]): T {
  let out: unknown = structuredClone(doc);
  for (const op of ops) {
    const tokens = pointer(op.path);
    const put = (value: unknown, insert: boolean) => {
      if (!tokens.length) {
        out = value;
        return;
      }
      const [parent, key] = resolveParent(out, tokens, op.path);
      if (Array.isArray(parent)) {
        const i = key === '-' ? parent.length : Number(key);
        if (insert) parent.splice(i, 0, value);
        else parent[i] = value;
      } else parent[key] = value;
    };
    const remove = (path: string) => {
      const [parent, key] = resolveParent(out, pointer(path), path);
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    };
    switch (op.op) {
      case 'add':
        put(structuredClone(op.value), true);
        break;
      case 'replace':
        getAt(out, op.path);
        put(structuredClone(op.value), false);
        break;
      case 'remove':
        remove(op.path);
        break;
      case 'copy':
        put(structuredClone(getAt(out, op.from)), true);
        break;
      case 'move': {
        const v = getAt(out, op.from);
        remove(op.from);
        put(v, true);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(out, op.path)) !== JSON.stringify(op.value)) {
          throw new InputError(
            `json patch: test failed at '${op.path}'`,
            { field: op.path },
            { reason: 'bad_workspace' },
          );
        }
        break;
      default:
        throw new InputError(
          `json patch: unknown op '${(op as { op: string }).op}'`,
          { field: (op as { path?: string }).path },
          { reason: 'bad_workspace' },
        );
    }
  }
  return out as T;
}

/** The workspace with the named patch of a patchset applied. */
export function applyPatch(ws: Workspace, patchset: Patchset, name: string, file: string): Workspace {
  const p = patchset.patches.find((x) => x.metadata.name === name);
  if (!p)
    throw new InputError(
      `pyhf patchset: no patch named '${name}' (have: ${patchset.patches.map((x) => x.metadata.name).join(', ')})`,
      { file },
      { reason: 'bad_workspace' },
    );
  return parseWorkspace(applyJsonPatch(ws, p.patch), file);
}
