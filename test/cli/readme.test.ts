/**
 * The README says what a new user needs: every command, every exit code, the --set source switch, what the tests
 * need (the shared data and each Debian package .ci/run installs), the seed papers by title and arXiv id, and the
 * progress screenshot it shows exists.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT_CODE_HELP } from '../../src/cli/exit-codes.js';
import { COMMAND_SPECS } from '../../src/cli/specs.js';
import { repoRoot } from '../helpers/paths.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const section = (title: string) => {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, end < 0 ? undefined : end);
};

describe('README', () => {
  it('lists every command and every exit code', () => {
    const commands = section('Commands');
    for (const c of COMMAND_SPECS) expect(commands).toContain(`\`sideband ${c.name} `);
    for (const [code] of EXIT_CODE_HELP) expect(commands).toMatch(new RegExp(`\\n\\| ${code} \\| `));
  });

  it('documents the --set source switch and the spelling that replaces the whole block', () => {
    const commands = section('Commands');
    expect(commands).toContain('`--set source.path=F` on a\ngenerator topology');
    expect(commands).toContain("--set 'source={kind: parquet, path: events.parquet, batchSize: 65536}'");
  });

  it('says what the tests need: ../shared/data and every Debian package .ci/run installs', () => {
    const needs = section('What the tests need');
    const ci = readFileSync(path.join(repoRoot, '.ci/run'), 'utf8');
    const packages = /apt-get install -y -qq --no-install-recommends ([^>\n]+)/.exec(ci)![1]!.trim().split(/\s+/);
    expect(packages.length).toBeGreaterThanOrEqual(4);
    for (const p of packages) expect(needs).toContain(`\`${p}\``);
    expect(needs).toContain('`../shared/data/` beside the checkout');
    expect(needs).toContain('SIDEBAND_SHARED');
  });

  it('cites every seed paper by title and arXiv id', () => {
    const methods = section('The methods');
    for (const [seed, id] of [
      ['000', '2502.09770'],
      ['001', '2005.02983'],
      ['002', '2107.11573'],
      ['003', '2412.03747'],
      ['004', '2404.07258'],
    ] as const) {
      expect(methods).toMatch(new RegExp(`\\n\\| ${seed} \\| [^|]*\\*[^*]+\\*[^|]*arXiv:${id.replace('.', '\\.')}`));
    }
  });

  it('shows the progress display it captured', () => {
    expect(readme).toContain('![The progress display of npm start, captured in tmux](docs/progress.png)');
    expect(existsSync(path.join(repoRoot, 'docs/progress.png'))).toBe(true);
  });
});
