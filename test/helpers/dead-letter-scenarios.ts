/**
 * Given-helpers for the dead-letter CLI's tests against the real stack: stored events put straight on a
 * stream (the main one, or a side stream the consumers never read, standing in for records a mapping
 * discarded), and messages placed in the dead-letter queue as a consumer or a mapping writes them.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { StoredEvent } from '../../lambdas/shared/event-schema.js';
import { localKinesis, localSqs } from '../../local/services/local-clients.js';
import { eventually, localStack } from './local-stack-client.js';

/** `count` events of `accountId` as ingest stores them, stamped now. */
export function storedEvents(
  accountId: string,
  count: number,
  overrides: Partial<StoredEvent> = {},
): StoredEvent[] {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, index) => ({
    event_id: `evt-${randomUUID()}`,
    account_id: accountId,
    type: 'page_view',
    timestamp: now,
    received_at: now,
    user_id: `user-${index % 3}`,
    path: `/p/${index % 2}`,
    ...overrides,
  }));
}

/** Puts the events on `streamName` (default: the pipeline's) in one PutRecords; resolves with their sequence numbers. */
export async function putStoredEvents(
  events: StoredEvent[],
  streamName = localStack().streamName,
): Promise<string[]> {
  const stack = localStack();
  const kinesis = localKinesis(stack.kinesisUrl, { region: stack.region, maxAttempts: 3 });
  try {
    const { Records = [] } = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: events.map((event) => ({
          PartitionKey: `${event.account_id}:${event.event_id}`,
          Data: Buffer.from(JSON.stringify(event)),
        })),
      }),
    );
    return Records.map((record) => {
      if (!record.SequenceNumber) throw new Error(`record not put: ${record.ErrorCode}`);
      return record.SequenceNumber;
    });
  } finally {
    kinesis.destroy();
  }
}

/** A one-shard stream no consumer reads: where records "discarded" by a mapping are kept for the test. */
export async function givenASideStream(): Promise<string> {
  const stack = localStack();
  const name = `discarded-${randomUUID().slice(0, 8)}`;
  const kinesis = localKinesis(stack.kinesisUrl, { region: stack.region, maxAttempts: 3 });
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await eventually(
      () => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name })),
      (summary) => summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    return name;
  } finally {
    kinesis.destroy();
  }
}

/** Sends `body` to the dead-letter queue as a consumer or a mapping would; resolves with its message id. */
export async function givenADeadLetter(body: unknown): Promise<string> {
  const stack = localStack();
  const sqs = localSqs(stack.sqsUrl, { region: stack.region, maxAttempts: 3 });
  try {
    const { MessageId } = await sqs.send(
      new SendMessageCommand({ QueueUrl: stack.deadLetterQueueUrl, MessageBody: JSON.stringify(body) }),
    );
    if (!MessageId) throw new Error('no message id');
    return MessageId;
  } finally {
    sqs.destroy();
  }
}
