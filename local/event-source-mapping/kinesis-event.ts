/**
 * What the mapping sends: the `KinesisStreamEvent` a function is invoked with, and the on-failure record
 * a discarded batch leaves in the destination (metadata only, as Lambda sends it). Pure builders.
 *
 * Reference: "Using AWS Lambda with Amazon Kinesis" (event shape) and "Capturing discarded batches for a
 * Kinesis event source" (on-failure record) in the Lambda developer guide.
 */
import { randomUUID } from 'node:crypto';
import type { _Record as SdkRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { localArn } from '../local-aws.js';
import type { Decision, FailureCondition } from './batch-decision.js';

/** A record read from a shard, with what the event and the decisions need. */
export interface StreamRecord {
  sequenceNumber: string;
  /** When Kinesis accepted the record, epoch milliseconds. */
  approximateArrivalTimestampMs: number;
  partitionKey: string;
  data: Uint8Array;
}

/** The record Lambda sends to an SQS or SNS on-failure destination for a discarded Kinesis batch. */
export interface OnFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    functionError?: string;
  };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

/** Who the events and on-failure records are from and for. */
export interface EventSource {
  region: string;
  streamArn: string;
  functionId: string;
}

/** A record from GetRecords in the mapping's form; `nowMs` stands in for a missing arrival time. */
export function fromSdkRecord(record: SdkRecord, nowMs: number): StreamRecord {
  return {
    sequenceNumber: record.SequenceNumber ?? '',
    approximateArrivalTimestampMs: record.ApproximateArrivalTimestamp?.getTime() ?? nowMs,
    partitionKey: record.PartitionKey ?? '',
    data: record.Data ?? new Uint8Array(),
  };
}

/** The event a function receives for `records` of `shardId`. */
export function kinesisStreamEvent(
  source: EventSource,
  shardId: string,
  records: readonly StreamRecord[],
): KinesisStreamEvent {
  const invokeIdentityArn = localArn('iam', '', `role/${source.functionId}-role`);
  return {
    Records: records.map(
      (record): KinesisStreamRecord => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: record.partitionKey,
          sequenceNumber: record.sequenceNumber,
          data: Buffer.from(record.data).toString('base64'),
          approximateArrivalTimestamp: record.approximateArrivalTimestampMs / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${record.sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn,
        awsRegion: source.region,
        eventSourceARN: source.streamArn,
      }),
    ),
  };
}

/** The on-failure record of a discard decision: the discarded records' range, never their data. */
export function onFailureRecord(
  source: EventSource,
  shardId: string,
  decision: Extract<Decision<StreamRecord>, { action: 'discard' }>,
  nowMs: number,
): OnFailureRecord {
  const records = decision.batch.records;
  const first = records[0] as StreamRecord;
  const last = records[records.length - 1] as StreamRecord;
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: localArn('lambda', source.region, `function:${source.functionId}`),
      condition: decision.condition,
      approximateInvokeCount: decision.batch.invokeCount,
    },
    // The Invoke API answers 200 even for a function error; the error shows in functionError.
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(decision.functionError ? { functionError: decision.functionError } : {}),
    },
    version: '1.0',
    timestamp: new Date(nowMs).toISOString(),
    KinesisBatchInfo: {
      shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.approximateArrivalTimestampMs).toISOString(),
      approximateArrivalOfLastRecord: new Date(last.approximateArrivalTimestampMs).toISOString(),
      batchSize: records.length,
      streamArn: source.streamArn,
    },
  };
}
