import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { connectKafka } from '../../src/kafka/client.js';
import { lhcoDir, repoRoot } from '../helpers/paths.js';
import { startBroker, uniqueTopic, type TestBroker } from '../helpers/kafka.js';

const run = promisify(execFile);

describe('sideband produce', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('replays a Parquet file into a topic as JSON rows, one event per message, across its partitions', async () => {
    const topic = uniqueTopic('produce');
    await broker.createTopic(topic, 2);
    const { stdout } = await run(process.execPath, [
      path.join(repoRoot, 'bin/sideband.js'),
      'produce',
      '--from',
      path.join(lhcoDir, 'sr_extrasig_train.parquet'),
      '--topic',
      topic,
      '--format',
      'json',
      '--brokers',
      broker.brokers.join(','),
    ]);
    expect(stdout).toMatch(new RegExp(`^produce: 27263 events in 27263 json messages .* -> ${topic} in`));
    const admin = await connectKafka({ brokers: broker.brokers, clientId: 'check' }).admin();
    const ends = await admin.endOffsets(topic);
    await admin.disconnect();
    expect([...ends.values()].reduce((a, b) => a + Number(b), 0)).toBe(27263);
    expect(Math.min(...[...ends.values()].map(Number))).toBeGreaterThan(13000);
  });

  it('replays the generator paced by --rate, in slices of rate/20 events, as Arrow batches', async () => {
    const topic = uniqueTopic('paced');
    await broker.createTopic(topic, 1);
    const { stdout } = await run(process.execPath, [
      path.join(repoRoot, 'bin/sideband.js'),
      'produce',
      '--from',
      'generate',
      '--events',
      '20000',
      '--seed',
      '3',
      '--topic',
      topic,
      '--rate',
      '10000',
      '--events-per-message',
      '1000',
      '--brokers',
      broker.brokers.join(','),
    ]);
    // Paced in slices of rate/20 = 500 events, each slice its own Arrow message.
    expect(stdout).toMatch(/^produce: 20000 events in 40 arrow messages/);
  });

  it('fails with a clear message when no broker is configured', async () => {
    const env = { ...process.env };
    delete env.KAFKA_BROKERS;
    const err = await run(
      process.execPath,
      [path.join(repoRoot, 'bin/sideband.js'), 'produce', '--from', 'generate', '--events', '10', '--topic', 't'],
      { env },
    ).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toContain('sideband produce: no brokers');
  });
});
