/**
 * `sideband produce --from FILE.parquet|generate --topic T [--format arrow|json] [--rate EVENTS_PER_S]
 *   [--brokers h:p,...] [--client-id ID] [--topology FILE.yaml] [--events-per-message N] [--partitions N]
 *   [--events N --seed S --signal "mA=3500,mB=500,mC=100,n=1000"]...`
 *
 * Replays events into a topic in a source format: Arrow IPC batch messages (default; many events per message) or
 * JSON rows (one event per message). Brokers come from --brokers, else the topology's kafka section, else
 * $KAFKA_BROKERS; SASL/TLS settings only from a topology (secrets from the environment). With --rate the
 * replay is paced to that many events per second (near-online tests); without it, it goes as fast as it can.
 */
import { UsageError } from '../events/errors.js';
import type { KafkaConnection } from '../kafka/client.js';
import type { KafkaFormat } from '../kafka/config.js';
import { produceEvents } from '../scaleout/produce.js';
import type { Source } from '../sources/source.js';
import { asUsage, flag, numberFlag, parseCommand } from './args.js';
import { kafkaPolicy } from '../kafka/config.js';
import { PRODUCE } from './specs.js';

export async function produceCommand(argv: string[]): Promise<number> {
  // Required options, choices and defaults come from the PRODUCE table (src/cli/specs.ts).
  const args = parseCommand(PRODUCE, argv);
  // Cleartext SASL and TLS without certificate checks only when asked for (src/kafka/config.ts).
  kafkaPolicy.insecure = flag(args, 'insecure') === 'true';
  const from = flag(args, 'from')!;
  const topic = flag(args, 'topic')!;
  const format = flag(args, 'format') as KafkaFormat;
  let connection: KafkaConnection;
  const topologyFile = flag(args, 'topology');
  if (topologyFile) {
    const { loadTopology } = await import('../topology/load.js');
    const { kafkaConnection } = await import('../kafka/config.js');
    connection = kafkaConnection(await loadTopology(topologyFile, []), topologyFile);
  } else {
    const brokers = flag(args, 'brokers') ?? process.env.KAFKA_BROKERS;
    if (!brokers) throw new UsageError('no brokers: give --brokers, --topology or set KAFKA_BROKERS');
    connection = {
      brokers: brokers
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      clientId: 'sideband-produce',
    };
  }
  if (flag(args, 'brokers')) connection = { ...connection, brokers: flag(args, 'brokers')!.split(',') };
  if (flag(args, 'client-id')) connection = { ...connection, clientId: flag(args, 'client-id')! };
  let source: Source;
  if (from === 'generate') {
    const { GeneratorSource, parseResonanceSpec } = await import('../sources/generator.js');
    source = new GeneratorSource({
      events: numberFlag(args, 'events'),
      seed: numberFlag(args, 'seed'),
      signals: (args.flags.get('signal') ?? []).map((v) => asUsage('--signal', () => parseResonanceSpec(v))),
    });
  } else {
    const { ParquetSource } = await import('../sources/parquet.js');
    source = new ParquetSource({ path: from });
  }
  const rate = flag(args, 'rate') === undefined ? undefined : numberFlag(args, 'rate');
  if (rate !== undefined && !(rate > 0))
    throw new UsageError('option --rate must be a positive number of events per second');
  const epm = flag(args, 'events-per-message') === undefined ? undefined : numberFlag(args, 'events-per-message');
  const partitions = flag(args, 'partitions') === undefined ? undefined : numberFlag(args, 'partitions');
  const r = await produceEvents({
    connection,
    source,
    topic,
    format,
    ...(rate ? { rate } : {}),
    ...(epm ? { eventsPerMessage: epm } : {}),
    ...(partitions ? { partitions } : {}),
  });
  if (flag(args, 'quiet') !== 'true') {
    process.stdout.write(
      `produce: ${r.events} events in ${r.messages} ${format} messages (${(r.bytes / 1e6).toFixed(1)} MB) -> ${topic} in ${r.seconds.toFixed(2)} s (${Math.round(r.events / Math.max(r.seconds, 1e-9))} events/s)\n`,
    );
  }
  return 0;
}
