/**
 * The shard reader's answer to an expired iterator, which kinesalite only produces after 5 real minutes:
 * a fault the emulator cannot produce in a test's time, so the Kinesis client is mocked here.
 */
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ShardReader } from '../../../local/event-source-mapping/shard-reader.js';

const kinesis = mockClient(KinesisClient);
/** Any client: the mock answers for every KinesisClient. */
const client = new KinesisClient({ region: 'us-east-1' });
const expired = () => new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
const record = (sequenceNumber: string) => ({
  SequenceNumber: sequenceNumber,
  ApproximateArrivalTimestamp: new Date(1_000),
  PartitionKey: 'k',
  Data: Buffer.from(sequenceNumber),
});

afterEach(() => {
  kinesis.reset();
});

describe('ShardReader', () => {
  it('renews an expired iterator after the last record read, so nothing is skipped or read twice', async () => {
    // Prepare
    kinesis
      .on(GetShardIteratorCommand, { ShardIteratorType: 'TRIM_HORIZON' })
      .resolves({ ShardIterator: 'it-0' })
      .on(GetShardIteratorCommand, {
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        StartingSequenceNumber: '12',
      })
      .resolves({ ShardIterator: 'it-after-12' });
    kinesis
      .on(GetRecordsCommand, { ShardIterator: 'it-0' })
      .resolves({ Records: [record('11'), record('12')], NextShardIterator: 'it-1', MillisBehindLatest: 5 })
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .rejects(expired())
      .on(GetRecordsCommand, { ShardIterator: 'it-after-12' })
      .resolves({ Records: [record('13')], NextShardIterator: 'it-2', MillisBehindLatest: 0 });
    const reader = new ShardReader(
      kinesis as unknown as KinesisClient,
      'events',
      'shardId-0',
      'TRIM_HORIZON',
    );

    // Act
    const first = await reader.read(10);
    const afterExpiry = await reader.read(10);
    const next = await reader.read(10);

    // Assess
    expect(first).toMatchObject({ exhausted: false, millisBehindLatest: 5 });
    expect(first.records.map((r) => r.sequenceNumber)).toEqual(['11', '12']);
    expect(afterExpiry).toEqual({ records: [], exhausted: false });
    expect(next.records.map((r) => r.sequenceNumber)).toEqual(['13']);
  });

  it('renews at the starting position when the iterator expired before any record was read', async () => {
    // Prepare
    kinesis
      .on(GetShardIteratorCommand)
      .resolvesOnce({ ShardIterator: 'it-0' })
      .resolves({ ShardIterator: 'it-new' });
    kinesis
      .on(GetRecordsCommand, { ShardIterator: 'it-0' })
      .rejects(expired())
      .on(GetRecordsCommand, { ShardIterator: 'it-new' })
      .resolves({ Records: [], NextShardIterator: 'it-new' });
    const reader = new ShardReader(client, 'events', 'shardId-0', 'LATEST');

    // Act
    await reader.read(10);
    await reader.read(10);

    // Assess
    const iteratorTypes = kinesis
      .commandCalls(GetShardIteratorCommand)
      .map((call) => call.args[0].input.ShardIteratorType);
    expect(iteratorTypes).toEqual(['LATEST', 'LATEST']);
  });

  it('passes other failures to the poller, which reads again with the same iterator', async () => {
    // Prepare
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    kinesis
      .on(GetRecordsCommand)
      .rejectsOnce(new Error('connect ECONNREFUSED'))
      .resolves({ Records: [record('1')], NextShardIterator: 'it-1' });
    const reader = new ShardReader(
      kinesis as unknown as KinesisClient,
      'events',
      'shardId-0',
      'TRIM_HORIZON',
    );

    // Act
    const failed = reader.read(10);
    await expect(failed).rejects.toThrow('ECONNREFUSED');
    const retried = await reader.read(10);

    // Assess
    expect(retried.records).toHaveLength(1);
    expect(kinesis.commandCalls(GetRecordsCommand).map((call) => call.args[0].input.ShardIterator)).toEqual([
      'it-0',
      'it-0',
    ]);
  });

  it('is exhausted once a closed shard gives no next iterator', async () => {
    // Prepare
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    kinesis.on(GetRecordsCommand).resolves({ Records: [record('1')] });
    const reader = new ShardReader(
      kinesis as unknown as KinesisClient,
      'events',
      'shardId-0',
      'TRIM_HORIZON',
    );

    // Act
    const last = await reader.read(10);
    const after = await reader.read(10);

    // Assess
    expect(last).toMatchObject({ exhausted: true });
    expect(after).toEqual({ records: [], exhausted: true });
  });
});
