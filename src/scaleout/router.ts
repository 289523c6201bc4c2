/**
 * The router: the front half of a scaled-out flow (`sideband router`).
 *
 * Reads the topology's Kafka source, runs the same ingest stages as `sideband run` (decode/validate, derive,
 * select: src/topology/ingest.ts), and publishes the selected events of every window to the repartition topic
 * (kafka.scaleOut.repartitionTopic), keyed by window id, as Arrow IPC batch messages of the stored columns. A
 * window lives in partition (index of the window in the topology's window list) mod (partition count), so every
 * record of a window is in one partition, in router order, and one worker owns it at a time.
 *
 * Each record carries, in headers, the router's cumulative cut flow after its input batch (results name the cut
 * flow) and the input positions it came from: a router restarted after a crash re-publishes from its last
 * committed input offset, and workers drop the records whose input offset they already applied. Input offsets are
 * committed once the records are acknowledged. At the end of a bounded input (source.stopAtEnd) an end-of-stream
 * record goes to every partition, so the workers run the final analysis of their windows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { firstValueFrom, of } from 'rxjs';
import type { CutFlowEntry } from '../events/result.js';
import { CutFlow } from '../events/cuts.js';
import { RunCounters, type DeadLetter, type RunObserver } from '../events/observer.js';
import { encodeArrowMessages } from '../formats/arrow.js';
import { connectKafka, type OutgoingMessage } from '../kafka/client.js';
import { kafkaConnection, scaleOutConfig } from '../kafka/config.js';
import type { StageContext } from '../operators/context.js';
import { buildWindows, windowSpan, type SchemeWindow } from '../regions/index.js';
import { WindowBuffers } from '../regions/buffers.js';
import { kafkaSourceFromTopology } from '../sources/kafka.js';
import { decodeSpec, resolveCuts } from '../topology/compile.js';
import { derivedFeatures, ingestPlan, ingestStages } from '../topology/ingest.js';
import type { Topology } from '../topology/schema.js';
import { writeFileAtomic } from './atomic-file.js';
import { underRoot } from './safe-path.js';
import { END_KEY, REPARTITION_HEADERS, gather, inputOffsets, windowPartition } from './repartition.js';

export interface RouterReport {
  read: number;
  selected: number;
  records: number;
  deadLetters: number;
}

export interface RouterOptions {
  file: string;
  log?: (m: string) => void;
  signal?: AbortSignal;
  /** Publish the end-of-stream records when the input ends (default true; false to route an input in parts). */
  sendEnd?: boolean;
  /** Stage metrics (events read, accepted, rejected, selected; dead letters; Kafka lag). */
  observer?: RunObserver;
}

export async function runRouter(t: Topology, opts: RouterOptions): Promise<RouterReport> {
  const log = opts.log ?? (() => {});
  const scale = scaleOutConfig(t, opts.file);
  const spec = decodeSpec(t);
  const cuts = resolveCuts(t, opts.file);
  const windows: SchemeWindow[] = buildWindows(t.windows);
  const derived = derivedFeatures(t, spec, cuts, opts.file);
  const stored = new WindowBuffers(windows, t.features, {
    weight: spec.weight !== undefined,
    label: spec.label !== undefined,
  }).store.features;
  const counters = new RunCounters();
  const cutflow = new CutFlow(cuts);
  let deadLetters = 0;
  const observer = opts.observer;
  const ctx: StageContext = {
    counters,
    cutflow,
    observer: observer ?? {},
    log,
    deadLetter: (d) => {
      deadLetters++;
      observer?.deadLetter?.(d);
    },
  };
  const onSourceError = (d: DeadLetter) => {
    counters.read += d.events;
    counters.reject(d.reason, d.events);
    deadLetters++;
    observer?.eventsRead?.(d.events);
    observer?.eventsRejected?.(d.reason, d.events);
    observer?.deadLetter?.(d);
  };

  const client = connectKafka(kafkaConnection(t, opts.file));
  const admin = await client.admin();
  let partitions: number;
  try {
    await admin.ensureTopics([{ topic: scale.repartitionTopic, partitions: scale.partitions }]);
    partitions = await admin.partitionCount(scale.repartitionTopic);
  } finally {
    await admin.disconnect();
  }
  const spans = windows.map(windowSpan);
  const producer = await client.producer();
  const source = kafkaSourceFromTopology(t, onSourceError, {
    onLag: (topic, partition, lag) => observer?.kafkaLag?.(topic, partition, lag),
  });
  // The router's own state (cumulative cut flow and the input offsets behind it) survives a restart, so the cut
  // flow keeps counting and input already routed is not counted (or routed) twice.
  const stateFile = underRoot(scale.checkpointDir, `router-${source.groupId}.json`);
  if (existsSync(stateFile)) {
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      cutflow: CutFlowEntry[];
      offsets: Record<string, string>;
    };
    cutflow.enter(saved.cutflow[0]?.pass ?? 0);
    cutflow.add(
      saved.cutflow.slice(1).map((e) => e.pass),
      0,
    );
    for (const [tp, off] of Object.entries(saved.offsets)) {
      const i = tp.lastIndexOf(':');
      source.restorePartition(tp.slice(0, i), Number(tp.slice(i + 1)), (BigInt(off) + 1n).toString());
    }
  }
  const routed: Record<string, string> = existsSync(stateFile)
    ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { offsets: Record<string, string> }).offsets
    : {};
  const plan = ingestPlan(spec, cuts, derived, t.derive.mjj, stored);
  let records = 0;
  try {
    const stages = ingestStages(plan, ctx);
    let scratch = new Uint32Array(1 << 16);
    // One input batch at a time through the ingest stages (map operators), so the source stays backpressured by
    // the repartition producer. Positions ride along from the source batch to the selected batch.
    for await (const raw of source.batches(opts.signal)) {
      const batch = await firstValueFrom(of(raw).pipe(stages));
      const headers = {
        [REPARTITION_HEADERS.cutflow]: JSON.stringify(cutflow.entries()),
        [REPARTITION_HEADERS.input]: JSON.stringify(inputOffsets(batch.positions)),
      };
      const msgs: OutgoingMessage[] = [];
      const sel = batch.selection;
      const n = sel ? sel.length : batch.length;
      if (n > 0) {
        const mjj = batch.columns.mjj!;
        if (scratch.length < n) scratch = new Uint32Array(n);
        for (let w = 0; w < windows.length; w++) {
          const [lo, hi] = spans[w]!;
          let k = 0;
          // Hot: one pass over the selected events per window.
          for (let j = 0; j < n; j++) {
            const i = sel ? sel[j]! : j;
            const m = mjj[i]!;
            if (m >= lo && m < hi) scratch[k++] = i;
          }
          if (k === 0) continue;
          const part = gather(batch, stored, scratch, k);
          for (const value of encodeArrowMessages(part, 1 << 20)) {
            msgs.push({ key: windows[w]!.id, value, headers, partition: windowPartition(w, partitions) });
          }
        }
      }
      await producer.send(scale.repartitionTopic, msgs);
      records += msgs.length;
      Object.assign(routed, inputOffsets(batch.positions));
      writeFileAtomic(stateFile, JSON.stringify({ cutflow: cutflow.entries(), offsets: routed }));
      // The records are acknowledged (acks = all): the input offsets behind them can be committed.
      await source.commit(batch.positions);
    }
    const end =
      opts.sendEnd === false || opts.signal?.aborted
        ? []
        : Array.from({ length: partitions }, (_, p) => ({
            key: END_KEY,
            value: JSON.stringify({ cutflow: cutflow.entries() }),
            partition: p,
            headers: {
              [REPARTITION_HEADERS.end]: '1',
              [REPARTITION_HEADERS.cutflow]: JSON.stringify(cutflow.entries()),
            },
          }));
    await producer.send(scale.repartitionTopic, end);
    log(
      `router: ${counters.read} events read, ${counters.selected} selected, ${records} records to ${scale.repartitionTopic} (${partitions} partitions)`,
    );
  } finally {
    await producer.disconnect();
    await source.close();
  }
  return { read: counters.read, selected: counters.selected, records, deadLetters };
}
