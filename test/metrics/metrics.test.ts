import { describe, it, expect, afterEach } from '@jest/globals';
import { Metrics, workingPointLabel, REJECT_REASONS } from '../../src/metrics/index.js';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server.js';
import type { WindowResult } from '../../src/events/result.js';

function result(z: number, fitP: number): WindowResult {
  return {
    runId: 'r1',
    topology: 't',
    window: {
      id: 'sr-2600-3200',
      sr: [2600, 3200],
      sb: [
        [2000, 2600],
        [3200, 3800],
      ],
    },
    workingPoint: 0.1,
    trigger: 'threshold',
    cutflow: [],
    counts: { sr: 10, sbLow: 20, sbHigh: 5 },
    fit: {
      function: 'dijet3',
      params: [1, 2, 3],
      covariance: [],
      chi2: 1,
      ndf: 1,
      pvalue: fitP,
      status: 'ok',
      reason: 'accepted',
      sbRange: [2000, 3800],
      prediction: [],
      predictionErr: [],
      converged: true,
    },
    significance: { z, p: 0.5 * (1 - Math.tanh(z)), observed: 12, expected: 10, expectedErr: 1 },
    valid: true,
    createdAt: new Date(0).toISOString(),
  };
}

describe('Metrics', () => {
  it('keeps separate registries per instance and exposes every documented series', async () => {
    const a = new Metrics({ defaultMetrics: false });
    const b = new Metrics({ defaultMetrics: false });
    a.observeRead(1000, 1_700_000_000_000);
    a.eventsAccepted.inc(990);
    a.eventsRejected.inc({ reason: 'nan' }, 10);
    a.eventsSelected.inc({ cut: 'mjj_min' }, 800);
    a.bufferEvents.set({ window: 'sr-2600-3200', role: 'sr' }, 123);
    a.trainingsStarted.inc({ model: 'cwola-hgb' });
    a.trainingDuration.observe({ model: 'cwola-hgb' }, 3.5);
    a.kafkaLag.set({ topic: 'events', partition: '0' }, 42);
    a.observeResult(result(2.5, 0.3));
    const text = await a.scrape();
    expect(text).toContain('sideband_events_read_total 1000');
    expect(text).toContain('sideband_last_event_timestamp_seconds 1700000000');
    expect(text).toContain('sideband_events_rejected_total{reason="nan"} 10');
    expect(text).toContain('sideband_events_selected_total{cut="mjj_min"} 800');
    expect(text).toContain('sideband_buffer_events{window="sr-2600-3200",role="sr"} 123');
    expect(text).toContain('sideband_training_duration_seconds_bucket{le="5",model="cwola-hgb"} 1');
    expect(text).toContain('sideband_kafka_consumer_lag{topic="events",partition="0"} 42');
    expect(text).toContain('sideband_window_significance_z{window="sr-2600-3200",working_point="0.1"} 2.5');
    expect(text).toContain('sideband_sb_fit_pvalue{window="sr-2600-3200",working_point="0.1"} 0.3');
    for (const reason of REJECT_REASONS) expect(text).toContain(`sideband_events_rejected_total{reason="${reason}"}`);
    const other = await b.scrape();
    expect(other).toContain('sideband_events_read_total 0');
    expect(other).not.toContain('sideband_window_significance_z{');
  });

  it('labels working points by efficiency, inclusive for the no-classifier histogram', () => {
    expect(workingPointLabel(0.02)).toBe('0.02');
    expect(workingPointLabel(null)).toBe('inclusive');
  });

  it('declares the per-window series of a topology at zero without inventing a significance', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.declareWindows(['w1', 'w2'], [0.1, null], ['mlp']);
    const text = await m.scrape();
    expect(text).toContain('sideband_alerts_total{window="w2",working_point="inclusive"} 0');
    expect(text).toContain('sideband_anomaly_active{window="w1",working_point="0.1"} 0');
    expect(text).toContain('sideband_trainings_failed_total{model="mlp"} 0');
    expect(text).not.toContain('sideband_window_significance_z{');
  });

  it('backs the RunObserver of the stages and bounds free-form reasons', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const o = m.observer();
    o.eventsRead(50);
    o.eventsAccepted(48);
    o.eventsRejected('nan', 1);
    o.eventsRejected('some new reason', 1);
    o.eventsSelected('delta_y', 30);
    o.bufferEvents('w', 'sb_low', 12);
    o.trainingStarted('hgb');
    o.trainingFinished('hgb', 0.7);
    o.trainingStarted('hgb');
    o.trainingFailed('hgb');
    o.queueDepth(3);
    o.windowResult(result(1.5, 0.6));
    o.deadLetter({ reason: 'infinite', message: 'Infinity in mjj', events: 1 });
    o.kafkaLag('sideband.regions', 2, 17);
    const text = await m.scrape();
    for (const line of [
      'sideband_events_read_total 50',
      'sideband_events_accepted_total 48',
      'sideband_events_rejected_total{reason="nan"} 1',
      'sideband_events_rejected_total{reason="other"} 1',
      'sideband_events_selected_total{cut="delta_y"} 30',
      'sideband_buffer_events{window="w",role="sb_low"} 12',
      'sideband_trainings_started_total{model="hgb"} 2',
      'sideband_trainings_finished_total{model="hgb"} 1',
      'sideband_trainings_failed_total{model="hgb"} 1',
      'sideband_training_duration_seconds_count{model="hgb"} 1',
      'sideband_queue_depth 3',
      'sideband_window_results_total{window="sr-2600-3200",working_point="0.1"} 1',
      'sideband_window_pvalue{window="sr-2600-3200",working_point="0.1"}',
      'sideband_dead_letters_total{reason="infinite"} 1',
      'sideband_kafka_consumer_lag{topic="sideband.regions",partition="2"} 17',
    ])
      expect(text).toContain(line);
    expect(text).not.toContain('some new reason');
  });

  it('collects the default process metrics when asked', async () => {
    const m = new Metrics();
    const text = await m.scrape();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics, /healthz and /readyz on an ephemeral loopback port', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.eventsRead.inc(7);
    let ready = false;
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, metrics, ready: () => ready });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const m = await fetch(`${server.url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toContain('text/plain');
    expect(await m.text()).toContain('sideband_events_read_total 7');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('names the address when it cannot listen', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    server = await startMetricsServer({ port: 0, metrics });
    await expect(startMetricsServer({ port: server.port, metrics })).rejects.toThrow(
      `metrics server: cannot listen on 127.0.0.1:${server.port}`,
    );
  });
});
