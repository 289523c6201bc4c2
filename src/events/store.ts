import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Column } from './batch.js';
import { SidebandError } from './errors.js';

/**
 * EventStore: one shared columnar store of the selected events that fall in any window. Windows are views
 * (mjj ranges) over it rather than copies: with ATLAS 2024's sliding windows an event sits in up to four windows,
 * and copying it into each would multiply memory and routing work.
 *
 * Storage is a list of fixed-size chunks (8192 events: not one array doubled on growth), each one ArrayBuffer
 * holding its feature columns, weights and labels one after another, so the memory per stored event stays within
 * one chunk of the raw bytes: 4 bytes per float32 feature, plus 4 for a weight and 1 for a truth label when the
 * input has them.
 *
 * Past `memoryBudget` bytes the oldest chunks spill to a file, written as the chunk's bytes verbatim at
 * chunk × chunkBytes: no header per chunk is needed because every chunk has the same layout, a column of a spilled
 * chunk is one positioned read, and reading back needs no decoding (bench/spill-format.ts measures this against
 * Arrow IPC record batches). Readers (gather, histograms, checkpoints) stream the chunks in order through one
 * scratch buffer, so resident memory stays at the budget plus one chunk and whatever the caller gathers.
 */
export interface StoreLayout {
  /** Stored feature columns; must include 'mjj'. */
  features: string[];
  weight: boolean;
  label: boolean;
  chunkSize?: number;
  /**
   * Hard cap in bytes on the events held in memory when nothing spills (default 2 GiB). Appending past it throws
   * StoreBudgetError: the run stops with a clear error instead of being killed for memory.
   */
  maxBytes?: number;
  /**
   * Resident budget in bytes (`store.memoryBudget` in the topology): past it the oldest chunks spill to disk and
   * the store has no cap but the disk. Unset: nothing spills and `maxBytes` applies.
   */
  memoryBudget?: number;
  /** Folder for the spill file (`store.spillDir`; default the OS temp folder). The file is removed on close. */
  spillDir?: string;
}

/** The event store reached its memory budget. */
export class StoreBudgetError extends SidebandError {}

/** Default memory budget of the event store: 2 GiB (about 45M events of ten float32 features and a weight). */
export const DEFAULT_STORE_BYTES = 2 ** 31;

/** Events [from, to) of the store, as one array per feature (plus weights and labels when stored). */
export interface StoredEvents {
  n: number;
  columns: Float32Array[];
  weight?: Float32Array;
  label?: Uint8Array;
}

export interface Gathered {
  n: number;
  columns: Float32Array[];
  mjj: Float32Array;
  weight?: Float32Array;
  label?: Uint8Array;
}

/** Views of one chunk's columns (resident, or read back into the scratch buffer). */
interface ChunkView {
  columns: Float32Array[];
  weight?: Float32Array;
  label?: Uint8Array;
}

/** Where the store's spilled chunks live: one file, chunk c at c × chunkBytes. */
class SpillFile {
  readonly dir: string;
  readonly file: string;
  readonly fd: number;
  constructor(parent: string) {
    try {
      this.dir = mkdtempSync(path.join(parent, 'sideband-store-'));
      this.file = path.join(this.dir, 'chunks.bin');
      this.fd = openSync(this.file, 'w+');
    } catch (e) {
      throw new SidebandError(`event store: cannot create a spill file in ${parent} (store.spillDir): ${String(e)}`, {
        cause: e,
      });
    }
  }
  write(bytes: Uint8Array, position: number): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, position + done);
  }
  read(into: Uint8Array, position: number): void {
    let done = 0;
    while (done < into.length) {
      const got = readSync(this.fd, into, done, into.length - done, position + done);
      if (got === 0) throw new SidebandError(`event store: spill file ${this.file} ends at ${position + done}`);
      done += got;
    }
  }
  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class EventStore {
  readonly features: string[];
  private readonly chunkSize: number;
  /** Bytes of one chunk: features, then weights, then labels. */
  private readonly chunkBytes: number;
  /** Per chunk: its resident buffer, or null once spilled. */
  private readonly buffers: Array<ArrayBuffer | null> = [];
  private readonly views: Array<ChunkView | null> = [];
  /** Chunks [0, spilled) are on disk, the rest resident. */
  private spilled = 0;
  private spill?: SpillFile;
  private closed = false;
  private scratch?: { buffer: ArrayBuffer; view: ChunkView };
  private readonly mjjIndex: number;
  private count = 0;
  /** Bytes written to and read back from the spill file (figures for bench:scale). */
  readonly spillStats = { chunksWritten: 0, bytesWritten: 0, bytesRead: 0 };

  constructor(private readonly layout: StoreLayout) {
    this.features = layout.features;
    this.chunkSize = layout.chunkSize ?? 8192;
    this.chunkBytes = this.chunkSize * this.bytesPerEvent();
    this.mjjIndex = layout.features.indexOf('mjj');
    if (this.mjjIndex < 0) throw new SidebandError("event store: the stored features must include 'mjj'");
    if (layout.memoryBudget !== undefined && !(layout.memoryBudget > 0))
      throw new SidebandError(
        `event store: memoryBudget must be a positive number of bytes (got ${layout.memoryBudget})`,
      );
  }

  get size(): number {
    return this.count;
  }

  /** Bytes allocated for stored events, resident and spilled (the figure behind bytes per buffered event). */
  bytes(): number {
    return this.buffers.length * this.chunkBytes;
  }

  /** Bytes of stored events held in memory. */
  residentBytes(): number {
    return (this.buffers.length - this.spilled) * this.chunkBytes;
  }

  /** Bytes of stored events spilled to disk. */
  spilledBytes(): number {
    return this.spilled * this.chunkBytes;
  }

  private bytesPerEvent(): number {
    return 4 * this.features.length + (this.layout.weight ? 4 : 0) + (this.layout.label ? 1 : 0);
  }

  private viewOf(buffer: ArrayBuffer): ChunkView {
    const cs = this.chunkSize,
      nf = this.features.length;
    return {
      columns: this.features.map((_, f) => new Float32Array(buffer, f * cs * 4, cs)),
      weight: this.layout.weight ? new Float32Array(buffer, nf * cs * 4, cs) : undefined,
      label: this.layout.label ? new Uint8Array(buffer, (nf + (this.layout.weight ? 1 : 0)) * cs * 4, cs) : undefined,
    };
  }

  /** Chunk c's columns: resident, or read back whole into the scratch buffer (valid until the next read). */
  private chunk(c: number): ChunkView {
    const v = this.views[c];
    if (v) return v;
    const s = this.scratchBuffer();
    this.spillFile().read(new Uint8Array(s.buffer), c * this.chunkBytes);
    this.spillStats.bytesRead += this.chunkBytes;
    return s.view;
  }

  /** Chunk c's mjj column alone (one positioned read for a spilled chunk): what counts and histograms need. */
  private mjjOf(c: number): Float32Array {
    const v = this.views[c];
    return v ? v.columns[this.mjjIndex]! : this.readPart(c, this.scratchBuffer().view.columns[this.mjjIndex]!);
  }

  /** Chunk c's weights alone (a positioned read for a spilled chunk; a different part of the scratch than mjj). */
  private weightOf(c: number): Float32Array {
    const v = this.views[c];
    return v ? v.weight! : this.readPart(c, this.scratchBuffer().view.weight!);
  }

  /** Read the part of spilled chunk c that `into` (a view of the scratch buffer) covers. */
  private readPart<T extends Float32Array | Uint8Array>(c: number, into: T): T {
    this.spillFile().read(
      new Uint8Array(into.buffer, into.byteOffset, into.byteLength),
      c * this.chunkBytes + into.byteOffset,
    );
    this.spillStats.bytesRead += into.byteLength;
    return into;
  }

  private spillFile(): SpillFile {
    if (!this.spill) throw new SidebandError('event store: closed; its spilled events are gone');
    return this.spill;
  }

  private scratchBuffer(): { buffer: ArrayBuffer; view: ChunkView } {
    if (!this.scratch) {
      const buffer = new ArrayBuffer(this.chunkBytes);
      this.scratch = { buffer, view: this.viewOf(buffer) };
    }
    return this.scratch;
  }

  /** Copy out events [from, to) in arrival order (a checkpoint writes them). */
  events(from: number, to: number): StoredEvents {
    const n = Math.max(0, Math.min(to, this.count) - from);
    const columns = this.features.map(() => new Float32Array(n));
    const weight = this.layout.weight ? new Float32Array(n) : undefined;
    const label = this.layout.label ? new Uint8Array(n) : undefined;
    for (let k = 0; k < n; ) {
      const at = from + k;
      const c = Math.floor(at / this.chunkSize);
      const i = at - c * this.chunkSize;
      const take = Math.min(n - k, this.chunkSize - i);
      const chunk = this.chunk(c);
      for (let f = 0; f < columns.length; f++) columns[f]!.set(chunk.columns[f]!.subarray(i, i + take), k);
      weight?.set(chunk.weight!.subarray(i, i + take), k);
      label?.set(chunk.label!.subarray(i, i + take), k);
      k += take;
    }
    return { n, columns, weight, label };
  }

  /** Append events given as one array per feature (a checkpoint's events, restored in their order). */
  appendEvents(e: StoredEvents): void {
    const all = new Uint32Array(e.n);
    for (let i = 0; i < e.n; i++) all[i] = i;
    this.append(e.columns, all, e.n, e.weight, e.label);
  }

  /**
   * Append events `idx[0..n)` of a batch. Hot: a typed-array gather per column into the current chunk.
   */
  append(columns: Column[], idx: Uint32Array, n: number, weight?: Float32Array, label?: Uint8Array): void {
    let done = 0;
    while (done < n) {
      const at = this.count % this.chunkSize;
      if (at === 0) this.grow();
      const c = this.buffers.length - 1;
      const take = Math.min(n - done, this.chunkSize - at);
      const chunk = this.views[c]!;
      for (let f = 0; f < columns.length; f++) {
        const src = columns[f]!,
          dst = chunk.columns[f]!;
        for (let j = 0; j < take; j++) dst[at + j] = src[idx[done + j]!]!;
      }
      if (chunk.weight) {
        const dst = chunk.weight;
        for (let j = 0; j < take; j++) dst[at + j] = weight ? weight[idx[done + j]!]! : 1;
      }
      if (chunk.label) {
        const dst = chunk.label;
        for (let j = 0; j < take; j++) dst[at + j] = label ? label[idx[done + j]!]! : 0;
      }
      done += take;
      this.count += take;
    }
  }

  private grow(): void {
    const spillBudget = this.layout.memoryBudget;
    if (spillBudget !== undefined) {
      // Keep at least the chunk being filled resident; spill the oldest full chunk when one more would pass.
      if (this.residentBytes() + this.chunkBytes > spillBudget && this.spilled < this.buffers.length) {
        const recycled = this.spillOldest();
        this.pushChunk(recycled);
        return;
      }
      this.pushChunk(new ArrayBuffer(this.chunkBytes));
      return;
    }
    const budget = this.layout.maxBytes ?? DEFAULT_STORE_BYTES;
    if (this.bytes() + this.chunkBytes > budget)
      throw new StoreBudgetError(
        `event store: ${this.count} events take ${this.bytes()} bytes; one more chunk would pass the ${budget}-byte ` +
          'budget (memory.storeBytes in the topology): raise it, set store.memoryBudget to spill to disk, narrow ' +
          'the windows or the stored features, or split the input',
      );
    this.pushChunk(new ArrayBuffer(this.chunkBytes));
  }

  private pushChunk(buffer: ArrayBuffer): void {
    this.buffers.push(buffer);
    this.views.push(this.viewOf(buffer));
  }

  /** Write the oldest resident chunk to the spill file and hand back its buffer for reuse. */
  private spillOldest(): ArrayBuffer {
    if (this.closed) throw new SidebandError('event store: closed; no more events can be stored');
    this.spill ??= new SpillFile(this.layout.spillDir ?? tmpdir());
    const c = this.spilled;
    const buffer = this.buffers[c]!;
    this.spill.write(new Uint8Array(buffer), c * this.chunkBytes);
    this.spillStats.chunksWritten++;
    this.spillStats.bytesWritten += this.chunkBytes;
    this.buffers[c] = null;
    this.views[c] = null;
    this.spilled++;
    return buffer;
  }

  /** Remove the spill file (the store's events on disk are gone; resident ones stay readable). */
  close(): void {
    this.spill?.close();
    this.spill = undefined;
    this.closed = true;
  }

  /**
   * Copy out every stored event with lo <= mjj < hi (a window's view), in arrival order; with `limit`, among the
   * first `limit` events only (the store as it was when an analysis was asked for). Two streaming passes over
   * the chunks: mjj alone to count, then the chunks that hold any match in full.
   */
  gather(lo: number, hi: number, limit = this.count): Gathered {
    let n = 0;
    const end = Math.min(limit, this.count);
    const nChunks = Math.ceil(end / this.chunkSize);
    const hits = new Uint32Array(nChunks);
    for (let c = 0; c < nChunks; c++) {
      const len = Math.min(this.chunkSize, end - c * this.chunkSize);
      const m = this.mjjOf(c);
      let h = 0;
      for (let i = 0; i < len; i++) if (m[i]! >= lo && m[i]! < hi) h++;
      hits[c] = h;
      n += h;
    }
    // In shared memory: the training jobs of a window (sent to worker threads) then reference the snapshot's feature
    // columns instead of a second copy of them (16 bytes per event for four features: 275 MB in the 17M-event
    // window of a 150M-event run).
    const columns = this.features.map(() => new Float32Array(new SharedArrayBuffer(4 * n)));
    const weight = this.layout.weight ? new Float32Array(n) : undefined;
    const label = this.layout.label ? new Uint8Array(n) : undefined;
    // Per chunk: the matching rows as an index list, then one gather per column (or one copy when all match).
    const pick = new Uint32Array(this.chunkSize);
    let k = 0;
    for (let c = 0; c < nChunks; c++) {
      const h = hits[c]!;
      if (h === 0) continue;
      const len = Math.min(this.chunkSize, end - c * this.chunkSize);
      const chunk = this.chunk(c);
      const cols = chunk.columns;
      if (h === len) {
        for (let f = 0; f < cols.length; f++) columns[f]!.set(cols[f]!.subarray(0, len), k);
        weight?.set(chunk.weight!.subarray(0, len), k);
        label?.set(chunk.label!.subarray(0, len), k);
        k += len;
        continue;
      }
      const m = cols[this.mjjIndex]!;
      let p = 0;
      for (let i = 0; i < len; i++) if (m[i]! >= lo && m[i]! < hi) pick[p++] = i;
      for (let f = 0; f < cols.length; f++) {
        const src = cols[f]!,
          dst = columns[f]!;
        for (let j = 0; j < p; j++) dst[k + j] = src[pick[j]!]!;
      }
      if (weight) for (let j = 0; j < p; j++) weight[k + j] = chunk.weight![pick[j]!]!;
      if (label) for (let j = 0; j < p; j++) label[k + j] = chunk.label![pick[j]!]!;
      k += p;
    }
    return { n, columns, mjj: columns[this.mjjIndex]!, weight, label };
  }

  /** Weighted (or unit) mjj histogram of the first `limit` stored events over uniform bins [lo, hi). Hot: one pass. */
  mjjHistogram(lo: number, hi: number, bins: number, limit = this.count): Float64Array {
    const out = new Float64Array(bins);
    const scale = bins / (hi - lo);
    const end = Math.min(limit, this.count);
    for (let c = 0; c * this.chunkSize < end; c++) {
      const len = Math.min(this.chunkSize, end - c * this.chunkSize);
      const m = this.mjjOf(c);
      const w = this.layout.weight ? this.weightOf(c) : undefined;
      for (let i = 0; i < len; i++) {
        const x = m[i]!;
        if (!(x >= lo && x < hi)) continue;
        const b = Math.min(bins - 1, Math.floor((x - lo) * scale));
        out[b] = out[b]! + (w ? w[i]! : 1);
      }
    }
    return out;
  }
}
