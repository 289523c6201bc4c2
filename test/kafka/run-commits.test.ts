/**
 * Issue 19, probe 2: `sideband run` on an endless topic never committed offsets (only at the end of a bounded stream)
 * and had no SIGTERM handling, so a restart re-read everything; its lag metric counted every message ever produced
 * (977 while fully caught up). Now the run commits once its checkpoint holds the events (periodically, and when idle),
 * drains and commits on SIGTERM, continues from its checkpoint, and reports lag as high watermark minus committed
 * offset: 0 when caught up.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectKafka, type KafkaClient } from '../../src/kafka/client.js';
import { produceEvents } from '../../src/scaleout/produce.js';
import { runTopology } from '../../src/run.js';
import { parseTopology } from '../../src/topology/load.js';
import {
  generatedParquet,
  normalizeResults,
  searchTopology,
  startBroker,
  uniqueTopic,
  type TestBroker,
} from '../helpers/kafka.js';
import { repoRoot } from '../helpers/paths.js';
import { sliceSource } from './slice.js';

const PARTITIONS = 2;

function start(args: string[]): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/sideband.js'), 'run', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += String(d);
  });
  return { child, stderr: () => err, exit: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function until(what: string, done: () => Promise<boolean> | boolean, ms = 40000): Promise<void> {
  for (const t0 = Date.now(); !(await done()); await new Promise((r) => setTimeout(r, 100)))
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
}

describe('sideband run on an endless Kafka topic', () => {
  let broker: TestBroker;
  let client: KafkaClient;
  let dir: string;
  let parquet: string;
  let topic: string;
  let group: string;
  let file: string;
  beforeAll(async () => {
    broker = await startBroker();
    client = connectKafka({ brokers: broker.brokers, clientId: 'run-commits' });
    dir = mkdtempSync(path.join(tmpdir(), 'sideband-run-commits-'));
    parquet = await generatedParquet(dir, 60000, 9);
    topic = uniqueTopic('events');
    group = uniqueTopic('run');
    await broker.createTopic(topic, PARTITIONS);
    file = path.join(dir, 'endless.yaml');
    writeFileSync(
      file,
      searchTopology(
        `{ kind: kafka, topic: ${topic}, group: ${group}, format: arrow }`,
        `kafka: { brokers: [${broker.brokers.join(', ')}] }\nanalysis: { concurrency: 1, queue: 1000 }`,
      ),
    );
    await produceEvents({
      connection: { brokers: broker.brokers, clientId: 'p' },
      source: sliceSource(parquet, 0, 30000),
      topic,
      format: 'arrow',
      eventsPerMessage: 2048,
    });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const offsets = async () => {
    const admin = await client.admin();
    try {
      return { ends: await admin.endOffsets(topic), committed: await admin.committedOffsets(group, topic) };
    } finally {
      await admin.disconnect();
    }
  };
  const caughtUp = async () => {
    const { ends, committed } = await offsets();
    return [...ends].every(([p, end]) => committed.get(p) === end && end !== '0');
  };

  it('commits while it runs, shows lag 0 when caught up, drains and commits on SIGTERM, resumes without re-reading', async () => {
    const out = path.join(dir, 'out');
    const run = start([file, '--out', out, '--checkpoint-every', '0.5', '--metrics-port', '0']);
    // The committed offsets reach the end of the topic while the run goes on (they stayed at -1 before).
    await until('offsets committed by the running consumer', caughtUp);
    const url = /metrics: (http:\/\/\S+\/metrics)/.exec(run.stderr())?.[1];
    expect(url).toBeDefined();
    const lag = async () => {
      const text = await (await fetch(url!)).text();
      return [...text.matchAll(/^sideband_kafka_consumer_lag\{topic="([^"]+)",partition="(\d+)"\} (\S+)$/gm)]
        .filter((m) => m[1] === topic)
        .map((m) => Number(m[3]));
    };
    await until('lag 0 on every partition', async () => {
      const l = await lag();
      return l.length === PARTITIONS && l.every((x) => x === 0);
    });
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(143);
    expect(run.stderr()).toMatch(/SIGTERM: stopping at the next checkpoint/);
    expect(run.stderr()).toMatch(/interrupted by SIGTERM: checkpoint of \d+ buffered events/);
    expect(await caughtUp()).toBe(true);

    // More events arrive; a bounded run of the same topology (and group) finishes the stream from the checkpoint.
    await produceEvents({
      connection: { brokers: broker.brokers, clientId: 'p' },
      source: sliceSource(parquet, 30000, 60000),
      topic,
      format: 'arrow',
      eventsPerMessage: 2048,
    });
    const finish = start([file, '--out', out, '--set', 'source.stopAtEnd=true']);
    expect(await finish.exit).toBe(0);
    expect(finish.stderr()).toMatch(/checkpoint: resuming run \S+ from .*: 30000 events read/);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    // Every event read once over the two runs (a restart re-read all of them before).
    expect(summary.events).toMatchObject({ read: 60000, accepted: 60000, rejected: 0 });
    expect(await caughtUp()).toBe(true);

    // The final results are those of a single run over the same events from a file.
    const fileRun = await runTopology(parseTopology(searchTopology(`{ kind: parquet, path: ${parquet} }`), 'f.yaml'), {
      file: 'f.yaml',
      outDir: path.join(dir, 'file'),
    });
    const lines = readFileSync(path.join(out, 'results.jsonl'), 'utf8').split('\n').filter(Boolean);
    const finals = normalizeResults(lines.map((l) => JSON.parse(l)).filter((r) => r.trigger === 'end'));
    expect(finals).toEqual(normalizeResults(fileRun.results.filter((r) => r.trigger === 'end')));
  });
});
