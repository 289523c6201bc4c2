/**
 * manifest.json: what a run was made from, so an output directory can be traced back and the run repeated — the
 * topology file and the sha256 of what was run (after --set overrides and defaults), the --set list, the seed, the
 * versions of sideband, Node and the libraries that shape results, the input files with size and modification
 * time, start and end, and how the run ended (status and exit code).
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Libraries whose version can change what a run reads, computes or writes. */
export const MANIFEST_DEPENDENCIES = [
  'hyparquet',
  'hyparquet-compressors',
  'rxjs',
  'apache-arrow',
  'kafkajs',
  '@tensorflow/tfjs',
  'fastest-validator',
  'yaml',
];

export interface ManifestInput {
  path: string;
  bytes: number;
  mtime: string;
  rows?: number;
}

export interface RunManifest {
  runId: string;
  /** ok | no-input | analysis-failed | failed | interrupted */
  status: string;
  exitCode: number;
  /** Why a run that did not finish ended. */
  error?: string;
  started: string;
  finished: string;
  seconds: number;
  topology: {
    file: string;
    name: string;
    /** sha256 of the file as it is on disk (null when it is not a file, e.g. a test's inline topology). */
    fileSha256: string | null;
    /** sha256 of the topology that ran: canonical JSON (sorted keys) after --set overrides and defaults. */
    sha256: string;
    overrides: string[];
  };
  seed: number;
  versions: { sideband: string; node: string; dependencies: Record<string, string | null> };
  platform: string;
  source: string;
  inputs: ManifestInput[];
  output: string;
}

/** JSON with keys sorted at every depth, so equal topologies hash equal however their YAML was ordered. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The package root: the nearest directory above this module with a package.json named sideband. */
async function packageRoot(): Promise<string | undefined> {
  for (let d = path.dirname(fileURLToPath(import.meta.url)); path.dirname(d) !== d; d = path.dirname(d)) {
    try {
      const pkg = JSON.parse(await readFile(path.join(d, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'sideband') return d;
    } catch {
      // not here; look further up
    }
  }
  return undefined;
}

async function versionOf(dir: string): Promise<string | null> {
  try {
    return (JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** Versions of sideband, Node and MANIFEST_DEPENDENCIES as installed (null for one that is not). */
export async function runVersions(): Promise<RunManifest['versions']> {
  const root = await packageRoot();
  const dependencies: Record<string, string | null> = {};
  for (const d of MANIFEST_DEPENDENCIES)
    dependencies[d] = root ? await versionOf(path.join(root, 'node_modules', d)) : null;
  return { sideband: (root && (await versionOf(root))) || 'unknown', node: process.version, dependencies };
}

/** sha256 of a topology file's bytes, or null when there is no such file. */
export async function fileSha256(file: string): Promise<string | null> {
  try {
    return sha256(await readFile(file));
  } catch {
    return null;
  }
}

export async function writeManifest(dir: string, m: RunManifest): Promise<void> {
  await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
}
