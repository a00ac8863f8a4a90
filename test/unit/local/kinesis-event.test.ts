import { describe, expect, it } from 'vitest';
import {
  kinesisStreamEvent,
  onFailureRecord,
  type StreamRecord,
} from '../../../local/event-source-mapping/kinesis-event.js';

const source = {
  region: 'eu-west-1',
  streamArn: 'arn:aws:kinesis:eu-west-1:000000000000:stream/events',
  functionId: 'indexer',
};
const record = (sequenceNumber: string, arrivedAtMs: number): StreamRecord => ({
  sequenceNumber,
  approximateArrivalTimestampMs: arrivedAtMs,
  partitionKey: 'acct_1',
  data: Buffer.from('{"type":"login"}'),
});

describe('kinesisStreamEvent', () => {
  it('shapes each record as Lambda delivers it, data base64-encoded and times in seconds', () => {
    // Act
    const event = kinesisStreamEvent(source, 'shardId-000000000001', [record('101', 1_700_000_000_500)]);

    // Assess
    expect(event.Records).toEqual([
      {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: 'acct_1',
          sequenceNumber: '101',
          data: Buffer.from('{"type":"login"}').toString('base64'),
          approximateArrivalTimestamp: 1_700_000_000.5,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: 'shardId-000000000001:101',
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/indexer-role',
        awsRegion: 'eu-west-1',
        eventSourceARN: source.streamArn,
      },
    ]);
  });
});

describe('onFailureRecord', () => {
  it('names the range of the discarded records, never their data', () => {
    // Prepare
    const discarded = { records: [record('7', 1000), record('9', 3000)], retries: 2, invokeCount: 3 };

    // Act
    const failure = onFailureRecord(
      source,
      'shardId-000000000000',
      {
        action: 'discard',
        batch: discarded,
        condition: 'RetryAttemptsExhausted',
        functionError: 'Unhandled',
        reason: { kind: 'function-error', errorType: 'Error', errorMessage: 'boom' },
      },
      Date.UTC(2026, 0, 1),
    );

    // Assess
    expect(failure).toMatchObject({
      requestContext: {
        functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:indexer',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2026-01-01T00:00:00.000Z',
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: '7',
        endSequenceNumber: '9',
        approximateArrivalOfFirstRecord: '1970-01-01T00:00:01.000Z',
        approximateArrivalOfLastRecord: '1970-01-01T00:00:03.000Z',
        batchSize: 2,
        streamArn: source.streamArn,
      },
    });
    expect(JSON.stringify(failure)).not.toContain(Buffer.from('{"type":"login"}').toString('base64'));
  });
});
