import { afterEach, describe, expect, it } from '@jest/globals';
import {
  kafkaConnection,
  kafkaPolicy,
  kafkaSinkTopics,
  kafkaSourceSettings,
  scaleOutConfig,
  type KafkaTopologyView,
} from '../../src/kafka/config.js';
import { connectKafka } from '../../src/kafka/client.js';
import { TopologyError, SourceError } from '../../src/events/errors.js';

const base = (extra: Partial<KafkaTopologyView> = {}): KafkaTopologyView => ({
  name: 'cfg',
  source: { kind: 'kafka', topic: 'events', format: 'json', deadLetterTopic: 'events.dlq' },
  columns: { mjj: { from: 'm_jj', unit: 'TeV' }, tau21: 'none' },
  label: 'label',
  ...extra,
});

describe('Kafka settings in the topology', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads brokers, client id, group, format and topics; JSON rows must hold the mapped source columns', () => {
    const o = kafkaSourceSettings(base({ kafka: { brokers: 'a:9092, b:9092', clientId: 'hunt' } }));
    expect(o.connection).toMatchObject({ brokers: ['a:9092', 'b:9092'], clientId: 'hunt' });
    expect(o).toMatchObject({
      topics: ['events'],
      groupId: 'sideband-cfg',
      format: 'json',
      deadLetterTopic: 'events.dlq',
      columns: ['m_jj', 'tau21', 'label'],
    });
    expect(kafkaSinkTopics(base({ sinks: { kafka: { results: 'r', alerts: 'a' } } }))).toEqual({
      results: 'r',
      alerts: 'a',
    });
  });

  it('takes the brokers from KAFKA_BROKERS when the topology names none, and says so when neither does', () => {
    process.env.KAFKA_BROKERS = 'k1:9092,k2:9092';
    expect(kafkaConnection(base()).brokers).toEqual(['k1:9092', 'k2:9092']);
    delete process.env.KAFKA_BROKERS;
    expect(() => kafkaConnection(base(), 'f.yaml')).toThrow(/f\.yaml: kafka\.brokers: no brokers/);
  });

  it('rejects unknown keys and bad values with the file and field path', () => {
    expect(() => kafkaSourceSettings(base({ source: { kind: 'kafka', topic: 'e', format: 'xml' } }), 'f.yaml')).toThrow(
      TopologyError,
    );
    expect(() => kafkaConnection(base({ kafka: { brokers: ['a:1'], password: 'x' } }), 'f.yaml')).toThrow(
      /f\.yaml: kafka: .*password/,
    );
    expect(() => scaleOutConfig(base({ kafka: { brokers: ['a:1'] } }), 'f.yaml')).toThrow(/kafka\.scaleOut/);
  });

  it('reads SASL credentials only from the fixed SIDEBAND_KAFKA_* variables and never puts them in an error', () => {
    const sasl = { mechanism: 'scram-sha-512' as const };
    delete process.env.SIDEBAND_KAFKA_PASSWORD;
    process.env.SIDEBAND_KAFKA_USERNAME = 'physicist';
    let err: unknown;
    try {
      connectKafka({ brokers: ['localhost:1'], clientId: 'c', sasl, ssl: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toBe(
      'kafka: the SASL password is read from environment variable SIDEBAND_KAFKA_PASSWORD, which is not set',
    );
    process.env.SIDEBAND_KAFKA_PASSWORD = 's3cret-value';
    expect(() => connectKafka({ brokers: ['localhost:1'], clientId: 'c', sasl, ssl: true })).not.toThrow();
    const conn = kafkaConnection(base({ kafka: { brokers: ['a:1'], sasl, ssl: true } }));
    expect(JSON.stringify(conn)).not.toContain('s3cret-value');
  });

  it('probe 7: a topology cannot choose the variables sent as credentials (HOME, AWS keys...)', () => {
    for (const kafka of [
      {
        brokers: ['evil:9092'],
        ssl: true,
        sasl: { mechanism: 'plain', usernameEnv: 'HOME', passwordEnv: 'AWS_SECRET' },
      },
      { brokers: ['evil:9092'], ssl: { caEnv: 'SSH_AUTH_SOCK' } },
    ])
      expect(() => kafkaConnection(base({ kafka }), 'f.yaml')).toThrow(
        /f\.yaml: kafka\.(sasl|ssl)\.\w+Env: a topology cannot name the variables its secrets come from: .*SIDEBAND_KAFKA_USERNAME/,
      );
  });

  it('probe 7: cleartext SASL and disabled certificate checks are refused unless the command has --insecure', () => {
    const sasl = base({ kafka: { brokers: ['a:1'], sasl: { mechanism: 'plain' } } });
    const noCheck = base({ kafka: { brokers: ['a:1'], ssl: { rejectUnauthorized: false } } });
    expect(() => kafkaConnection(sasl, 'f.yaml')).toThrow(/f\.yaml: kafka\.sasl: SASL without TLS .* --insecure/);
    expect(() => kafkaConnection(noCheck, 'f.yaml')).toThrow(/kafka\.ssl\.rejectUnauthorized: .*needs --insecure/);
    kafkaPolicy.insecure = true;
    try {
      expect(kafkaConnection(sasl).sasl).toEqual({ mechanism: 'plain' });
      expect(kafkaConnection(noCheck).ssl).toEqual({ rejectUnauthorized: false });
    } finally {
      kafkaPolicy.insecure = false;
    }
  });
});
