/**
 * Messages of the dead-letter queue, built from intent: the letter a consumer writes when it gives up on
 * an event or an undecodable record, and the on-failure record a mapping writes when it discards a batch.
 */
import { randomUUID } from 'node:crypto';
import type { SendMessageBatchCommandInput, SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import type { QueueMessage } from '../../cli/dead-letters/letters.js';
import type { DeadLetter } from '../../lambdas/shared/dead-letter.js';
import type { StoredEvent } from '../../lambdas/shared/event-schema.js';
import type { OnFailureRecord } from '../../local/event-source-mapping/kinesis-event.js';
import { localArn } from '../../local/local-aws.js';

/** The letter a consumer writes for an event it gave up on. */
export function eventDeadLetter(event: StoredEvent, overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    source: 'indexer',
    reason: '400 mapper_parsing_exception: failed to parse field [user_id]',
    sequenceNumber: '49000000000000000000000000000000000000000000000000000001',
    failedAt: '2026-01-15T10:21:00.000Z',
    event,
    ...overrides,
  };
}

/** The letter a consumer writes for a record it could not decode: its raw data. */
export function rawDeadLetter(data: string, overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    source: 'indexer',
    reason: 'record data is not JSON: Unexpected token',
    sequenceNumber: '49000000000000000000000000000000000000000000000000000002',
    failedAt: '2026-01-15T10:21:00.000Z',
    data: Buffer.from(data).toString('base64'),
    partitionKey: 'raw',
    ...overrides,
  };
}

/** The on-failure record of a batch `functionName`'s mapping discarded (metadata only). */
export function onFailureRecord(options: {
  functionName: string;
  streamName?: string;
  shardId?: string;
  start: string;
  end: string;
  batchSize: number;
  region?: string;
}): OnFailureRecord {
  const region = options.region ?? 'us-east-1';
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: localArn('lambda', region, `function:${options.functionName}`),
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 412,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-01-21T10:21:00.000Z',
    KinesisBatchInfo: {
      shardId: options.shardId ?? 'shardId-000000000000',
      startSequenceNumber: options.start,
      endSequenceNumber: options.end,
      approximateArrivalOfFirstRecord: '2026-01-15T10:20:31.000Z',
      approximateArrivalOfLastRecord: '2026-01-15T10:20:32.000Z',
      batchSize: options.batchSize,
      streamArn: localArn('kinesis', region, `stream/${options.streamName ?? 'events'}`),
    },
  };
}

/** A queue message holding `body` (serialized unless it is a string). */
export function queueMessage(body: unknown, sentAt = Date.parse('2026-01-15T10:21:01.000Z')): QueueMessage {
  return { id: randomUUID(), body: typeof body === 'string' ? body : JSON.stringify(body), sentAt };
}

/**
 * What SQS answers to a SendMessageBatch it takes whole: every entry listed as successful, with a
 * message id. Use with `sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted)`.
 */
export function everyLetterAccepted(input: SendMessageBatchCommandInput): SendMessageBatchCommandOutput {
  return {
    Successful: (input.Entries ?? []).map((entry, position) => ({
      Id: entry.Id,
      MessageId: `message-${position}`,
      MD5OfMessageBody: '',
    })),
    Failed: [],
    $metadata: {},
  };
}
