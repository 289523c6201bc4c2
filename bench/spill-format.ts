/**
 * Spill format benchmark: why the window store spills its chunks as raw typed-array bytes rather than Arrow IPC.
 * The same events (ten float32 features and a weight, chunks of 8192) go to disk and back twice in the same run:
 *   - the shipped path: EventStore with a memory budget of one chunk (every full chunk spills, written verbatim at
 *     chunk × chunkBytes) and a gather of every event back (the streaming read training does);
 *   - Arrow IPC: each chunk one record batch, written with apache-arrow's tableToIPC (stream format) to one file
 *     at recorded offsets, and read back chunk by chunk with tableFromIPC into the same gathered arrays.
 *
 *   node dist/bench/spill-format.js --json [--events N]
 *
 * Prints write and read throughput (events/s) and file bytes per event for both.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeTable, tableFromIPC, tableToIPC } from 'apache-arrow';
import { EventStore } from '../src/events/store.js';
import { parseArgs, flag, numberFlag } from '../src/cli/args.js';
import { benchEnvironment } from './summary.js';

const FEATURES = ['mjj', ...Array.from({ length: 9 }, (_, i) => `f${i + 1}`)];
const CHUNK = 8192;

function columns(n: number): { cols: Float32Array[]; weight: Float32Array } {
  let s = 12345;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const cols = FEATURES.map(() => new Float32Array(n));
  const weight = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (const c of cols) c[i] = 1000 + 5000 * rand();
    weight[i] = rand();
  }
  return { cols, weight };
}

function shipped(dir: string, cols: Float32Array[], weight: Float32Array, n: number) {
  const store = new EventStore({
    features: FEATURES,
    weight: true,
    label: false,
    chunkSize: CHUNK,
    memoryBudget: 1,
    spillDir: dir,
  });
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const t0 = performance.now();
  for (let from = 0; from < n; from += 65536) {
    const take = Math.min(65536, n - from);
    store.append(cols, idx.subarray(from, from + take), take, weight);
  }
  const write = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const g = store.gather(-Infinity, Infinity);
  const read = (performance.now() - t1) / 1000;
  const bytes = store.spilledBytes();
  store.close();
  if (g.n !== n) throw new Error(`spill-format: gathered ${g.n} of ${n}`);
  return { write_s: write, read_s: read, file_bytes_per_event: bytes / store.size, check: g.columns[3]![n - 1] };
}

function arrow(dir: string, cols: Float32Array[], weight: Float32Array, n: number) {
  const file = path.join(dir, 'chunks.arrows');
  const fd = openSync(file, 'w+');
  const offsets: Array<[number, number]> = [];
  const t0 = performance.now();
  let at = 0;
  for (let from = 0; from < n; from += CHUNK) {
    const len = Math.min(CHUNK, n - from);
    const fields: Record<string, Float32Array> = {};
    // Copies, as the store's chunks would be (its chunk buffers are reused after a spill).
    FEATURES.forEach((f, k) => {
      fields[f] = cols[k]!.slice(from, from + len);
    });
    fields.weight = weight.slice(from, from + len);
    const bytes = tableToIPC(makeTable(fields), 'stream');
    writeSync(fd, bytes, 0, bytes.length, at);
    offsets.push([at, bytes.length]);
    at += bytes.length;
  }
  const write = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const out = FEATURES.map(() => new Float32Array(n));
  const w = new Float32Array(n);
  let k = 0;
  for (const [pos, len] of offsets) {
    const buf = new Uint8Array(len);
    readSync(fd, buf, 0, len, pos);
    const t = tableFromIPC(buf);
    FEATURES.forEach((f, c) => out[c]!.set(t.getChild(f)!.toArray() as Float32Array, k));
    w.set(t.getChild('weight')!.toArray() as Float32Array, k);
    k += t.numRows;
  }
  const read = (performance.now() - t1) / 1000;
  closeSync(fd);
  const size = statSync(file).size;
  if (k !== n) throw new Error(`spill-format: Arrow read ${k} of ${n}`);
  return { write_s: write, read_s: read, file_bytes_per_event: size / n, check: out[3]![n - 1] };
}

async function main() {
  const args = parseArgs(process.argv.slice(2), ['json']);
  const n = numberFlag(args, 'events', 4_000_000);
  const repeat = numberFlag(args, 'repeat', 3);
  const { cols, weight } = columns(n);
  const dir = mkdtempSync(path.join(tmpdir(), 'sideband-spill-bench-'));
  const best = (runs: Array<ReturnType<typeof shipped>>) => ({
    write_events_per_s: n / Math.min(...runs.map((r) => r.write_s)),
    read_events_per_s: n / Math.min(...runs.map((r) => r.read_s)),
    file_bytes_per_event: runs[0]!.file_bytes_per_event,
  });
  const raw: Array<ReturnType<typeof shipped>> = [];
  const ipc: Array<ReturnType<typeof arrow>> = [];
  try {
    for (let r = 0; r < repeat; r++) {
      raw.push(shipped(dir, cols, weight, n));
      ipc.push(arrow(dir, cols, weight, n));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (raw[0]!.check !== ipc[0]!.check) throw new Error('spill-format: the two formats read back different events');
  const a = best(raw),
    b = best(ipc);
  const res = {
    bench: 'spill-format',
    environment: benchEnvironment(),
    events: n,
    features: FEATURES.length,
    weight: true,
    chunk_events: CHUNK,
    repeat,
    raw_chunks: a,
    arrow_ipc: { ...b, library: 'apache-arrow tableToIPC/tableFromIPC, stream format, one record batch per chunk' },
    write_ratio_raw_vs_arrow: a.write_events_per_s / b.write_events_per_s,
    read_ratio_raw_vs_arrow: a.read_events_per_s / b.read_events_per_s,
  };
  process.stdout.write(`${JSON.stringify(res, null, flag(args, 'json') ? 0 : 2)}\n`);
}

main().catch((e) => {
  console.error(`bench:spill-format: ${e.message}`);
  process.exit(1);
});
