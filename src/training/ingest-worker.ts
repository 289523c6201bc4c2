/**
 * Worker thread of the parallel Parquet ingest (src/training/ingest-workers.ts): reads, decodes, validates, derives
 * and selects the row groups it is sent, and hands back the selected events' stored columns in one
 * SharedArrayBuffer with the row group's tally. One file stays open between row groups (tasks come in file order).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FileHandle } from 'node:fs/promises';
import type { EventBatch } from '../events/batch.js';
import { InputError } from '../events/errors.js';
import { ingestBatch, type IngestPlan } from '../events/ingest.js';
import {
  decodeRowGroup,
  fetchRowGroup,
  openParquet,
  planParquetFile,
  type ParquetFilePlan,
} from '../sources/parquet.js';
import { packSelected, type IngestTask, type IngestWorkerData, type IngestReply } from './ingest-protocol.js';

const { plan, columns, maxRowGroupBytes } = workerData as IngestWorkerData;
const ingestPlan: IngestPlan = plan;
let open: { file: string; fh: FileHandle; plan: ParquetFilePlan } | undefined;

async function fileFor(file: string): Promise<{ fh: FileHandle; plan: ParquetFilePlan }> {
  if (open?.file === file) return open;
  if (open) await open.fh.close();
  open = undefined;
  const fh = await openParquet(file);
  // The run's thread checked this footer and projection already; a file changed since fails here, for this row group.
  const p = await planParquetFile(fh, file, columns, 0);
  open = { file, fh, plan: p! };
  return open;
}

/** A task's file and bytes, read as soon as the task arrives (while the task before it is still being decoded). */
function read(task: IngestTask): Promise<{ plan: ParquetFilePlan; bytes: Uint8Array[] | Error } | Error> {
  return fileFor(task.file).then(
    async (f) => ({ plan: f.plan, bytes: await fetchRowGroup(f.fh, f.plan, task.rowGroup) }),
    (e: Error) => e,
  );
}

function handle(task: IngestTask, got: Awaited<ReturnType<typeof read>>): IngestReply {
  try {
    if (got instanceof Error) throw got;
    const raw: EventBatch = decodeRowGroup(got.plan, task.rowGroup, got.bytes, maxRowGroupBytes);
    const { batch, tally } = ingestBatch(raw, ingestPlan, undefined, { compact: true });
    return { seq: task.seq, batch: packSelected(batch, ingestPlan.stored), tally };
  } catch (e) {
    const err = e instanceof InputError ? e : new InputError((e as Error).message, { file: task.file }, { cause: e });
    // The message without its location prefix: the run's thread rebuilds the InputError, which adds it again.
    const prefix = new InputError('', err.location).message;
    const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return { seq: task.seq, lost: { message, location: err.location, reason: err.reason } };
  }
}

// Reads are chained in task order (one file open at a time, switched only once the reads before are done);
// each task is decoded once its bytes are in and the task before it has been answered.
let reads: Promise<unknown> = Promise.resolve();
let answers: Promise<unknown> = Promise.resolve();
parentPort!.on('message', (task: IngestTask | 'close') => {
  if (task === 'close') {
    // After the answers in flight: close the file and let the thread end.
    answers = answers.then(async () => {
      await open?.fh.close();
      open = undefined;
      parentPort!.close();
    });
    return;
  }
  const got = reads.then(() => read(task));
  reads = got;
  answers = Promise.all([got, answers]).then(([g]) => parentPort!.postMessage(handle(task, g)));
});
