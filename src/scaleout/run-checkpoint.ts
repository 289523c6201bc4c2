/**
 * The checkpoint of a single-process run (`sideband run`), in `<out>.checkpoint/` beside the output directory, so a
 * killed or stopped run continues where it was (`--resume`) and a Kafka run commits its input offsets while it goes
 * on. The same durability order as the workers' (src/scaleout/worker.ts): state first, offsets after.
 *
 *   store.bin         the window store's events, appended in arrival order (a record per checkpoint)
 *   results.jsonl     every WindowResult emitted, as emitted (the journal replayed into the outputs on resume)
 *   dead-letters.jsonl every dead letter, as routed
 *   state.json        what the journals and the store hold (their durable lengths), the run's counters and cut
 *                     flow, the window buffers' counts, trigger levels and request numbers, the analyses admitted
 *                     and not finished, and where the source continues (file and row group, Kafka offsets, or the
 *                     generator's event count); replaced atomically
 *
 * A checkpoint is taken between two source batches (every `intervalMs`, and on SIGTERM/SIGINT), when the batch
 * before has gone through every stage: the store and the journals are appended and fsynced, the extra sinks flushed
 * (the results topic), then state.json is written, then (Kafka) the offsets of the routed events are committed.
 * Resume reads state.json, truncates the journals and the store to what it names, restores the counters and the
 * window state, runs the unfinished analyses again on the state they were asked for (the store only grows, so a
 * prefix of it is that state), and positions the source after what was routed. The pipelines are deterministic in
 * their input, so the resumed run ends with the results of an uninterrupted one (the tests compare them).
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { EventBatch, SourcePosition } from '../events/batch.js';
import { InterruptedError, SidebandError, UsageError } from '../events/errors.js';
import type { DeadLetter } from '../events/observer.js';
import type { CutFlowEntry, WindowResult } from '../events/result.js';
import type { StoredEvents } from '../events/store.js';
import type { BuffersState } from '../regions/buffers.js';
import type { CompiledRun, CompileOptions } from '../topology/compile.js';
import type { Topology } from '../topology/schema.js';
import { writeFileAtomic } from './atomic-file.js';

/** Where the source goes on after a checkpoint. */
export type SourceCursor =
  | { kind: 'file'; file: string; rowGroup: number }
  | { kind: 'kafka'; offsets: { topic: string; partition: number; next: string }[] }
  | { kind: 'generator'; rowEnd: number }
  | { kind: 'none' };

export interface SavedRun {
  version: 1;
  fingerprint: string;
  runId: string;
  checkpoints: number;
  storeEvents: number;
  storeBytes: number;
  results: { bytes: number; count: number };
  deadLetters: { bytes: number; count: number };
  counters: {
    read: number;
    accepted: number;
    rejected: number;
    rejectedByReason: Record<string, number>;
    selected: number;
    stored: number;
    unreadable: number;
    rowsUnknown: number;
  };
  cutflow: CutFlowEntry[];
  buffers: BuffersState;
  cursor: SourceCursor;
}

export interface RunCheckpointOptions {
  /** The checkpoint directory (`<out>.checkpoint`). */
  dir: string;
  /** Continue from the checkpoint in `dir` when there is one; otherwise an old one is discarded. */
  resume: boolean;
  /** Time between checkpoints (default 30 s). */
  intervalMs?: number;
  /** After SIGTERM/SIGINT, how long running analyses may take to finish before the last checkpoint (default 20 s). */
  graceMs?: number;
  log?: (m: string) => void;
}

/** A run stopped by a signal after its last checkpoint; resume it with --resume. */
export class RunInterrupted extends InterruptedError {
  constructor(
    signalName: string,
    readonly dir: string,
    events: number,
  ) {
    super(
      `interrupted by ${signalName}: checkpoint of ${events} buffered events in ${dir}; continue with --resume`,
      signalName,
    );
  }
}

/**
 * Identity of a topology for resuming: everything but where metrics are served, whether a Kafka source stops at
 * the end offsets (an endless run may be finished by a bounded one) and its rate cap.
 */
export function topologyFingerprint(t: Topology): string {
  const source =
    t.source.kind === 'kafka' ? { ...t.source, stopAtEnd: undefined, maxEventsPerSecond: undefined } : t.source;
  return createHash('sha256')
    .update(JSON.stringify({ ...t, source, metrics: undefined }))
    .digest('hex')
    .slice(0, 16);
}

export class RunCheckpoint {
  readonly saved?: SavedRun;
  private readonly fingerprint: string;
  private run?: CompiledRun;
  private flush?: () => Promise<void>;
  private readonly stop = new AbortController();
  private signalName = '';
  private storeFd = -1;
  private resultsFd = -1;
  private deadFd = -1;
  private storeEvents = 0;
  private storeBytes = 0;
  private results = { bytes: 0, count: 0 };
  private deadLetters = { bytes: 0, count: 0 };
  private checkpoints = 0;
  private lastAt = Date.now();
  /** Something changed since the last checkpoint (a batch, a result, a dead letter). */
  private dirty = false;
  private cursor: SourceCursor = { kind: 'none' };
  private readonly log: (m: string) => void;

  private constructor(
    private readonly o: RunCheckpointOptions,
    topology: Topology,
  ) {
    this.log = o.log ?? (() => {});
    this.fingerprint = topologyFingerprint(topology);
    const stateFile = path.join(o.dir, 'state.json');
    if (o.resume && existsSync(stateFile)) {
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as SavedRun;
      if (saved.version !== 1 || saved.fingerprint !== this.fingerprint)
        throw new UsageError(
          `cannot resume from ${o.dir}: it was written for another topology (or other --set values); remove it to start afresh`,
        );
      this.saved = saved;
    }
  }

  static open(o: RunCheckpointOptions, topology: Topology): RunCheckpoint {
    return new RunCheckpoint(o, topology);
  }

  get dir(): string {
    return this.o.dir;
  }

  /** The run id to keep (a resumed run is the same run: its result keys must not change). */
  get runId(): string | undefined {
    return this.saved?.runId;
  }

  /** What compileTopology needs: where the source starts, the unfinished analyses, the batch wrapper. */
  compileOptions(): Pick<CompileOptions, 'parquetStart' | 'restoredRequests' | 'wrapBatches' | 'sourceSignal'> {
    const s = this.saved;
    return {
      ...(s?.cursor.kind === 'file' ? { parquetStart: { file: s.cursor.file, rowGroup: s.cursor.rowGroup } } : {}),
      restoredRequests: (s?.buffers.admitted ?? []).map((a) => ({
        window: a.window,
        trigger: a.trigger,
        sequence: a.sequence,
        asOf: a,
      })),
      wrapBatches: (batches) => this.wrap(batches),
      sourceSignal: this.stop.signal,
    };
  }

  /**
   * Bind to the compiled run and restore the saved state into it. Returns the journals' records, for the run to
   * write into its outputs again (they are not journaled twice). `signal` stops the run at the next checkpoint.
   */
  attach(
    run: CompiledRun,
    hooks: { runId: string; flush?: () => Promise<void>; signal?: AbortSignal },
  ): { results: WindowResult[]; deadLetters: DeadLetter[] } {
    this.run = run;
    this.flush = hooks.flush;
    const onSignal = () => {
      const reason = hooks.signal?.reason;
      this.signalName = typeof reason === 'string' ? reason : 'a signal';
      this.stop.abort();
    };
    if (hooks.signal?.aborted) onSignal();
    else hooks.signal?.addEventListener('abort', onSignal, { once: true });
    const dir = this.o.dir;
    const s = this.saved;
    // The directory is touched only now, when the run has started (its output directory accepted): a run that
    // fails before has no checkpoint to leave, and an old one it was not asked to resume is discarded here.
    if (!s && existsSync(dir)) {
      if (this.o.resume) this.log(`checkpoint: none in ${dir}, starting from the beginning`);
      else this.log(`checkpoint: discarding the one in ${dir} (use --resume to continue it)`);
      rmSync(dir, { recursive: true, force: true });
    }
    mkdirSync(dir, { recursive: true });
    const journal = (name: string, durable: number) => {
      const file = path.join(dir, name);
      if (!existsSync(file)) return { fd: openSync(file, 'a'), lines: [] as string[] };
      truncateSync(file, durable);
      const text = readFileSync(file, 'utf8');
      return { fd: openSync(file, 'a'), lines: text.split('\n').filter(Boolean) };
    };
    const res = journal('results.jsonl', s?.results.bytes ?? 0);
    const dl = journal('dead-letters.jsonl', s?.deadLetters.bytes ?? 0);
    this.resultsFd = res.fd;
    this.deadFd = dl.fd;
    const storeFile = path.join(dir, 'store.bin');
    if (s) {
      truncateSync(storeFile, s.storeBytes);
      readStoreFile(storeFile, s.storeBytes, run.buffers.store.features.length, (e) =>
        run.buffers.store.appendEvents(e),
      );
      if (run.buffers.store.size !== s.storeEvents)
        throw new SidebandError(
          `checkpoint ${dir}: store.bin holds ${run.buffers.store.size} of ${s.storeEvents} events`,
        );
      run.buffers.importState(s.buffers);
      const c = run.counters;
      Object.assign(c, {
        read: s.counters.read,
        accepted: s.counters.accepted,
        rejected: s.counters.rejected,
        selected: s.counters.selected,
        stored: s.counters.stored,
        unreadable: s.counters.unreadable ?? 0,
        rowsUnknown: s.counters.rowsUnknown,
      });
      for (const [k, v] of Object.entries(s.counters.rejectedByReason)) c.rejectedByReason.set(k, v);
      run.cutflow.enter(s.cutflow[0]?.pass ?? 0);
      run.cutflow.add(
        s.cutflow.slice(1).map((e) => e.pass),
        0,
      );
      if (s.cursor.kind === 'kafka') {
        const restore = (run.source as { restorePartition?: (t: string, p: number, o: string) => void })
          .restorePartition;
        for (const o of s.cursor.offsets) restore?.call(run.source, o.topic, o.partition, o.next);
      }
      this.storeEvents = s.storeEvents;
      this.storeBytes = s.storeBytes;
      this.results = { ...s.results };
      this.deadLetters = { ...s.deadLetters };
      this.checkpoints = s.checkpoints;
      this.cursor = s.cursor;
      this.log(
        `checkpoint: resuming run ${s.runId} from ${dir}: ${s.counters.read} events read, ${s.storeEvents} buffered, ${s.results.count} results, ${s.buffers.admitted.length} analyses to run again`,
      );
    }
    this.storeFd = openSync(storeFile, 'a');
    return {
      results: res.lines.map((l) => JSON.parse(l) as WindowResult),
      deadLetters: dl.lines.map((l) => JSON.parse(l) as DeadLetter),
    };
  }

  /** Journal one emitted result (durable at the next checkpoint). */
  result(r: WindowResult): void {
    this.results.bytes += writeLine(this.resultsFd, r);
    this.results.count++;
    this.dirty = true;
  }

  /** Journal one dead letter. */
  deadLetter(d: DeadLetter): void {
    if (this.deadFd < 0) return;
    this.deadLetters.bytes += writeLine(this.deadFd, d);
    this.deadLetters.count++;
    this.dirty = true;
  }

  /**
   * The source's batches with checkpoints between them: after a batch has gone through the pipeline (the code
   * after `yield` runs once it has), take a checkpoint when one is due; while the source has nothing (an idle
   * topic), take one when something changed (finished analyses, the last batches), so an idle consumer commits what
   * it has and its lag falls to 0; on a stop signal, drain and take the last. Nothing enters the pipeline while a
   * checkpoint is written: the next batch is handed on only after it.
   */
  private async *wrap(batches: AsyncIterable<EventBatch>): AsyncIterable<EventBatch> {
    const skipTo = this.saved?.cursor.kind === 'generator' ? this.saved.cursor.rowEnd : -1;
    const interval = this.o.intervalMs ?? 30000;
    const it = batches[Symbol.asyncIterator]();
    let next = it.next();
    while (true) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((resolve) => {
        timer = setTimeout(() => resolve('tick'), Math.max(10, interval - (Date.now() - this.lastAt)));
        // The timer never keeps the process alive (a source that fails ends the run at once).
        timer.unref();
      });
      let r: IteratorResult<EventBatch> | 'tick';
      try {
        r = await Promise.race([next, tick]);
      } finally {
        clearTimeout(timer);
      }
      if (r === 'tick') {
        if (this.dirty) await this.checkpoint();
        else this.lastAt = Date.now();
        continue;
      }
      if (r.done) break;
      const b = r.value;
      const p = b.positions[0];
      // The generator cannot seek: its batches up to the checkpoint are made again and dropped here.
      if (!(p?.kind === 'generator' && p.rowEnd <= skipTo)) {
        yield b;
        this.advance(b.positions);
        if (this.stop.signal.aborted) break;
        if (Date.now() - this.lastAt >= interval) await this.checkpoint();
      }
      next = it.next();
    }
    if (this.stop.signal.aborted) {
      await this.drain();
      await it.return?.();
      throw new RunInterrupted(this.signalName, this.o.dir, this.run?.buffers.store.size ?? 0);
    }
  }

  /** Move the cursor past the positions of a batch that went through the pipeline. */
  private advance(positions: SourcePosition[]): void {
    this.dirty = true;
    const p = positions[0];
    if (!p) return;
    if (p.kind === 'file') this.cursor = { kind: 'file', file: p.file, rowGroup: p.rowGroup + 1 };
    else if (p.kind === 'generator') this.cursor = { kind: 'generator', rowEnd: p.rowEnd };
    else if (p.kind === 'kafka') this.cursor = { kind: 'kafka', offsets: [] };
  }

  /** Let running and waiting analyses finish (up to the grace period), then take the last checkpoint. */
  private async drain(): Promise<void> {
    const until = Date.now() + (this.o.graceMs ?? 20000);
    while ((this.run?.buffers.unfinished ?? 0) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await this.checkpoint();
  }

  /** Take a checkpoint now (between batches): see the header for the order of durability. */
  async checkpoint(): Promise<void> {
    const run = this.run;
    if (!run) return;
    // Everything below describes the same moment: no batch enters the pipeline until this returns.
    const store = run.buffers.store;
    const events = store.size;
    const c = run.counters;
    let cursor = this.cursor;
    if (cursor.kind === 'kafka') {
      cursor = {
        kind: 'kafka',
        offsets: run
          .positions()
          .filter((p) => p.kind === 'kafka')
          .map((p) => ({ topic: p.topic, partition: p.partition, next: (BigInt(p.lastOffset) + 1n).toString() })),
      };
    }
    const positions = run.positions();
    this.dirty = false;
    const state: Omit<SavedRun, 'storeBytes'> = {
      version: 1,
      fingerprint: this.fingerprint,
      runId: run.plan.runId,
      checkpoints: this.checkpoints + 1,
      storeEvents: events,
      results: { ...this.results },
      deadLetters: { ...this.deadLetters },
      counters: {
        read: c.read,
        accepted: c.accepted,
        rejected: c.rejected,
        rejectedByReason: Object.fromEntries(c.rejectedByReason),
        selected: c.selected,
        stored: c.stored,
        unreadable: c.unreadable,
        rowsUnknown: c.rowsUnknown,
      },
      cutflow: run.cutflow.entries(),
      buffers: run.buffers.exportState(),
      cursor,
    };
    if (events > this.storeEvents) {
      this.storeBytes += writeStoreRecord(this.storeFd, store.events(this.storeEvents, events));
      fsyncSync(this.storeFd);
    }
    fsyncSync(this.resultsFd);
    fsyncSync(this.deadFd);
    await this.flush?.();
    writeFileAtomic(path.join(this.o.dir, 'state.json'), JSON.stringify({ ...state, storeBytes: this.storeBytes }));
    this.storeEvents = events;
    this.checkpoints++;
    this.lastAt = Date.now();
    // The state holding the routed events is durable: their offsets may be committed.
    await run.source.commit?.(positions);
  }

  /** The run completed: its outputs are whole, the checkpoint is no longer needed. */
  complete(): void {
    this.close();
    rmSync(this.o.dir, { recursive: true, force: true });
  }

  close(): void {
    for (const fd of [this.storeFd, this.resultsFd, this.deadFd]) if (fd >= 0) closeSync(fd);
    this.storeFd = this.resultsFd = this.deadFd = -1;
    // A run that failed before its first checkpoint has nothing to resume from.
    if (this.run && this.checkpoints === 0 && !this.saved) rmSync(this.o.dir, { recursive: true, force: true });
  }
}

function writeLine(fd: number, record: unknown): number {
  const line = Buffer.from(`${JSON.stringify(record)}\n`);
  writeSync(fd, line);
  return line.length;
}

/** One record of store.bin: event count, then each feature (float32), the weights and the labels when stored. */
function writeStoreRecord(fd: number, e: StoredEvents): number {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(e.n, 0);
  head.writeUInt8((e.weight ? 1 : 0) | (e.label ? 2 : 0), 4);
  let bytes = writeSync(fd, head);
  const parts: ArrayBufferView[] = [...e.columns, ...(e.weight ? [e.weight] : []), ...(e.label ? [e.label] : [])];
  for (const a of parts) bytes += writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return bytes;
}

function readStoreFile(file: string, length: number, features: number, onRecord: (e: StoredEvents) => void): void {
  const fd = openSync(file, 'r');
  try {
    if (fstatSync(fd).size < length) throw new SidebandError(`checkpoint: ${file} is shorter than its state says`);
    const read = (n: number, at: number) => {
      const b = Buffer.alloc(n);
      if (readSync(fd, b, 0, n, at) !== n) throw new SidebandError(`checkpoint: ${file} ends inside a record`);
      return b;
    };
    for (let at = 0; at < length; ) {
      const head = read(8, at);
      const n = head.readUInt32LE(0);
      const flags = head.readUInt8(4);
      at += 8;
      const f32 = () => {
        const b = read(4 * n, at);
        at += 4 * n;
        return new Float32Array(b.buffer, b.byteOffset, n);
      };
      const columns = Array.from({ length: features }, f32);
      const weight = flags & 1 ? f32() : undefined;
      let label: Uint8Array | undefined;
      if (flags & 2) {
        label = new Uint8Array(read(n, at));
        at += n;
      }
      onRecord({ n, columns, weight, label });
    }
  } finally {
    closeSync(fd);
  }
}
