import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { generatorVersion, sourceClosure } from '../../bench/input-cache.js';
import { repoRoot } from '../helpers/paths.js';

describe('bench input cache', () => {
  it("keys generated files by the generator's whole source closure, not by a file name", () => {
    const files = sourceClosure(path.join(repoRoot, 'src/cli/generate.ts')).map((f) => path.relative(repoRoot, f));
    expect(files).toEqual(
      expect.arrayContaining(['src/cli/generate.ts', 'src/sources/generator.ts', 'src/sinks/parquet.ts']),
    );
    expect(files.some((f) => f.startsWith('src/sources/generator-'))).toBe(true);
    expect(generatorVersion()).toMatch(/^[0-9a-f]{16}$/);
  });
});
