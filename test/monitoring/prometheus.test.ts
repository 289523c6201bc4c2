/**
 * A real Prometheus (Debian package `prometheus`) on loopback scrapes a live sideband metrics server; the test
 * reads the values back through Prometheus's HTTP API, checks that the anomaly alert rule fires on a live series,
 * and checks that every metric the rules and the dashboard use is exported by the processor.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { Metrics } from '../../src/metrics/index.js';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server.js';
import { AlertTracker } from '../../src/operators/alert.js';
import type { WindowResult } from '../../src/events/result.js';
import { dashboardMetricNames, recordedNames, ruleMetricNames, rulesFile } from './names.js';
import { repoRoot } from '../helpers/paths.js';

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Poll until `probe` returns a value, at most `ms` milliseconds (the wait is bounded; timings are not asserted). */
async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

function result(window: string, z: number): WindowResult {
  return {
    runId: 'live',
    topology: 'quickstart',
    window: {
      id: window,
      sr: [3300, 3700],
      sb: [
        [2700, 3300],
        [3700, 4300],
      ],
    },
    workingPoint: 0.1,
    trigger: 'growth',
    cutflow: [],
    counts: { sr: 1000, sbLow: 3000, sbHigh: 900 },
    fit: {
      function: 'dijet4',
      params: [],
      covariance: [],
      chi2: 20,
      ndf: 22,
      pvalue: 0.58,
      status: 'ok',
      reason: 'accepted',
      sbRange: [2700, 4300],
      prediction: [],
      predictionErr: [],
      converged: true,
    },
    significance: { z, p: 3e-5, observed: 1200, expected: 1050, expectedErr: 20 },
    valid: true,
    createdAt: new Date().toISOString(),
  };
}

/** Start a real Prometheus on a free loopback port with the given scrape jobs and the repository's rules. */
async function startPrometheus(
  tmp: string,
  scrapeJobs: string[],
): Promise<{ url: string; proc: ChildProcess; log: () => string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${JSON.stringify(rulesFile)}`,
    'scrape_configs:',
    ...scrapeJobs,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(tmp, 'prometheus.yml'), config);
  let log = '';
  const proc = spawn(
    'prometheus',
    [
      `--config.file=${path.join(tmp, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(tmp, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  await until('Prometheus /-/ready', 30_000, async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined)).catch(
    (err: Error) => {
      throw new Error(`${err.message}\nprometheus log:\n${log}`);
    },
  );
  return { url, proc, log: () => log };
}

async function stop(proc: ChildProcess | undefined): Promise<void> {
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
}

async function promQuery(promUrl: string, q: string): Promise<VectorSample[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as {
    status: string;
    data: { resultType: string; result: VectorSample[] };
    error?: string;
  };
  if (body.status !== 'success') throw new Error(`query ${q}: ${body.error}`);
  return body.data.result;
}

/** Metric families declared (# TYPE) in a text exposition, and the sample names they stand for. */
function declaredSampleNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m;
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

describe('Prometheus on loopback scraping a live processor', () => {
  let metrics: Metrics;
  let server: MetricsServer;
  let prom: ChildProcess | undefined;
  let promUrl = '';
  let tmp = '';

  beforeAll(async () => {
    metrics = new Metrics({ role: 'worker', version: 'test' });
    const o = metrics.observer();
    // Feed every instrument once, as a run would.
    o.eventsRead(5000);
    o.eventsAccepted(4990);
    o.eventsRejected('nan', 10);
    o.eventsSelected('mjj_min', 4000);
    o.eventsSelected('delta_y', 3000);
    o.bufferEvents('sr-3300-3700', 'sr', 1200);
    o.bufferEvents('sr-3300-3700', 'sb_low', 3000);
    o.trainingStarted('cwola-hgb');
    o.trainingFinished('cwola-hgb', 4.2);
    o.trainingStarted('cwola-hgb'); // fails later, once Prometheus has seen the failure counter at 0
    o.queueDepth(2);
    o.deadLetter({ reason: 'nan', message: 'NaN in mjj', events: 1 });
    o.kafkaLag('sideband.regions', 0, 250);
    metrics.declareWindows(['sr-3300-3700', 'sr-3600-4000'], [0.1]);
    const tracker = new AlertTracker({ threshold: 3, observer: metrics.observer(), log: null });
    for (const r of [result('sr-3300-3700', 4.1), result('sr-3600-4000', 0.7)]) {
      o.windowResult(r);
      tracker.offer(r);
    }
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, metrics, ready: () => true });

    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sideband-prom-'));
    const started = await startPrometheus(tmp, [
      '  - job_name: sideband-worker',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${server.port}']`,
    ]);
    prom = started.proc;
    promUrl = started.url;
  });

  afterAll(async () => {
    await stop(prom);
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const query = (q: string) => promQuery(promUrl, q);

  async function queryUntil(q: string, accept: (r: VectorSample[]) => boolean): Promise<VectorSample[]> {
    return until(`${q} in Prometheus`, 30_000, async () => {
      const r = await query(q);
      return accept(r) ? r : undefined;
    });
  }

  it('reads the scraped values back through the HTTP API', async () => {
    const read = await queryUntil('sideband_events_read_total{job="sideband-worker"}', (r) => r.length === 1);
    expect(read[0]!.value[1]).toBe('5000');
    expect(read[0]!.metric.instance).toBe(`127.0.0.1:${server.port}`);
    const z = await query('sideband_window_significance_z');
    expect(z.map((s) => [s.metric.window, s.metric.working_point, Number(s.value[1])]).sort()).toEqual([
      ['sr-3300-3700', '0.1', 4.1],
      ['sr-3600-4000', '0.1', 0.7],
    ]);
    const buf = await query('sideband_buffer_events{window="sr-3300-3700",role="sb_low"}');
    expect(buf[0]!.value[1]).toBe('3000');

    // Values change in the processor and the change arrives through the next scrapes.
    metrics.eventsRead.inc(1000);
    await queryUntil('sideband_events_read_total', (r) => r.length === 1 && r[0]!.value[1] === '6000');
    const lag = await query('sum by (topic) (sideband_kafka_consumer_lag)');
    expect(lag[0]).toMatchObject({ metric: { topic: 'sideband.regions' }, value: [expect.any(Number), '250'] });
  });

  it('fires the anomaly-candidate alert for the window above the exported threshold only', async () => {
    const alerts = await until('SidebandAnomalyCandidate firing', 30_000, async () => {
      const body = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as {
        data: { alerts: { labels: Record<string, string>; state: string; annotations: Record<string, string> }[] };
      };
      const firing = body.data.alerts.filter(
        (a) => a.labels.alertname === 'SidebandAnomalyCandidate' && a.state === 'firing',
      );
      return firing.length > 0 ? firing : undefined;
    });
    expect(alerts.map((a) => a.labels.window)).toEqual(['sr-3300-3700']);
    expect(alerts[0]!.annotations.summary).toBe(
      'Anomaly candidate in window sr-3300-3700 (working point 0.1): Z = 4.10',
    );
    // A training fails after Prometheus has scraped the failure counter at 0: the training alert fires too.
    await queryUntil(
      'sideband_trainings_failed_total{model="cwola-hgb"}',
      (r) => r.length === 1 && r[0]!.value[1] === '0',
    );
    metrics.observer().trainingFailed('cwola-hgb');
    await until('SidebandTrainingFailing firing', 30_000, async () => {
      const body = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as {
        data: { alerts: { labels: Record<string, string>; state: string }[] };
      };
      return body.data.alerts.some((a) => a.labels.alertname === 'SidebandTrainingFailing' && a.state === 'firing')
        ? true
        : undefined;
    });
  });

  it('exports every metric that the rules and the dashboard use (live scrape, as stored by Prometheus)', async () => {
    await queryUntil('nodejs_eventloop_lag_p99_seconds', (r) => r.length === 1);
    const body = (await (await fetch(`${promUrl}/api/v1/label/__name__/values`)).json()) as { data: string[] };
    const stored = new Set(body.data);
    const direct = await (await fetch(`${server.url}/metrics`)).text();
    const recorded = recordedNames();
    const used = new Set([...ruleMetricNames(), ...dashboardMetricNames()]);
    // A vacuous extraction would pass trivially: make sure the families the issue names are among the used ones.
    for (const n of [
      'sideband_events_read_total',
      'sideband_events_selected_total',
      'sideband_buffer_events',
      'sideband_window_significance_z',
      'sideband_training_duration_seconds_bucket',
      'sideband_kafka_consumer_lag',
      'sideband_dead_letters_total',
    ])
      expect(used).toContain(n);
    const missing: string[] = [];
    for (const name of used) {
      if (recorded.has(name)) continue; // produced by a recording rule from exported series
      if (name === 'up') continue; // synthesised by Prometheus for every target
      if (!stored.has(name) || !new RegExp(`^${name}[{ ]`, 'm').test(direct)) missing.push(name);
    }
    expect(missing).toEqual([]);
    // Recording-rule names used by the alerts must be defined by a recording rule.
    for (const name of used) if (name.includes(':')) expect([name, recorded.has(name)]).toEqual([name, true]);
  });
});

/**
 * The real processor: `sideband run` on the quickstart topology (fewer events) with an ephemeral metrics port.
 * Prometheus discovers it through a file_sd target file written once the process logs its metrics URL, scrapes it
 * while it runs, and the test reads the values back through the HTTP API. The metric families the rules and the
 * dashboard use must be declared by the process itself.
 */
describe('Prometheus scraping a running `sideband run`', () => {
  let tmp = '';
  let prom: { url: string; proc: ChildProcess; log: () => string } | undefined;
  let run: ChildProcess | undefined;

  afterAll(async () => {
    await stop(run);
    await stop(prom?.proc);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('scrapes the processor while it runs, and the processor declares every metric the rules and dashboard use', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sideband-prom-run-'));
    const targets = path.join(tmp, 'targets.json');
    fs.writeFileSync(targets, '[]');
    prom = await startPrometheus(tmp, [
      '  - job_name: sideband-run',
      '    file_sd_configs:',
      `      - files: [${JSON.stringify(targets)}]`,
      '        refresh_interval: 1s',
    ]);
    const out = path.join(tmp, 'out');
    run = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/sideband.js'),
        'run',
        path.join(repoRoot, 'topologies/quickstart.yaml'),
        '--out',
        out,
        '--metrics-port',
        '0',
        '--set',
        'source.events=400000',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    run.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exit = new Promise<number | null>((resolve) => run!.once('exit', (code) => resolve(code)));
    const metricsUrl = await until(
      'the metrics URL in the run log',
      60_000,
      async () => /metrics: (http:\/\/\S+)\/metrics/.exec(stderr)?.[1],
    );
    // Atomic replace, so that Prometheus never reads a half-written target file.
    fs.writeFileSync(`${targets}.tmp`, JSON.stringify([{ targets: [new URL(metricsUrl).host] }]));
    fs.renameSync(`${targets}.tmp`, targets);
    const exposition = await (await fetch(`${metricsUrl}/metrics`)).text();

    const read = await until('sideband_events_read_total of the run in Prometheus', 60_000, async () => {
      const r = await promQuery(prom!.url, 'sideband_events_read_total{job="sideband-run"}');
      return r.length === 1 ? r : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nrun log:\n${stderr}\nprometheus log:\n${prom!.log()}`);
    });
    expect(read[0]!.metric.instance).toBe(new URL(metricsUrl).host);
    const build = await promQuery(prom.url, 'sideband_build_info{job="sideband-run"}');
    expect(build[0]!.metric.role).toBe('run');
    const up = await promQuery(prom.url, 'up{job="sideband-run"}');
    expect(up[0]!.value[1]).toBe('1');

    // The cut flow of the running process arrives too (one series per cut of the topology).
    const cuts = await until('sideband_events_selected_total of the run in Prometheus', 60_000, async () => {
      const r = await promQuery(prom!.url, 'sideband_events_selected_total{job="sideband-run"}');
      return r.length > 0 ? r : undefined;
    });
    expect(cuts.map((c) => c.metric.cut)).toContain('|delta y| < 1.2');

    expect(await exit).toBe(0);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
    // The run read 400000 events; the last scrape before it ended saw at most that many.
    const lastRead = await promQuery(prom.url, 'max_over_time(sideband_events_read_total{job="sideband-run"}[5m])');
    expect(Number(lastRead[0]!.value[1])).toBeGreaterThan(0);
    expect(Number(lastRead[0]!.value[1])).toBeLessThanOrEqual(400000);

    const declared = declaredSampleNames(exposition);
    const used = [...new Set([...ruleMetricNames(), ...dashboardMetricNames()])].filter(
      (n) => !recordedNames().has(n) && n !== 'up',
    );
    expect(used.filter((n) => !declared.has(n))).toEqual([]);
  });
});
