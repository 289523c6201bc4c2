/**
 * Prometheus metrics of one sideband process (router, worker or a whole `sideband run`).
 *
 * Each `Metrics` owns its own prom-client `Registry` (never the global one), so tests and embedded runs can hold
 * several side by side. Handles are prom-client objects typed by their label names, e.g.
 * `metrics.eventsRejected.inc({ reason: 'non_finite' }, n)`.
 *
 * Every metric, its labels and unit (base units: seconds, events, messages; prefix `sideband_`):
 *
 * | metric                                        | type      | labels                  | unit / meaning                                   |
 * |-----------------------------------------------|-----------|-------------------------|--------------------------------------------------|
 * | sideband_events_read_total                    | counter   | –                       | events decoded from the source                   |
 * | sideband_events_accepted_total                | counter   | –                       | events that passed validation                    |
 * | sideband_events_rejected_total                | counter   | reason                  | events rejected by validation (fixed enum)       |
 * | sideband_events_selected_total                | counter   | cut                     | events passing this cut and all before it        |
 * | sideband_dead_letters_total                   | counter   | reason                  | records routed to the dead-letter sink           |
 * | sideband_buffer_events                        | gauge     | window, role            | events buffered per window and role (sr, sb_low, sb_high, control) |
 * | sideband_trainings_started_total              | counter   | model                   | window analyses (trainings) started              |
 * | sideband_trainings_finished_total             | counter   | model                   | trainings finished successfully                  |
 * | sideband_trainings_failed_total               | counter   | model                   | trainings that failed                            |
 * | sideband_training_duration_seconds            | histogram | model                   | wall time of one training (seconds)              |
 * | sideband_queue_depth                          | gauge     | –                       | training jobs waiting to run                     |
 * | sideband_online_scoring_seconds               | histogram | –                       | online scoring of one batch: all windows' ensembles and refits (trigger.online) |
 * | sideband_online_scored_events_total           | counter   | –                       | window events scored online between retrainings  |
 * | sideband_window_model_age_seconds             | gauge     | window                  | time since the window's last retraining (at scrape) |
 * | sideband_window_results_total                 | counter   | window, working_point   | WindowResults emitted                            |
 * | sideband_window_significance_z                | gauge     | window, working_point   | last local significance Z (σ)                    |
 * | sideband_window_pvalue                        | gauge     | window, working_point   | last local p-value                               |
 * | sideband_window_valid                         | gauge     | window, working_point   | 1 when the last result is valid, 0 (no Z) if not |
 * | sideband_sb_fit_pvalue                        | gauge     | window, working_point   | last sideband-fit χ² p-value                     |
 * | sideband_anomaly_active                       | gauge     | window, working_point   | 1 while Z is above the alert threshold, else 0   |
 * | sideband_alerts_total                         | counter   | window, working_point   | upward crossings of the alert threshold          |
 * | sideband_alert_threshold_z                    | gauge     | –                       | the topology's alert threshold (σ)               |
 * | sideband_kafka_consumer_lag                   | gauge     | topic, partition        | high water − committed (or consumed) offset      |
 * | sideband_last_event_timestamp_seconds         | gauge     | –                       | Unix time at which the last batch was read       |
 * | sideband_build_info                           | gauge     | version, role           | constant 1; identifies the process               |
 * | process_*, nodejs_*                           | (default) | –                       | prom-client default process metrics, unprefixed so that stock dashboards work |
 *
 * Cardinality: `window` and `working_point` are bounded by the topology (a few dozen windows, three working
 * points), `model` by the registry of background models/classifiers, `cut` by the topology's cut list, `partition`
 * by the topic's partition count, and `reason` by the fixed enums below. Never put run ids, offsets, file names or
 * event values in labels.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WindowResult } from '../events/result.js';
import type { RunObserver } from '../events/observer.js';

/**
 * Why an event was rejected (fixed enum, so the `reason` label stays bounded): the reasons the stages and sources
 * use — decode.ts (nan, infinite, missing_column), the Parquet source (missing_column, bad_type, unreadable for a
 * truncated or corrupt file or row group), the Kafka formats (empty, malformed, invalid_value, missing_column) —
 * plus out_of_range. Anything else is counted as 'other' (see boundedReason), so a new reason string in a stage can
 * never blow up the series count; add it here when it deserves its own series.
 */
export const REJECT_REASONS = [
  'missing_column',
  'bad_type',
  'nan',
  'infinite',
  'out_of_range',
  'unreadable',
  'empty',
  'malformed',
  'invalid_value',
  'other',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Why a record went to the dead-letter route: the reject reasons plus failed window analyses. */
export const DEAD_LETTER_REASONS = [...REJECT_REASONS.filter((r) => r !== 'other'), 'analysis', 'other'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** Map a free-form reason onto the bounded enum ('other' when unknown). */
export function boundedReason<T extends string>(reason: string, allowed: readonly T[]): T | 'other' {
  return (allowed as readonly string[]).includes(reason) ? (reason as T) : 'other';
}

/** Buffer roles of a window. */
export const BUFFER_ROLES = ['sr', 'sb_low', 'sb_high', 'control'] as const;
export type BufferRole = (typeof BUFFER_ROLES)[number];

/** Label value of a working point: the efficiency ε as a plain decimal, or "inclusive" for the no-classifier histogram. */
export function workingPointLabel(workingPoint: number | null): string {
  return workingPoint === null ? 'inclusive' : String(workingPoint);
}

/** Every RunObserver call, backed by this process's instruments. */
export type MetricsObserver = Required<RunObserver>;

export interface MetricsOptions {
  /** Collect prom-client's default process metrics (CPU, memory, event loop lag, GC). Default true. */
  defaultMetrics?: boolean;
  /** Static labels added to every series (e.g. { instance_role: 'worker' }); keep them constant per process. */
  defaultLabels?: Record<string, string>;
  /** Process role for sideband_build_info: 'run', 'router' or 'worker'. Default 'run'. */
  role?: string;
  /** Version for sideband_build_info. Default from package.json is not read here (no I/O); pass it in. */
  version?: string;
}

/**
 * Training durations span 0.1 s (a small HGB on a thin window) to hours (a CATHODE flow on a full run):
 * exponential buckets from 0.1 s to ~1.8 h.
 */
const TRAINING_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 6500];

export class Metrics {
  readonly registry: Registry;

  readonly eventsRead: Counter<never>;
  readonly eventsAccepted: Counter<never>;
  readonly eventsRejected: Counter<'reason'>;
  readonly eventsSelected: Counter<'cut'>;
  readonly deadLetters: Counter<'reason'>;
  readonly bufferEvents: Gauge<'window' | 'role'>;
  readonly trainingsStarted: Counter<'model'>;
  readonly trainingsFinished: Counter<'model'>;
  readonly trainingsFailed: Counter<'model'>;
  readonly trainingDuration: Histogram<'model'>;
  readonly queueDepth: Gauge<never>;
  readonly onlineScoring: Histogram<never>;
  readonly onlineScored: Counter<never>;
  readonly ddpScan: Histogram<never>;
  readonly modelAge: Gauge<'window'>;
  /** When each window's model was last trained (performance.now ms), read at scrape by modelAge. */
  private readonly trainedAt = new Map<string, number>();
  readonly windowResults: Counter<'window' | 'working_point'>;
  readonly lastZ: Gauge<'window' | 'working_point'>;
  readonly windowValid: Gauge<'window' | 'working_point'>;
  readonly lastP: Gauge<'window' | 'working_point'>;
  readonly sbFitPvalue: Gauge<'window' | 'working_point'>;
  readonly anomalyActive: Gauge<'window' | 'working_point'>;
  readonly alertsFired: Counter<'window' | 'working_point'>;
  readonly alertThreshold: Gauge<never>;
  readonly kafkaLag: Gauge<'topic' | 'partition'>;
  readonly lastEventTimestamp: Gauge<never>;
  readonly buildInfo: Gauge<'version' | 'role'>;

  constructor(options: MetricsOptions = {}) {
    const registry = new Registry();
    this.registry = registry;
    if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
    const registers = [registry];

    this.eventsRead = new Counter({
      name: 'sideband_events_read_total',
      help: 'Events decoded from the source.',
      registers,
    });
    this.eventsAccepted = new Counter({
      name: 'sideband_events_accepted_total',
      help: 'Events that passed validation.',
      registers,
    });
    this.eventsRejected = new Counter({
      name: 'sideband_events_rejected_total',
      help: 'Events rejected by validation, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.eventsSelected = new Counter({
      name: 'sideband_events_selected_total',
      help: 'Events passing this cut and every cut before it (cut flow).',
      labelNames: ['cut'],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'sideband_dead_letters_total',
      help: 'Records routed to the dead-letter sink, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.bufferEvents = new Gauge({
      name: 'sideband_buffer_events',
      help: 'Events buffered per window and role (sr, sb_low, sb_high, control).',
      labelNames: ['window', 'role'],
      registers,
    });
    this.trainingsStarted = new Counter({
      name: 'sideband_trainings_started_total',
      help: 'Window trainings started, by model kind.',
      labelNames: ['model'],
      registers,
    });
    this.trainingsFinished = new Counter({
      name: 'sideband_trainings_finished_total',
      help: 'Window trainings finished successfully, by model kind.',
      labelNames: ['model'],
      registers,
    });
    this.trainingsFailed = new Counter({
      name: 'sideband_trainings_failed_total',
      help: 'Window trainings that failed, by model kind.',
      labelNames: ['model'],
      registers,
    });
    this.trainingDuration = new Histogram({
      name: 'sideband_training_duration_seconds',
      help: 'Wall time of one window training, by model kind.',
      labelNames: ['model'],
      buckets: TRAINING_BUCKETS,
      registers,
    });
    this.queueDepth = new Gauge({ name: 'sideband_queue_depth', help: 'Training jobs waiting to run.', registers });
    this.onlineScoring = new Histogram({
      name: 'sideband_online_scoring_seconds',
      help: 'Wall time of the online scoring of one batch (every window ensemble on its new events, and the refits).',
      // 100 µs to ~6 s: a batch of thousands of events through a few ensembles.
      buckets: [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1, 3, 6],
      registers,
    });
    this.onlineScored = new Counter({
      name: 'sideband_online_scored_events_total',
      help: 'Window events scored by the last training ensemble between retrainings (an event counts once per window).',
      registers,
    });
    this.ddpScan = new Histogram({
      name: 'sideband_ddp_scan_seconds',
      help: 'Wall time of one DDP network (Znet3) scan of a window histogram (topology ddp:).',
      buckets: [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1],
      registers,
    });
    const trainedAt = this.trainedAt;
    this.modelAge = new Gauge({
      name: 'sideband_window_model_age_seconds',
      help: 'Seconds since the window was last retrained (its model is that old).',
      labelNames: ['window'],
      registers,
      collect() {
        const now = performance.now();
        for (const [window, at] of trainedAt) this.set({ window }, (now - at) / 1000);
      },
    });
    this.windowResults = new Counter({
      name: 'sideband_window_results_total',
      help: 'Window results emitted, by window and working point.',
      labelNames: ['window', 'working_point'],
      registers,
    });
    this.lastZ = new Gauge({
      name: 'sideband_window_significance_z',
      help: 'Last local significance Z of the merged SR bin (sigma), by window and working point.',
      labelNames: ['window', 'working_point'],
      registers,
    });
    this.lastP = new Gauge({
      name: 'sideband_window_pvalue',
      help: 'Last local p-value of the merged SR bin, by window and working point.',
      labelNames: ['window', 'working_point'],
      registers,
    });
    this.windowValid = new Gauge({
      name: 'sideband_window_valid',
      help: '1 when the last result of the window can be trusted (valid), 0 when it is invalid and carries no Z.',
      labelNames: ['window', 'working_point'],
      registers,
    });
    this.sbFitPvalue = new Gauge({
      name: 'sideband_sb_fit_pvalue',
      help: 'Last sideband fit chi-square p-value, by window and working point.',
      labelNames: ['window', 'working_point'],
      registers,
    });
    this.anomalyActive = new Gauge({
      name: 'sideband_anomaly_active',
      help: '1 while the window significance is above the alert threshold, else 0.',
      labelNames: ['window', 'working_point'],
      registers,
    });
    this.alertsFired = new Counter({
      name: 'sideband_alerts_total',
      help: 'Upward crossings of the alert threshold, by window and working point.',
      labelNames: ['window', 'working_point'],
      registers,
    });
    this.alertThreshold = new Gauge({
      name: 'sideband_alert_threshold_z',
      help: "The topology's alert threshold on Z (sigma).",
      registers,
    });
    this.kafkaLag = new Gauge({
      name: 'sideband_kafka_consumer_lag',
      help: 'Messages between the committed offset (the consumed offset before the first commit) and the high-water mark, by topic and partition; 0 when caught up.',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.lastEventTimestamp = new Gauge({
      name: 'sideband_last_event_timestamp_seconds',
      help: 'Unix time (seconds) at which the last batch of events was read.',
      registers,
    });
    this.buildInfo = new Gauge({
      name: 'sideband_build_info',
      help: 'Constant 1, labelled with the version and role of this process.',
      labelNames: ['version', 'role'],
      registers,
    });
    this.buildInfo.set({ version: options.version ?? 'dev', role: options.role ?? 'run' }, 1);

    // Pre-create the bounded enum series at zero so that rate()/increase() see a start value and dashboards show
    // a flat line instead of "no data" before the first rejection.
    this.eventsRead.inc(0);
    this.eventsAccepted.inc(0);
    for (const reason of REJECT_REASONS) this.eventsRejected.inc({ reason }, 0);
    for (const reason of DEAD_LETTER_REASONS) this.deadLetters.inc({ reason }, 0);
    this.queueDepth.set(0);

    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  }

  /**
   * Pre-create the per-window series of a topology (buffers at 0, alerts at 0, anomaly inactive) so that
   * `increase(sideband_alerts_total[...])` works from the first crossing and the dashboard lists every window.
   * Z, p-value and fit p-value are left absent until a window has a result: a 0 there would read as a measurement.
   */
  declareWindows(
    windowIds: readonly string[],
    workingPoints: readonly (number | null)[],
    models: readonly string[] = [],
  ): void {
    for (const window of windowIds) {
      // inc(labels, 0) creates a missing series at 0 and leaves an existing one as it is.
      for (const role of BUFFER_ROLES) if (role !== 'control') this.bufferEvents.inc({ window, role }, 0);
      for (const wp of workingPoints) {
        const labels = { window, working_point: workingPointLabel(wp) };
        this.alertsFired.inc(labels, 0);
        this.anomalyActive.inc(labels, 0);
        this.windowResults.inc(labels, 0);
      }
    }
    for (const model of models) {
      this.trainingsStarted.inc({ model }, 0);
      this.trainingsFinished.inc({ model }, 0);
      this.trainingsFailed.inc({ model }, 0);
    }
  }

  /** Record what a window emitted: result count, last Z, p-value and SB fit p-value (when present). */
  observeResult(result: WindowResult): void {
    const labels = { window: result.window.id, working_point: workingPointLabel(result.workingPoint) };
    this.windowResults.inc(labels);
    const sig = result.significance;
    // An invalid window has no significance: its last Z series is removed rather than left at a stale value.
    if (result.valid && sig?.z !== undefined && Number.isFinite(sig.z)) {
      this.lastZ.set(labels, sig.z);
      this.lastP.set(labels, sig.p ?? 0.5);
    } else {
      this.lastZ.remove(labels);
      this.lastP.remove(labels);
    }
    this.windowValid.set(labels, result.valid ? 1 : 0);
    if (result.fit && Number.isFinite(result.fit.pvalue)) this.sbFitPvalue.set(labels, result.fit.pvalue);
  }

  /** Count a batch of n events read now (sets the last-event timestamp used by the ingest-stalled alert). */
  observeRead(n: number, nowMs: number = Date.now()): void {
    this.eventsRead.inc(n);
    this.lastEventTimestamp.set(nowMs / 1000);
  }

  /**
   * The RunObserver the stages call (src/events/observer.ts), backed by these instruments. Reasons outside the
   * fixed enums are counted as 'other'.
   */
  observer(): MetricsObserver {
    return {
      eventsRead: (n) => this.observeRead(n),
      eventsAccepted: (n) => this.eventsAccepted.inc(n),
      eventsRejected: (reason, n) => this.eventsRejected.inc({ reason: boundedReason(reason, REJECT_REASONS) }, n),
      eventsSelected: (cut, n) => this.eventsSelected.inc({ cut }, n),
      bufferEvents: (window, role, n) => this.bufferEvents.set({ window, role }, n),
      // For the progress display; trainings are counted by trainingStarted.
      analysisStarted: () => {},
      trainingStarted: (model) => {
        this.trainingsStarted.inc({ model });
        // Create the outcome series at 0 while the training runs, so that the first failure is an increase that
        // increase()/rate() can see (a counter first scraped at 1 shows no increase).
        this.trainingsFinished.inc({ model }, 0);
        this.trainingsFailed.inc({ model }, 0);
      },
      trainingFinished: (model, seconds) => {
        this.trainingsFinished.inc({ model });
        this.trainingDuration.observe({ model }, seconds);
      },
      trainingFailed: (model) => this.trainingsFailed.inc({ model }),
      queueDepth: (n) => this.queueDepth.set(n),
      modelTrained: (window) => {
        this.trainedAt.set(window, performance.now());
      },
      onlineScored: (events, seconds) => {
        this.onlineScored.inc(events);
        this.onlineScoring.observe(seconds);
      },
      ddpScanned: (_window, seconds) => this.ddpScan.observe(seconds),
      windowResult: (result) => this.observeResult(result),
      deadLetter: (d) => this.deadLetters.inc({ reason: boundedReason(d.reason, DEAD_LETTER_REASONS) }),
      kafkaLag: (topic, partition, lag) => this.kafkaLag.set({ topic, partition: String(partition) }, lag),
      alertThreshold: (z) => this.alertThreshold.set(z),
      alertFired: (window, wp) => this.alertsFired.inc({ window, working_point: workingPointLabel(wp) }),
      anomalyActive: (window, wp, active) =>
        this.anomalyActive.set({ window, working_point: workingPointLabel(wp) }, active ? 1 : 0),
    };
  }

  /** Prometheus text exposition of the registry. */
  async scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
