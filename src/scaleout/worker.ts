/**
 * The worker: the back half of a scaled-out flow (`sideband worker`).
 *
 * Workers of one consumer group (kafka.scaleOut.group) share the partitions of the repartition topic that
 * `sideband router` fills; a worker owns the windows of its partitions. For each window it runs the same
 * operators as `sideband run` (route → trigger → analyse, compiled by compileTopology from a per-window
 * topology whose source is the window's records), and writes WindowResults to the results topic.
 *
 * Checkpoints (kafka.scaleOut.checkpointDir, one directory per partition): the snapshot of a partition's window
 * state is the log of the records applied to it (the window buffers' events, in the batches they came in, with
 * their cut-flow headers) plus state.json: the next input offset, the keys of the results the results topic has
 * acknowledged, the router input offsets applied. Order of durability: log appended and fsynced → results flushed
 * to the topic → state.json written (fsync + atomic rename) → offset committed. A new owner (after a rebalance, a
 * crash, a SIGKILL) restores by replaying the log through fresh pipelines, not publishing again the results whose
 * keys state.json names: the pipelines are deterministic in their input sequence, so the restored state, and every
 * later result, is what the uninterrupted run would have had. A result published after the last checkpoint and
 * before a crash can appear twice on the results topic, under one key (WindowResult.key): at-least-once output,
 * idempotent state.
 */
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { CutFlowEntry, WindowResult } from '../events/result.js';
import type { DeadLetter, RunObserver } from '../events/observer.js';
import { InputError } from '../events/errors.js';
import { decodeArrowMessage } from '../formats/arrow.js';
import type { DecodedColumns } from '../formats/columns.js';
import {
  connectKafka,
  type BatchControl,
  type FetchedBatch,
  type IncomingMessage,
  type KafkaClient,
} from '../kafka/client.js';
import { kafkaConnection, scaleOutConfig, type ScaleOutConfig } from '../kafka/config.js';
import { AlertTracker } from '../operators/alert.js';
import { buildWindows, type SchemeWindow } from '../regions/index.js';
import { WindowBuffers } from '../regions/buffers.js';
import { type KafkaResultSinks, openTopologyKafkaSinks } from '../sinks/kafka.js';
import { compileTopology } from '../topology/compile.js';
import { postSelectionTopology } from '../topology/post-selection.js';
import type { Topology } from '../topology/schema.js';
import { writeFileAtomic } from './atomic-file.js';
import { safeSegment, underRoot } from './safe-path.js';
import { encodeLogRecord, readLogRecords, type LogRecord, type PartitionCheckpoint } from './checkpoint-log.js';
import { PartitionState } from './partition-state.js';
import { END_KEY, REPARTITION_HEADERS, windowPartition } from './repartition.js';
import { WindowFeed } from './window-feed.js';

export interface WorkerOptions {
  file: string;
  runId?: string;
  log?: (m: string) => void;
  signal?: AbortSignal;
  onResult?: (r: WindowResult) => void;
  client?: KafkaClient;
  /** Stage metrics (buffers, trainings, queue depth, results, Z per window). */
  observer?: RunObserver;
}

export class Worker {
  private readonly scale: ScaleOutConfig;
  private readonly windows: SchemeWindow[];
  private readonly stored: string[];
  private readonly states = new Map<number, Promise<PartitionState>>();
  private partitions = 0;
  private sinks?: KafkaResultSinks;
  readonly runId: string;
  /** Columns a repartition record carries beyond the stored features. */
  private readonly extraColumns: string[];
  private readonly log: (m: string) => void;

  constructor(
    private readonly t: Topology,
    private readonly opts: WorkerOptions,
  ) {
    this.scale = scaleOutConfig(t, opts.file);
    this.windows = buildWindows(t.windows);
    this.stored = new WindowBuffers(this.windows, t.features, {
      weight: t.weight !== undefined,
      label: t.label !== undefined,
    }).store.features;
    // A stable default: workers of one group, and their restarts, must name results alike (result keys).
    this.runId = opts.runId ?? `${safeSegment(t.name)}.${safeSegment(this.scale.group)}`;
    this.extraColumns = [...(t.label ? ['label'] : []), ...(t.weight ? ['weight'] : [])];
    this.log = opts.log ?? (() => {});
  }

  private windowsOf(partition: number): SchemeWindow[] {
    return this.windows.filter((_, i) => windowPartition(i, this.partitions) === partition);
  }

  async run(): Promise<void> {
    const client = this.opts.client ?? connectKafka(kafkaConnection(this.t, this.opts.file));
    const admin = await client.admin();
    try {
      this.partitions = await admin.partitionCount(this.scale.repartitionTopic);
    } finally {
      await admin.disconnect();
    }
    this.sinks = await openTopologyKafkaSinks(this.t, this.opts.file);
    // A consumer that kafkajs gives up on (librdkafka's mock broker answers some SyncGroups of a busy rebalance
    // with INVALID_REQUEST, which kafkajs treats as fatal) is replaced by a new one: the worker drops its
    // partitions, rejoins, and restores whatever it is given from the checkpoints.
    while (!this.opts.signal?.aborted) {
      const crashed = await this.runConsumer(client);
      for (const p of [...this.states.keys()]) this.release(p);
      if (!crashed) break;
      this.log(`worker: consumer stopped (${crashed.name}: ${crashed.message}); rejoining the group`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await this.sinks?.close();
  }

  /** One consumer's life: join, own partitions, apply and checkpoint batches; resolves with its fatal error. */
  private async runConsumer(client: KafkaClient): Promise<Error | undefined> {
    const consumer = client.consumer({
      groupId: this.scale.group,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 300,
      rebalanceTimeoutMs: 3000,
    });
    let owned = new Set<number>();
    consumer.onAssignment((assigned) => {
      const now = new Set(assigned.filter((a) => a.topic === this.scale.repartitionTopic).flatMap((a) => a.partitions));
      for (const p of owned) if (!now.has(p)) this.release(p);
      for (const p of now) if (!owned.has(p)) this.states.set(p, this.restore(p));
      owned = now;
      this.log(
        `worker: owns partitions [${[...now].sort((a, b) => a - b).join(', ')}] of ${this.scale.repartitionTopic}`,
      );
    });
    let crashed: Error | undefined;
    consumer.onCrash((e, restart) => {
      if (!restart) crashed = e;
    });
    try {
      await consumer.subscribe([this.scale.repartitionTopic], true);
      await consumer.run(async (fetched, control) => {
        const state = await this.states.get(fetched.partition);
        if (!state || state.closed || !control.isActive()) return;
        const next = await this.apply(state, fetched, control);
        if (next === undefined || state.closed || !control.isActive()) return;
        try {
          await consumer.commit([{ topic: fetched.topic, partition: fetched.partition, offset: next }]);
        } catch (e) {
          // The partition moved during a rebalance: its checkpoint is durable, so the new owner restores from it
          // and skips what the lagging committed offset replays. Nothing is lost by not committing here.
          this.log(
            `worker: offset commit of partition ${fetched.partition} failed (${(e as Error).message}); the checkpoint holds offset ${next}`,
          );
        }
      });
    } catch (e) {
      crashed = e as Error;
    }
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (crashed || this.opts.signal?.aborted) {
          clearInterval(check);
          resolve();
        }
      }, 100);
    });
    await consumer.disconnect().catch(() => undefined);
    return this.opts.signal?.aborted ? undefined : crashed;
  }

  private release(p: number): void {
    const s = this.states.get(p);
    this.states.delete(p);
    void s?.then((state) => {
      state.closed = true;
      for (const sub of state.subscriptions) sub.unsubscribe();
      if (state.logFd >= 0) closeSync(state.logFd);
      state.logFd = -1;
    });
  }

  private partitionDir(p: number): string {
    return underRoot(this.scale.checkpointDir, this.scale.group, `${this.scale.repartitionTopic}-${p}`);
  }

  /** Build the partition's window pipelines and replay its checkpoint into them. */
  private async restore(p: number): Promise<PartitionState> {
    const dir = this.partitionDir(p);
    mkdirSync(dir, { recursive: true });
    const state = new PartitionState(p, dir);
    state.alerts = new AlertTracker({ threshold: this.t.alert.z, source: this.t.ddp?.alertOn, log: null });
    let cp: PartitionCheckpoint | undefined;
    const stateFile = path.join(dir, 'state.json');
    if (existsSync(stateFile)) cp = JSON.parse(readFileSync(stateFile, 'utf8')) as PartitionCheckpoint;
    for (const w of this.windowsOf(p)) {
      const feed = new WindowFeed(w.id);
      state.feeds.set(w.id, feed);
      const run = await compileTopology(
        postSelectionTopology(this.t, this.stored, { scheme: 'single', sr: w.sr, sb: w.sb } as Topology['windows']),
        {
          file: this.opts.file,
          runId: this.runId,
          source: feed,
          observer: this.opts.observer,
        },
      );
      state.subscriptions.push(
        run.results$.subscribe({
          next: (r) => this.onResult(state, feed, r),
          error: (e) => this.log(`worker: window ${w.id} failed: ${(e as Error).message}`),
        }),
      );
    }
    // A fresh log file per owner: a previous owner that has not noticed the rebalance yet writes only to its own.
    state.logFile = `log-${randomUUID()}.bin`;
    const logPath = path.join(dir, state.logFile);
    if (cp) {
      copyFileSync(path.join(dir, path.basename(cp.log)), logPath);
      truncateSync(logPath, cp.logBytes);
      state.logBytes = cp.logBytes;
      state.next = BigInt(cp.next);
      state.applied = cp.applied;
      for (const k of cp.published ?? []) {
        state.restored.add(k);
        state.durable.add(k);
      }
      state.last = cp;
      for (const { rec, value } of readLogRecords(logPath)) this.feed(state, rec, value);
      this.log(
        `worker: partition ${p} restored from checkpoint at offset ${cp.next} (${cp.logBytes} bytes of window state)`,
      );
    } else {
      state.logBytes = 0;
    }
    state.logFd = openSync(logPath, 'a');
    return state;
  }

  private onResult(state: PartitionState, feed: WindowFeed, r: WindowResult): void {
    if (state.closed) return;
    const alert = state.alerts?.offer(r);
    // A result the restored checkpoint says was acknowledged by the results topic is not published again (its key
    // names it; the replay makes it again, identical); one published after that checkpoint may be, under its key.
    const key = r.key ?? '';
    if (state.restored.has(key)) return;
    state.published.add(key);
    this.scheduleResultsCheckpoint(state);
    if (alert) {
      this.sinks?.alert(alert);
      this.log(alert.message);
    }
    // The window pipeline counted 'all' = events it received; map that to the router's cut flow at that batch.
    let cutflow: CutFlowEntry[] | undefined;
    if (r.trigger === 'end' && feed.finalCutflow) cutflow = feed.finalCutflow;
    else cutflow = feed.cutflows.get(r.cutflow[0]?.pass ?? -1);
    const out: WindowResult = cutflow ? { ...r, cutflow } : r;
    this.sinks?.result(out);
    this.opts.observer?.windowResult?.(out);
    this.opts.onResult?.(out);
  }

  /**
   * After results were handed to the sink: once the sink has acknowledged them, name them in state.json (the same
   * checkpoint with a longer `published`), so that a new owner does not publish them again, even when no further
   * record comes (the end-of-stream results arrive after the last record).
   */
  private scheduleResultsCheckpoint(state: PartitionState): void {
    if (state.resultsCheckpoint) return;
    state.resultsCheckpoint = (async () => {
      await new Promise((r) => setTimeout(r, 50));
      state.resultsCheckpoint = undefined;
      const keys = [...state.published];
      try {
        await this.sinks?.results?.flush();
        await this.sinks?.alerts?.flush();
      } catch (e) {
        this.log(`worker: results of partition ${state.partition} not acknowledged: ${(e as Error).message}`);
        return;
      }
      if (state.closed || !state.last) return;
      this.writeCheckpoint(state, { ...state.last }, keys);
    })();
  }

  /** Write state.json with `published` = what it named before plus `keys` (all acknowledged by the sink). */
  private writeCheckpoint(state: PartitionState, cp: PartitionCheckpoint, keys: string[]): void {
    for (const k of keys) state.durable.add(k);
    const out: PartitionCheckpoint = { ...cp, published: [...state.durable] };
    writeFileAtomic(path.join(state.dir, 'state.json'), JSON.stringify(out), () => !state.closed);
    state.last = out;
  }

  /** Hand one logged record to its window (or end every window of the partition); its value was checked. */
  private feed(state: PartitionState, rec: LogRecord, value: Buffer, decoded?: DecodedColumns): void {
    if (rec.end) {
      state.ended = true;
      for (const f of state.feeds.values()) f.end(rec.cutflow);
      return;
    }
    const feed = state.feeds.get(rec.key);
    if (!feed) return;
    const d =
      decoded ??
      decodeArrowMessage(value, {
        topic: this.scale.repartitionTopic,
        partition: state.partition,
        offset: rec.offset,
      });
    feed.push({ length: d.length, columns: d.columns, positions: [] }, rec.cutflow);
  }

  /**
   * A repartition record that cannot be applied (it does not decode, or lacks the stored columns): a dead letter
   * with its offset, in the partition's dead-letters.jsonl and the metrics, never in the log; the partition goes on
   * past it. (Issue 19: one garbage record put a worker in a crash loop and its windows never produced a result.)
   */
  private deadLetter(state: PartitionState, m: IncomingMessage, error: unknown): void {
    const e = error instanceof InputError ? error : undefined;
    const d: DeadLetter = {
      reason: e ? e.reason : 'malformed',
      message: (error as Error).message,
      topic: this.scale.repartitionTopic,
      partition: state.partition,
      offset: m.offset,
      events: 0,
    };
    appendFileSync(path.join(state.dir, 'dead-letters.jsonl'), `${JSON.stringify(d)}\n`);
    this.opts.observer?.deadLetter?.(d);
    this.log(`worker: dead letter at ${this.scale.repartitionTopic}[${state.partition}]@${m.offset}: ${d.message}`);
  }

  /** Apply a fetched batch, checkpoint it, and return the offset to commit. */
  private async apply(
    state: PartitionState,
    fetched: FetchedBatch,
    control: BatchControl,
  ): Promise<string | undefined> {
    const header = (m: IncomingMessage, h: string) => m.headers[h]?.toString();
    const chunks: Buffer[] = [];
    let last: string | undefined;
    for (const m of fetched.messages) {
      if (BigInt(m.offset) < state.next) continue;
      last = m.offset;
      const key = m.key?.toString() ?? '';
      const end = header(m, REPARTITION_HEADERS.end) === '1' || key === END_KEY;
      if (end && state.ended) continue;
      const rec: LogRecord = { offset: m.offset, key, ...(end ? { end: true } : {}) };
      const cf = header(m, REPARTITION_HEADERS.cutflow);
      if (cf) rec.cutflow = JSON.parse(cf) as CutFlowEntry[];
      if (!end) {
        // Drop records a restarted router published again (their input offsets were applied already).
        const input = JSON.parse(header(m, REPARTITION_HEADERS.input) ?? '{}') as Record<string, string>;
        state.applied[key] ??= {};
        const applied = state.applied[key];
        const fresh = Object.entries(input).some(
          ([tp, off]) => applied[tp] === undefined || BigInt(off) > BigInt(applied[tp]!),
        );
        if (!fresh && Object.keys(input).length) continue;
        for (const [tp, off] of Object.entries(input)) applied[tp] = off;
        rec.input = input;
      }
      const value = m.value ?? Buffer.alloc(0);
      let decoded: DecodedColumns | undefined;
      if (!end) {
        try {
          const where = { topic: fetched.topic, partition: state.partition, offset: m.offset };
          decoded = decodeArrowMessage(value, where, this.stored.concat(this.extraColumns));
        } catch (e) {
          this.deadLetter(state, m, e);
          continue;
        }
      }
      chunks.push(...encodeLogRecord(rec, value));
      this.feed(state, rec, value, decoded);
    }
    if (last === undefined) return undefined;
    // Keep the window pipelines from falling far behind the consumer; heartbeat while waiting (long trainings).
    for (const f of state.feeds.values()) {
      while (f.pending > 32 && !state.closed) {
        await Promise.race([f.drained(), new Promise((r) => setTimeout(r, 1000))]);
        await control.heartbeat();
      }
    }
    // Durability order: log, then results, then state, then (by the caller) the offset commit.
    const bytes = Buffer.concat(chunks);
    if (bytes.length) {
      writeSync(state.logFd, bytes);
      fsyncSync(state.logFd);
      state.logBytes += bytes.length;
    }
    state.next = BigInt(last) + 1n;
    // The keys before the flush: every one of them was handed to the sink before the flush began.
    const keys = [...state.published];
    await this.sinks?.results?.flush();
    await this.sinks?.alerts?.flush();
    const cp: PartitionCheckpoint = {
      next: state.next.toString(),
      log: state.logFile,
      logBytes: state.logBytes,
      published: [],
      applied: state.applied,
      ended: state.ended,
    };
    if (!state.closed) this.writeCheckpoint(state, cp, keys);
    return state.closed ? undefined : state.next.toString();
  }
}
