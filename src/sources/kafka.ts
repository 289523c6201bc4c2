/**
 * Kafka source: events from one or more topics of a consumer group, as columnar batches.
 *
 * - Formats: Arrow IPC record batches (many events per message) or JSON rows (validated); see ./formats.
 * - Backpressure: decoded batches wait in a queue of `maxBatchesAhead`; when it is full the consumer pauses its
 *   partitions (no further fetches) and resumes them once the pipeline has taken half; a batch already fetched
 *   waits in the handler, heartbeating so that long waits do not cost the group membership.
 * - Offsets: never auto-committed. `commit(positions)` is called by the pipeline once the events of those
 *   positions are in durable window state (at-least-once). A replay after a reconnect or rebalance (the broker
 *   restarts, the group rejoins and fetching restarts from the last committed offset) is cut off by a per-partition
 *   floor: messages below the next offset already delivered are skipped, so no event is counted twice.
 * - Dead letters: a message that cannot be decoded is produced to the dead-letter topic, with the reason and its
 *   source topic, partition and offset in headers, before the batch that covers its offset is handed on (hence
 *   before that offset can be committed). Counters: read = accepted + deadLettered (messages and events).
 * - Rebalance: after every group join the per-partition lag figures of partitions no longer owned are dropped
 *   and `onRevoked` is called, so gauges and per-partition state can be reset.
 */
import type { Column, EventBatch, SourcePosition } from '../events/batch.js';
import { InputError, SourceError, type InputLocation } from '../events/errors.js';
import type { DeadLetter } from '../events/observer.js';
import { kafkaSourceSettings, type KafkaSourceSettings, type KafkaTopologyView } from '../kafka/config.js';
import type { Source } from './source.js';
import {
  connectKafka,
  type BatchControl,
  type ConsumerOptions,
  type FetchedBatch,
  type GroupConsumer,
  type KafkaClient,
  type KafkaProducer,
  type TopicPartitions,
} from '../kafka/client.js';
import { ColumnAccumulator, MessageError } from '../formats/columns.js';
import { decodeArrowMessage } from '../formats/arrow.js';
import { DEFAULT_ARROW_LIMITS, type ArrowLimits } from '../formats/arrow-ipc.js';
import { DEFAULT_JSON_LIMITS, JsonRowDecoder } from '../formats/json.js';

export interface KafkaSourceOptions extends KafkaSourceSettings {
  /** Events decoded ahead of the pipeline before the consumer pauses (default 262144, ~16 MB of float32 jets). */
  maxEventsAhead?: number;
  consumer?: Partial<Omit<ConsumerOptions, 'groupId'>>;
  /** How often the high watermarks are read from the broker for the lag (default 5000 ms; 0: only on fetches). */
  lagRefreshMs?: number;
  /** Lag of a partition (high watermark − committed, or consumed, offset), updated on every fetch and commit. */
  onLag?(topic: string, partition: number, lag: number): void;
  /** Partitions this consumer no longer owns after a rebalance. */
  onRevoked?(revoked: TopicPartitions[]): void;
  onAssigned?(assigned: TopicPartitions[]): void;
  onDeadLetter?(error: InputError, reason: string): void;
  /** Shared client (tests, router/worker); a new one is connected from `connection` otherwise. */
  client?: KafkaClient;
}

export interface KafkaSourceCounters {
  messagesRead: number;
  messagesAccepted: number;
  messagesDeadLettered: number;
  eventsAccepted: number;
  /** Messages skipped because they were already delivered (replay after reconnect or rebalance). */
  messagesReplayedSkipped: number;
  commits: number;
  pauses: number;
}

/** Dead-letter headers: the reason and where the message came from. */
export const DLQ_HEADERS = {
  reason: 'sideband-dlq-reason',
  error: 'sideband-dlq-error',
  topic: 'sideband-source-topic',
  partition: 'sideband-source-partition',
  offset: 'sideband-source-offset',
} as const;

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class KafkaSource implements Source {
  readonly description: string;
  readonly counters: KafkaSourceCounters = {
    messagesRead: 0,
    messagesAccepted: 0,
    messagesDeadLettered: 0,
    eventsAccepted: 0,
    messagesReplayedSkipped: 0,
    commits: 0,
    pauses: 0,
  };
  private client: KafkaClient;
  private consumer?: GroupConsumer;
  private dlqProducer?: KafkaProducer;
  /** Next offset to deliver per partition: messages below it were already delivered (or dead-lettered). */
  private readonly floor = new Map<string, bigint>();
  private readonly highWatermark = new Map<string, bigint>();
  private readonly committed = new Map<string, bigint>();
  private assigned: TopicPartitions[] = [];
  private readonly json?: JsonRowDecoder;
  private readonly arrowLimits: ArrowLimits;

  constructor(private readonly options: KafkaSourceOptions) {
    this.description = `kafka: ${options.topics.join(',')} (group ${options.groupId}, ${options.format})`;
    this.client = options.client ?? connectKafka(options.connection);
    const max = options.maxMessageBytes;
    this.arrowLimits = { ...DEFAULT_ARROW_LIMITS, ...(max ? { maxMessageBytes: max } : {}) };
    if (options.format === 'json')
      this.json = new JsonRowDecoder(options.columns ?? [], {
        ...DEFAULT_JSON_LIMITS,
        ...(max ? { maxMessageBytes: max } : {}),
      });
  }

  get groupId(): string {
    return this.options.groupId;
  }

  /**
   * Current lag per owned partition: the high watermark minus the committed offset, or minus the next offset to
   * consume while this consumer has committed nothing for the partition (so a caught-up consumer shows 0, not every
   * message ever produced).
   */
  lag(): { topic: string; partition: number; lag: number }[] {
    const out: { topic: string; partition: number; lag: number }[] = [];
    for (const tp of this.assigned) {
      for (const p of tp.partitions) {
        const lag = this.partitionLag(key(tp.topic, p));
        if (lag !== undefined) out.push({ topic: tp.topic, partition: p, lag });
      }
    }
    return out;
  }

  private partitionLag(k: string): number | undefined {
    const hw = this.highWatermark.get(k);
    if (hw === undefined) return undefined;
    const at = this.committed.get(k) ?? this.floor.get(k) ?? 0n;
    return Math.max(0, Number(hw - at));
  }

  /**
   * Start delivering a partition from `offset` (a checkpoint's offset on restore): earlier messages are skipped
   * and fetching continues there. Only valid for partitions this consumer owns.
   */
  restorePartition(topic: string, partition: number, offset: string): void {
    this.floor.set(key(topic, partition), BigInt(offset));
    this.consumer?.seek({ topic, partition, offset });
  }

  /** Forget what was delivered of a partition (its state was dropped; a later owner replays from its checkpoint). */
  forgetPartition(topic: string, partition: number): void {
    const k = key(topic, partition);
    this.floor.delete(k);
    this.highWatermark.delete(k);
    this.committed.delete(k);
  }

  async *batches(signal?: AbortSignal): AsyncIterable<EventBatch> {
    const o = this.options;
    const maxAhead = Math.max(1, o.maxBatchesAhead ?? 64);
    const maxEventsAhead = Math.max(1, o.maxEventsAhead ?? 262144);
    const queue: EventBatch[] = [];
    let queuedEvents = 0;
    const full = () => queue.length >= maxAhead || queuedEvents >= maxEventsAhead;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    let spaceWake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const notifySpace = () => {
      const w = spaceWake;
      spaceWake = undefined;
      w?.();
    };

    // Bounded run: the end offsets at start, and the committed offsets of the group (where it will start).
    let endOffsets: Map<string, bigint> | undefined;
    if (o.stopAtEnd) {
      const admin = await this.client.admin();
      try {
        endOffsets = new Map();
        for (const topic of o.topics) {
          const ends = await admin.endOffsets(topic);
          const committed = await admin.committedOffsets(o.groupId, topic);
          for (const [p, end] of ends) {
            const k = key(topic, p);
            endOffsets.set(k, BigInt(end));
            const c = BigInt(committed.get(p) ?? '-1');
            if (c >= 0n && !this.floor.has(k)) this.floor.set(k, c);
          }
        }
      } finally {
        await admin.disconnect();
      }
    }
    const reachedEnd = () => {
      if (!endOffsets) return false;
      for (const [k, end] of endOffsets) if ((this.floor.get(k) ?? 0n) < end) return false;
      return true;
    };

    if (o.deadLetterTopic) this.dlqProducer = await this.client.producer();
    const consumer = this.client.consumer({ groupId: o.groupId, ...o.consumer });
    this.consumer = consumer;
    consumer.onAssignment((assigned) => {
      const now = new Set(assigned.flatMap((t) => t.partitions.map((p) => key(t.topic, p))));
      const revoked: TopicPartitions[] = [];
      for (const t of this.assigned) {
        const gone = t.partitions.filter((p) => !now.has(key(t.topic, p)));
        if (gone.length) revoked.push({ topic: t.topic, partitions: gone });
      }
      for (const t of revoked)
        for (const p of t.partitions) {
          this.highWatermark.delete(key(t.topic, p));
          this.committed.delete(key(t.topic, p));
        }
      this.assigned = assigned;
      if (revoked.length) o.onRevoked?.(revoked);
      o.onAssigned?.(assigned);
    });
    consumer.onCrash((error, restart) => {
      if (!restart) {
        failure = new SourceError(`kafka: consumer of ${o.topics.join(',')} stopped: ${error.message}`, {
          retriable: true,
          cause: error,
        });
        notify();
        notifySpace();
      }
    });

    // Backpressure in two steps. (1) Once `maxAhead` batches wait, the fetcher is paused (kafkajs fetches no more
    // for these partitions) and resumed when the pipeline has drained half of them. (2) A batch that arrives
    // anyway (already fetched) waits in the handler for room, heartbeating so the group keeps this member.
    // Pausing from inside the handler instead loses a partition's fetch state across a broker reconnect in
    // kafkajs 2.2, hence pause/resume from the pipeline's side.
    let paused = false;
    const pauseIfFull = () => {
      if (!paused && full()) {
        paused = true;
        this.counters.pauses++;
        consumer.pause(this.assigned);
      }
    };
    const resumeIfDrained = () => {
      if (paused && queue.length <= maxAhead >> 1 && queuedEvents <= maxEventsAhead >> 1) {
        paused = false;
        consumer.resume(this.assigned);
      }
    };
    const handle = async (fetched: FetchedBatch, control: BatchControl) => {
      while ((queue.length > maxAhead || queuedEvents > maxEventsAhead) && control.isActive() && !failure) {
        await new Promise<void>((resolve) => {
          spaceWake = resolve;
          setTimeout(resolve, 1000);
        });
        await control.heartbeat();
      }
      if (!control.isActive()) return;
      const batches = await this.decodeFetched(fetched);
      for (const b of batches) {
        queue.push(b);
        queuedEvents += b.length;
      }
      pauseIfFull();
      if (batches.length) notify();
      if (reachedEnd()) notify();
    };

    let completed = false;
    let lagTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      notify();
      notifySpace();
    };
    signal?.addEventListener('abort', onAbort);
    try {
      await consumer.subscribe(o.topics, o.fromBeginning ?? true);
      await consumer.run(handle);
      lagTimer = this.refreshLagEvery(o.lagRefreshMs ?? 5000);
      const started = Date.now();
      let delivered = 0;
      while (true) {
        if (failure) throw failure;
        if (signal?.aborted) return;
        const next = queue.shift();
        if (next) {
          queuedEvents -= next.length;
          resumeIfDrained();
          notifySpace();
          yield next;
          if (o.maxEventsPerSecond) {
            // Rate cap: hold the next batch back (the queue fills, then the fetcher pauses: backpressure).
            delivered += next.length;
            const wait = started + (1000 * delivered) / o.maxEventsPerSecond - Date.now();
            if (wait > 0)
              await new Promise<void>((resolve) => {
                const t = setTimeout(resolve, wait);
                signal?.addEventListener(
                  'abort',
                  () => {
                    clearTimeout(t);
                    resolve();
                  },
                  { once: true },
                );
              });
          }
          continue;
        }
        if (reachedEnd()) {
          completed = true;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      clearInterval(lagTimer);
      notifySpace();
      await this.dlqProducer?.disconnect().catch(() => undefined);
      this.dlqProducer = undefined;
      if (completed || signal?.aborted) {
        // A bounded run commits once its results are durable, after the last batch, and a stopped one once its
        // checkpoint is: the consumer stays in the group (fetching nothing) until close().
        consumer.pause(this.assigned);
      } else {
        await consumer.disconnect().catch(() => undefined);
        this.consumer = undefined;
      }
    }
  }

  /** Decode one fetched batch of one partition; malformed messages go to the dead-letter topic first. */
  private async decodeFetched(fetched: FetchedBatch): Promise<EventBatch[]> {
    const o = this.options;
    const k = key(fetched.topic, fetched.partition);
    this.highWatermark.set(k, BigInt(fetched.highWatermark));
    const floor = this.floor.get(k) ?? -1n;
    const maxEvents = o.maxEventsPerBatch ?? 65536;
    const out: EventBatch[] = [];
    const dead: { offset: string; error: InputError; reason: string }[] = [];
    const acc = new ColumnAccumulator();
    let first: string | undefined;
    let last: string | undefined;
    const emit = () => {
      if (first === undefined || last === undefined) return;
      const d = acc.finish();
      // A range of only dead letters still reaches the pipeline (so its offsets get committed) as an empty batch
      // that has the expected columns, so the decode stage sees nothing missing.
      if (d.length === 0 && o.columns) for (const c of o.columns) d.columns[c] = new Float32Array(0);
      const position: SourcePosition = {
        kind: 'kafka',
        topic: fetched.topic,
        partition: fetched.partition,
        firstOffset: first,
        lastOffset: last,
      };
      out.push({ length: d.length, columns: d.columns as Record<string, Column>, positions: [position] });
      first = undefined;
      last = undefined;
    };
    // Offsets ascend within a fetched batch: compare with the floor (a BigInt parse) only until one is above it.
    let replay = floor >= 0n;
    // One location object, updated per message; errors copy it.
    const where: InputLocation = { topic: fetched.topic, partition: fetched.partition, offset: '' };
    for (const m of fetched.messages) {
      if (replay) {
        if (BigInt(m.offset) < floor) {
          this.counters.messagesReplayedSkipped++;
          continue;
        }
        replay = false;
      }
      this.counters.messagesRead++;
      where.offset = m.offset;
      try {
        if (!m.value || m.value.length === 0) throw new MessageError('empty', 'empty message', { ...where });
        let n: number;
        if (this.json) {
          if (acc.length >= maxEvents) emit();
          n = this.json.decode(m.value, acc, where);
        } else {
          const d = decodeArrowMessage(m.value, where, o.columns, this.arrowLimits);
          const names = Object.keys(d.columns);
          if (!acc.accepts(names) || (acc.length > 0 && acc.length + d.length > maxEvents)) emit();
          acc.appendChunk(d);
          n = d.length;
        }
        first ??= m.offset;
        last = m.offset;
        this.counters.messagesAccepted++;
        this.counters.eventsAccepted += n;
      } catch (e) {
        const error =
          e instanceof InputError
            ? e
            : new InputError(`cannot decode: ${(e as Error).message}`, { ...where }, { cause: e });
        dead.push({ offset: m.offset, error, reason: deadLetterReason(error) });
        // A dead-lettered message still advances the committed range of the batch around it.
        first ??= m.offset;
        last = m.offset;
      }
    }
    const lastMessage = fetched.messages[fetched.messages.length - 1];
    if (dead.length) {
      await this.deadLetter(fetched, dead);
      this.counters.messagesDeadLettered += dead.length;
      for (const d of dead) o.onDeadLetter?.(d.error, d.reason);
    }
    emit();
    if (lastMessage && BigInt(lastMessage.offset) >= floor) this.floor.set(k, BigInt(lastMessage.offset) + 1n);
    this.reportLag(fetched.topic, fetched.partition);
    return out;
  }

  private async deadLetter(
    fetched: FetchedBatch,
    dead: { offset: string; error: InputError; reason: string }[],
  ): Promise<void> {
    const topic = this.options.deadLetterTopic;
    if (!topic || !this.dlqProducer) return;
    const byOffset = new Map(fetched.messages.map((m) => [m.offset, m]));
    try {
      await this.dlqProducer.send(
        topic,
        dead.map((d) => {
          const m = byOffset.get(d.offset)!;
          return {
            key: m.key,
            value: m.value ?? Buffer.alloc(0),
            headers: {
              [DLQ_HEADERS.reason]: d.reason,
              [DLQ_HEADERS.error]: d.error.message,
              [DLQ_HEADERS.topic]: fetched.topic,
              [DLQ_HEADERS.partition]: String(fetched.partition),
              [DLQ_HEADERS.offset]: d.offset,
            },
          };
        }),
      );
    } catch (cause) {
      // Not dead-lettered means not committable: fail the batch so kafkajs retries it.
      throw new SourceError(`kafka: cannot write ${dead.length} dead letter(s) to ${topic}`, {
        retriable: true,
        cause,
      });
    }
  }

  /**
   * Refresh the high watermarks (and the group's committed offsets) of the owned partitions from the broker every
   * `ms`: a partition the fetcher has paused (backpressure) or not fetched yet reports no fresh high watermark, and
   * its lag would look smaller than it is, or stale.
   */
  private refreshLagEvery(ms: number): NodeJS.Timeout | undefined {
    if (!(ms > 0) || !this.options.onLag) return undefined;
    let busy = false;
    const timer = setInterval(async () => {
      if (busy || this.assigned.length === 0) return;
      busy = true;
      try {
        const admin = await this.client.admin();
        try {
          for (const tp of this.assigned) {
            const ends = await admin.endOffsets(tp.topic);
            const committed = await admin.committedOffsets(this.options.groupId, tp.topic);
            for (const p of tp.partitions) {
              const k = key(tp.topic, p);
              const end = ends.get(p);
              if (end === undefined) continue;
              this.highWatermark.set(k, BigInt(end));
              const c = BigInt(committed.get(p) ?? '-1');
              if (c >= 0n && (this.committed.get(k) ?? -1n) < c) this.committed.set(k, c);
              this.reportLag(tp.topic, p);
            }
          }
        } finally {
          await admin.disconnect();
        }
      } catch {
        // The next refresh tries again; fetches and commits keep reporting meanwhile.
      } finally {
        busy = false;
      }
    }, ms);
    timer.unref();
    return timer;
  }

  private reportLag(topic: string, partition: number): void {
    const lag = this.partitionLag(key(topic, partition));
    if (lag !== undefined) this.options.onLag?.(topic, partition, lag);
  }

  /** Commit the offsets after these positions (their events are in durable state). */
  async commit(positions: SourcePosition[]): Promise<void> {
    const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
    for (const p of positions) {
      if (p.kind !== 'kafka') continue;
      const k = key(p.topic, p.partition);
      const o = BigInt(p.lastOffset) + 1n;
      const cur = next.get(k);
      if (!cur || cur.offset < o) next.set(k, { topic: p.topic, partition: p.partition, offset: o });
    }
    if (!next.size) return;
    const offsets = [...next.values()];
    const list = offsets.map((x) => ({ topic: x.topic, partition: x.partition, offset: x.offset.toString() }));
    if (this.consumer) {
      await this.consumer.commit(list);
    } else {
      // The consumer has left the group (closed, or the stream was aborted): commit for the memberless group
      // through the admin API (a real broker; librdkafka's mock cluster lacks the APIs kafkajs uses for it).
      const admin = await this.client.admin();
      try {
        await admin.setGroupOffsets(this.options.groupId, list);
      } finally {
        await admin.disconnect();
      }
    }
    this.counters.commits++;
    for (const x of offsets) {
      const k = key(x.topic, x.partition);
      if ((this.committed.get(k) ?? -1n) < x.offset) this.committed.set(k, x.offset);
      this.reportLag(x.topic, x.partition);
    }
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    await this.dlqProducer?.disconnect().catch(() => undefined);
    this.dlqProducer = undefined;
  }
}

/** Dead-letter reason of a decoding failure (a fixed enum: metric label and header). */
export function deadLetterReason(e: InputError): string {
  return e instanceof MessageError ? e.reason : 'malformed';
}

/**
 * The Kafka source of a topology (`source.kind: kafka`). A malformed message is reported through `onError` as
 * one dead letter standing for one event, so the run's read = accepted + rejected still holds.
 */
export function kafkaSourceFromTopology(
  t: KafkaTopologyView,
  onError: (d: DeadLetter) => void,
  extra: Partial<KafkaSourceOptions> = {},
): KafkaSource {
  return new KafkaSource({
    ...kafkaSourceSettings(t),
    ...extra,
    onDeadLetter: (e, reason) => {
      const l = e.location;
      onError({
        reason,
        message: e.message,
        topic: l.topic,
        partition: l.partition,
        offset: l.offset,
        field: l.field,
        events: 1,
      });
      extra.onDeadLetter?.(e, reason);
    },
  });
}
