/**
 * The layout of src/ as a rank of folders (../shared/DESIGN.md, "Layout"): a folder imports only from itself and
 * the folders above it in RANK; stats/ imports nothing of the project, fit/ only stats/; sources/ and sinks/ never
 * import each other; the math folders do no I/O, no RxJS and no threads (no node: modules, no rxjs, no
 * worker_threads). Read from the import statements of every source file (static, dynamic and type-only alike).
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/** Top to bottom; `run` is src/run.ts. */
const RANK = [
  'events',
  'stats',
  'fit',
  'nn',
  'classify',
  'background',
  'analysis',
  'regions',
  'formats',
  'kafka',
  'sources',
  'sinks',
  'training',
  'operators',
  'topology',
  'metrics',
  'scaleout',
  'run',
  'cli',
];
const ONLY: Record<string, string[]> = { stats: [], fit: ['stats'] };
const NEVER: Array<[string, string]> = [
  ['sinks', 'sources'],
  ['sources', 'sinks'],
];
const PURE = ['stats', 'fit', 'nn', 'classify', 'background', 'analysis'];

const src = path.join(repoRoot, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** The room of a file under src/: its top folder, or 'run' for src/run.ts. */
function room(file: string): string {
  const rel = path.relative(src, file);
  return rel.includes(path.sep) ? rel.split(path.sep)[0]! : path.basename(rel, '.ts');
}

interface Edge {
  from: string;
  file: string;
  spec: string;
  to?: string;
}

function imports(file: string): Edge[] {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'([^']+)'/gm)].map((m) => m[1]!);
  return specs.map((spec) => {
    const e: Edge = { from: room(file), file: path.relative(repoRoot, file), spec };
    if (spec.startsWith('.')) e.to = room(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
    return e;
  });
}

const edges = files(src).flatMap(imports);

/** Edges that break the rank (or a folder's narrower list). */
function rankViolations(list: Edge[]): string[] {
  return list
    .filter((e) => e.to !== undefined && e.to !== e.from)
    .filter((e) => RANK.indexOf(e.to!) > RANK.indexOf(e.from) || (ONLY[e.from] && !ONLY[e.from]!.includes(e.to!)))
    .map((e) => `${e.file} imports ${e.spec} (${e.from} → ${e.to})`);
}

describe('layout: the rank of folders', () => {
  it('knows every folder of src/', () => {
    const rooms = new Set(files(src).map(room));
    expect([...rooms].filter((r) => !RANK.includes(r))).toEqual([]);
  });

  it('imports only from the same folder or folders above it', () => {
    expect(rankViolations(edges)).toEqual([]);
  });

  it('keeps sources and sinks apart', () => {
    const bad = edges
      .filter((e) => NEVER.some(([a, b]) => e.from === a && e.to === b))
      .map((e) => `${e.file} imports ${e.spec}`);
    expect(bad).toEqual([]);
  });

  it('keeps the math pure: no I/O, no RxJS, no threads', () => {
    const bad = edges
      .filter((e) => PURE.includes(e.from) && (e.spec.startsWith('node:') || e.spec === 'rxjs' || e.spec === 'fs'))
      .map((e) => `${e.file} imports ${e.spec}`);
    expect(bad).toEqual([]);
  });

  it('reads the imports and catches violations (the rule is not vacuous)', () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges.some((e) => e.from === 'cli' && e.to === 'run')).toBe(true);
    const probe = (from: string, to: string): Edge => ({ from, to, file: `src/${from}/x.ts`, spec: `../${to}/y.js` });
    expect(rankViolations([probe('stats', 'fit'), probe('fit', 'events'), probe('sources', 'sinks')])).toHaveLength(3);
    expect(rankViolations([probe('cli', 'stats'), probe('fit', 'stats'), probe('sinks', 'kafka')])).toEqual([]);
  });
});
