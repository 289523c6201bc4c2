import { describe, it, expect } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../helpers/paths.js';
import { alertNames, rulesFile, rulesTestFile, promqlMetricNames, loadRules } from './names.js';

const run = promisify(execFile);

describe('Prometheus rules', () => {
  it('pass `promtool check rules`', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', rulesFile]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', rulesTestFile]);
    expect(stdout).toContain('SUCCESS');
  });

  it('have a promtool unit test that expects every alert to fire', () => {
    const tests = (
      YAML.parse(fs.readFileSync(rulesTestFile, 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
      }
    ).tests;
    const firing = new Set(
      tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
    );
    expect(alertNames().length).toBeGreaterThanOrEqual(5);
    for (const name of alertNames()) expect([name, firing.has(name)]).toEqual([name, true]);
  });

  it('carry summary, description and runbook annotations, and the runbooks exist in docs/cluster.md', () => {
    const docs = fs.readFileSync(path.join(repoRoot, 'docs/cluster.md'), 'utf8');
    for (const g of loadRules()) {
      for (const r of g.rules.filter((x) => x.alert)) {
        expect(Object.keys(r.annotations ?? {}).sort()).toEqual(['description', 'runbook_url', 'summary']);
        const anchor = r.annotations!.runbook_url!.split('#')[1];
        expect(anchor).toBe(r.alert!.toLowerCase());
        // GitHub anchors: a "### SidebandAnomalyCandidate" heading becomes #sidebandanomalycandidate.
        expect(docs).toContain(`### ${r.alert}\n`);
      }
    }
  });

  it('the scrape configuration passes `promtool check config`', async () => {
    const { stdout } = await run('promtool', [
      'check',
      'config',
      path.join(repoRoot, 'monitoring/prometheus/prometheus.yml'),
    ]);
    expect(stdout).toContain('SUCCESS');
  });
});

describe('promqlMetricNames', () => {
  it('finds series names and skips functions, labels, durations, keywords and variables', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.9, sum by (job, model, le) (rate(sideband_training_duration_seconds_bucket{job=~"$job"}[$__rate_interval])))',
      ),
    ).toEqual(['sideband_training_duration_seconds_bucket']);
    expect(
      promqlMetricNames('a_total > 0 and on (job, instance) sum by (job) (rate(b_total[5m])) == 0').sort(),
    ).toEqual(['a_total', 'b_total']);
    expect(promqlMetricNames('x >= on (job, instance) group_left () y')).toEqual(['x', 'y']);
    expect(promqlMetricNames('max by (window) (z) / min without (instance) (w)')).toEqual(['z', 'w']);
    expect(promqlMetricNames('job:sideband_x:rate5m > 0.01')).toEqual(['job:sideband_x:rate5m']);
  });
});
