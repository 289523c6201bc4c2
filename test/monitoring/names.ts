/**
 * Metric names used by the monitoring assets (Prometheus rules, Grafana dashboard), read from the files as they
 * are deployed, so that the tests can check them against what a live processor exports.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../helpers/paths.js';

export const rulesFile = path.join(repoRoot, 'monitoring/prometheus/rules/sideband.rules.yml');
export const rulesTestFile = path.join(repoRoot, 'monitoring/prometheus/tests/sideband_test.yml');
export const dashboardFile = path.join(repoRoot, 'monitoring/grafana/dashboards/sideband.json');

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  // aggregation operators may be followed by a grouping clause before their parenthesis: `sum by (job) (x)`
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
]);

/**
 * Series names selected by a PromQL expression. Label matchers, range selectors, string literals and grouping
 * label lists are cut out first; what is left that is an identifier and not a function call or keyword is a name.
 */
export function promqlMetricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' $1 ');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w$.])[a-zA-Z_:][\w:]*/g)) {
    const rest = s.slice((m.index ?? 0) + m[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

interface RuleGroup {
  name: string;
  rules: { record?: string; alert?: string; expr: string; annotations?: Record<string, string> }[];
}

export function loadRules(): RuleGroup[] {
  return (YAML.parse(fs.readFileSync(rulesFile, 'utf8')) as { groups: RuleGroup[] }).groups;
}

export function recordedNames(): Set<string> {
  return new Set(loadRules().flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
}

export function alertNames(): string[] {
  return loadRules().flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
}

export function ruleMetricNames(): Set<string> {
  return new Set(loadRules().flatMap((g) => g.rules.flatMap((r) => promqlMetricNames(r.expr))));
}

/** Every PromQL expression of the dashboard: panel targets and label_values() of the template variables. */
export function dashboardExpressions(): string[] {
  const dash = JSON.parse(fs.readFileSync(dashboardFile, 'utf8')) as {
    panels: { targets?: { expr?: string }[]; panels?: unknown[] }[];
    templating: { list: { type: string; query?: unknown; definition?: string }[] };
  };
  const exprs: string[] = [];
  for (const p of dash.panels) for (const t of p.targets ?? []) if (t.expr) exprs.push(t.expr);
  for (const v of dash.templating.list) {
    if (v.type !== 'query' || !v.definition) continue;
    const m = /label_values\(\s*([^,]+),/.exec(v.definition);
    if (m) exprs.push(m[1]!);
  }
  return exprs;
}

export function dashboardMetricNames(): Set<string> {
  return new Set(dashboardExpressions().flatMap(promqlMetricNames));
}
