import { describe, it, expect } from '@jest/globals';
import fs from 'node:fs';
import { dashboardFile, dashboardMetricNames } from './names.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}
const dash = JSON.parse(fs.readFileSync(dashboardFile, 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};

describe('Grafana dashboard', () => {
  it('has unique panel ids and a layout without overlaps inside 24 columns', () => {
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of dash.panels) {
      const g = p.gridPos;
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const key = `${x},${y}`;
          expect([p.title, key, cells.has(key)]).toEqual([p.title, key, false]);
          cells.add(key);
        }
      }
    }
  });

  it('queries the provisioned Prometheus through the datasource variable in every panel', () => {
    expect(dash.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'window', 'working_point']);
    for (const p of dash.panels.filter((x) => x.type !== 'row')) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own template variable, not a JS template
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets!.length).toBeGreaterThan(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const t of p.targets!) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own template variable
        expect(t.datasource?.uid).toBe('${datasource}');
        expect(t.expr).toMatch(/job=~"\$job"/);
      }
    }
  });

  it('shows what the issue asks for: rates, cut flow, buffer fill per window, training times, significance per window over time', () => {
    const byTitle = (re: RegExp) => dash.panels.find((p) => re.test(p.title));
    expect(
      byTitle(/^Events per second/)!
        .targets!.map((t) => t.expr)
        .join(' '),
    ).toContain('rate(sideband_events_read_total');
    expect(byTitle(/^Cut flow/)!.targets![0]!.expr).toContain('sideband_events_selected_total');
    expect(byTitle(/^Buffer fill per window/)!.targets![0]!.expr).toContain(
      'sum by (window, role) (sideband_buffer_events',
    );
    expect(byTitle(/^Training duration/)!.targets![0]!.expr).toContain('histogram_quantile(0.5');
    const z = byTitle(/significance Z per window over time/)!;
    expect(z.type).toBe('timeseries');
    expect(z.targets![0]!.expr).toContain('sideband_window_significance_z');
    expect(z.targets![1]!.expr).toContain('sideband_alert_threshold_z');
    expect(dashboardMetricNames()).toContain('sideband_kafka_consumer_lag');
  });
});
