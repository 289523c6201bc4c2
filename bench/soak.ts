/**
 * Soak test (issue 19): a producer at 10× the consumer's rate for a bounded time, on a Kafka-protocol broker on
 * loopback (librdkafka's mock cluster, test/kafka/mock-broker.c), against a real `sideband run` process (ATLAS 2024
 * cuts, sliding windows, inclusive fits at thresholds and growth), capped at `--consumer-rate` events/s
 * (source.maxEventsPerSecond) and checkpointing every 5 s. Sampled every 5 s: the consumer's RSS (/proc), its summed
 * consumer lag and events read (its /metrics endpoint, with the scrape's latency). Then:
 *   1. the producer stops; the consumer goes on at its rate for `--tail` seconds: the lag must fall;
 *   2. the consumer is stopped with SIGTERM (it drains, checkpoints and commits: exit 143) and started again
 *      without the cap (it resumes from the checkpoint): the lag must reach 0; then SIGTERM again, and the
 *      checkpoint's count of events read must equal the events produced (nothing lost, nothing read twice).
 * Not part of `npm test` (it runs for minutes): `npm run soak -- [--minutes 5] [--consumer-rate 1000] [--tail 30]
 * [--budget-mb 512]`. Prints one JSON object. The peer is the producer itself: rates are measured, not assumed.
 *
 * The mock broker keeps ~5 MB per partition (older batches are dropped), so the topic is spread over 64 partitions
 * and the default rates keep each partition under 3 MB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, numberFlag } from '../src/cli/args.js';
import { connectKafka } from '../src/kafka/client.js';
import { produceEvents } from '../src/scaleout/produce.js';
import { GeneratorSource, parseResonanceSpec } from '../src/sources/generator.js';
import { repoRoot } from '../test/helpers/paths.js';
import { searchTopology, startBroker, uniqueTopic } from '../test/helpers/kafka.js';

const PARTITIONS = 64;
const SAMPLE_MS = 5000;

interface Sample {
  t: number;
  phase: 'produce' | 'tail' | 'recover';
  rssMB: number;
  lag: number;
  read: number;
  scrapeMs: number;
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

function consumer(file: string, out: string, extra: string[]): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin/sideband.js'),
      'run',
      file,
      '--out',
      out,
      '--checkpoint-every',
      '5',
      '--metrics-port',
      '0',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  const url = new Promise<string>((resolve) =>
    child.stderr!.on('data', (d) => {
      err += String(d);
      const m = /metrics: (http:\/\/\S+\/metrics)/.exec(err);
      if (m) resolve(m[1]!);
    }),
  );
  return { child, url };
}

async function scrape(url: string, topic: string): Promise<{ lag: number; read: number; ms: number }> {
  const t0 = performance.now();
  const text = await (await fetch(url, { signal: AbortSignal.timeout(10000) })).text();
  const ms = performance.now() - t0;
  let lag = 0;
  for (const m of text.matchAll(/^sideband_kafka_consumer_lag\{topic="([^"]+)",partition="\d+"\} (\S+)$/gm))
    if (m[1] === topic) lag += Number(m[2]);
  const read = Number(/^sideband_events_read_total (\S+)$/m.exec(text)?.[1] ?? NaN);
  return { lag, read, ms };
}

const stopped = (c: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (c.exitCode !== null) resolve(c.exitCode);
    else c.once('exit', (code) => resolve(code));
  });

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['json']);
  const minutes = numberFlag(args, 'minutes', 5);
  const consumerRate = numberFlag(args, 'consumer-rate', 1000);
  const tail = numberFlag(args, 'tail', 30);
  const budgetMB = numberFlag(args, 'budget-mb', 512);
  const producerRate = 10 * consumerRate;
  const events = Math.round(producerRate * minutes * 60);

  const broker = await startBroker({ needsRestart: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'sideband-soak-'));
  const topic = uniqueTopic('soak');
  const group = uniqueTopic('soak-run');
  await broker.createTopic(topic, PARTITIONS);
  const file = path.join(dir, 'soak.yaml');
  writeFileSync(
    file,
    searchTopology(
      `{ kind: kafka, topic: ${topic}, group: ${group}, format: arrow, maxEventsPerSecond: ${consumerRate} }`,
      `kafka: { brokers: [${broker.brokers.join(', ')}] }`,
    ).replace('trigger: { minSrEvents: 500, growthFactor: 2 }', 'trigger: { minSrEvents: 500, growthFactor: 1.5 }'),
  );
  const out = path.join(dir, 'out');
  const samples: Sample[] = [];
  const t0 = Date.now();
  let run = consumer(file, out, []);
  let url = await run.url;
  let phase: Sample['phase'] = 'produce';
  const sampler = setInterval(async () => {
    try {
      const s = await scrape(url, topic);
      samples.push({
        t: Math.round((Date.now() - t0) / 1000),
        phase,
        rssMB: rssMB(run.child.pid!),
        lag: s.lag,
        read: s.read,
        scrapeMs: Math.round(s.ms),
      });
    } catch {
      // Between the two consumer processes there is nothing to scrape.
    }
  }, SAMPLE_MS);

  // Generated events, 2048 per message, paced at 10× the consumer's cap.
  const produced = await produceEvents({
    connection: { brokers: broker.brokers, clientId: 'soak-producer' },
    source: new GeneratorSource({
      events,
      seed: 19,
      batchSize: 8192,
      mjjMin: 1800,
      signals: [parseResonanceSpec(`mA=3500,mB=500,mC=100,n=${Math.round(events / 500)}`)],
    }),
    topic,
    format: 'arrow',
    eventsPerMessage: 2048,
    rate: producerRate,
  });
  phase = 'tail';
  await new Promise((r) => setTimeout(r, tail * 1000));

  // Stop (drain, checkpoint, commit) and start again without the cap: it resumes and catches up.
  run.child.kill('SIGTERM');
  const firstExit = await stopped(run.child);
  phase = 'recover';
  run = consumer(file, out, ['--set', 'source.maxEventsPerSecond=1000000000']);
  url = await run.url;
  const recoverAt = Date.now();
  let recoverySeconds = NaN;
  for (let k = 0; k < 600; k++) {
    await new Promise((r) => setTimeout(r, 1000));
    const s = await scrape(url, topic).catch(() => undefined);
    if (s && s.lag === 0 && s.read > 0) {
      recoverySeconds = (Date.now() - recoverAt) / 1000;
      break;
    }
  }
  await new Promise((r) => setTimeout(r, 6000));
  run.child.kill('SIGTERM');
  const secondExit = await stopped(run.child);
  clearInterval(sampler);
  const state = JSON.parse(readFileSync(`${out}.checkpoint/state.json`, 'utf8')) as { counters: { read: number } };
  const admin = await connectKafka({ brokers: broker.brokers, clientId: 'soak-admin' }).admin();
  const ends = await admin.endOffsets(topic);
  const committed = await admin.committedOffsets(group, topic);
  await admin.disconnect();
  await broker.stop();

  const during = samples.filter((s) => s.phase === 'produce');
  const tailS = samples.filter((s) => s.phase === 'tail');
  const read = (xs: Sample[]) => (xs.length > 1 ? (xs.at(-1)!.read - xs[0]!.read) / (xs.at(-1)!.t - xs[0]!.t) : NaN);
  const rssMax = Math.max(...samples.map((s) => s.rssMB));
  const report = {
    config: {
      minutes,
      producer_events_per_s: producerRate,
      consumer_cap_events_per_s: consumerRate,
      partitions: PARTITIONS,
      events_per_message: 2048,
      checkpoint_every_s: 5,
      topology: 'ATLAS 2024 cuts, 7 sliding windows, inclusive fits (threshold 500, growth 1.5)',
      broker: 'librdkafka 2.0 mock cluster on loopback',
      peer: 'the producer: its measured rate is the reference for 10x',
    },
    produced: { events: produced.events, messages: produced.messages, seconds: +produced.seconds.toFixed(1) },
    measured: {
      producer_events_per_s: Math.round(produced.events / produced.seconds),
      consumer_events_per_s_while_producing: Math.round(read(during)),
      consumer_events_per_s_in_tail: Math.round(read(tailS)),
    },
    rss_mb: { max: rssMax, budget: budgetMB, within_budget: rssMax <= budgetMB },
    lag: {
      max_while_producing: Math.max(...during.map((s) => s.lag)),
      at_producer_stop: during.at(-1)?.lag,
      at_end_of_tail: tailS.at(-1)?.lag,
      in_tail: tailS.map((s) => s.lag),
      falling_in_tail: tailS.length > 1 && tailS.at(-1)!.lag < tailS[0]!.lag,
      recovery_seconds_after_restart_uncapped: recoverySeconds,
    },
    scrape_ms: {
      p50: quantile(
        samples.map((s) => s.scrapeMs),
        0.5,
      ),
      max: Math.max(...samples.map((s) => s.scrapeMs)),
    },
    exits: { first_sigterm: firstExit, second_sigterm: secondExit },
    accounting: {
      produced: produced.events,
      read_by_checkpoint: state.counters.read,
      committed_equals_end: [...ends].every(([p, e]) => committed.get(p) === e),
    },
    samples,
  };
  process.stdout.write(`${JSON.stringify(report, null, args.flags.has('json') ? undefined : 2)}\n`);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))] ?? NaN;
}

main().catch((e) => {
  process.stderr.write(`soak: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
