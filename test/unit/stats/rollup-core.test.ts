import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyRecords, type RollupDeps, transactionGroups } from '../../../lambdas/stats/rollup-core.js';
import { fakeTiming, kinesisEvent, silentLog, storedEvent } from '../../helpers/factories.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

function deps(): RollupDeps {
  return {
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    tableName: 'rollups',
    sqs: new SQSClient({ region: 'eu-west-1' }),
    deadLetterQueueUrl: 'http://sqs/dead-letter',
    timing: fakeTiming(),
    log: silentLog,
  };
}

const deadline = () => Date.parse('2026-01-15T10:30:00.000Z') + 30_000;

function cancelled(codes: string[]) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

type TransactItems = NonNullable<TransactWriteCommand['input']['TransactItems']>;
function transactItems(call: number): TransactItems {
  return dynamo.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems ?? [];
}

describe('applyRecords', () => {
  beforeEach(() => {
    dynamo.reset();
    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  it('writes one transaction: a conditional marker per event and one summed update per rollup item', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).resolves({});
    const events = [
      storedEvent({ event_id: 'a', type: 'page_view', user_id: 'u1', timestamp: '2026-01-15T10:05:00.000Z' }),
      storedEvent({
        event_id: 'b',
        type: 'page_view',
        anonymous_id: 'anon',
        timestamp: '2026-01-15T10:45:00.000Z',
      }),
      storedEvent({ event_id: 'c', type: 'login', user_id: 'u1', timestamp: '2026-01-15T11:01:00.000Z' }),
    ];

    // Act
    const outcome = await applyRecords(kinesisEvent(events).Records, deps(), deadline());

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.counts).toMatchObject({ applied: 3, duplicates: 0 });
    const items = transactItems(0);
    expect(items.slice(0, 3).map((item) => [item.Put?.Item?.sk, item.Put?.ConditionExpression])).toEqual([
      ['EVT#a', 'attribute_not_exists(pk)'],
      ['EVT#b', 'attribute_not_exists(pk)'],
      ['EVT#c', 'attribute_not_exists(pk)'],
    ]);
    const updates = items.slice(3).map((item) => item.Update);
    expect(updates.map((update) => update?.Key)).toEqual([
      { pk: 'ACC#acct-1', sk: 'H#2026-01-15T10' },
      { pk: 'ACC#acct-1', sk: 'D#2026-01-15' },
      { pk: 'ACC#acct-1', sk: 'H#2026-01-15T11' },
    ]);
    expect(updates[0]?.UpdateExpression).toBe('ADD #total :total, #t0 :t0, #users :users');
    expect(updates[0]?.ExpressionAttributeNames).toEqual({
      '#total': 'total',
      '#t0': 'type:page_view',
      '#users': 'users',
    });
    expect(updates[0]?.ExpressionAttributeValues).toEqual({
      ':total': 2,
      ':t0': 2,
      ':users': new Set(['u1', 'anon']),
    });
    expect(updates[1]?.ExpressionAttributeValues).toEqual({
      ':total': 3,
      ':t0': 2,
      ':t1': 1,
      ':users': new Set(['u1', 'anon']),
    });
  });

  it('drops only the events whose marker already exists and retries the rest', async () => {
    // Prepare
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None', 'None']))
      .resolves({});
    const events = [storedEvent({ event_id: 'new' }), storedEvent({ event_id: 'seen-before' })];

    // Act
    const outcome = await applyRecords(kinesisEvent(events).Records, deps(), deadline());

    // Assess
    expect(outcome.counts).toMatchObject({ applied: 1, duplicates: 1, failed: 0 });
    expect(outcome.response.batchItemFailures).toEqual([]);
    const retried = transactItems(1);
    expect(retried.filter((item) => item.Put).map((item) => item.Put?.Item?.sk)).toEqual(['EVT#new']);
    expect(retried.find((item) => item.Update)?.Update?.ExpressionAttributeValues?.[':total']).toBe(1);
  });

  it('sends an event repeated within one batch once', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).resolves({});
    const event = storedEvent({ event_id: 'twice' });

    // Act
    const outcome = await applyRecords(kinesisEvent([event, event]).Records, deps(), deadline());

    // Assess
    expect(outcome.counts).toMatchObject({ applied: 1, duplicates: 1 });
    expect(transactItems(0).filter((item) => item.Put)).toHaveLength(1);
  });

  it('retries transient cancellations and reports the group when they persist', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).rejects(cancelled(['TransactionConflict', 'None', 'None']));

    // Act
    const outcome = await applyRecords(kinesisEvent([storedEvent()]).Records, deps(), deadline());

    // Assess
    expect(dynamo.commandCalls(TransactWriteCommand).length).toBeGreaterThan(1);
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000001' }]);
  });

  it('writes one transaction per account', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).resolves({});
    const events = [storedEvent({ account_id: 'a1' }), storedEvent({ account_id: 'a2' })];

    // Act
    await applyRecords(kinesisEvent(events).Records, deps(), deadline());

    // Assess
    const keys = dynamo
      .commandCalls(TransactWriteCommand)
      .map((call) => call.args[0].input.TransactItems?.[0]?.Put?.Item?.pk)
      .sort();
    expect(keys).toEqual(['ACC#a1', 'ACC#a2']);
  });
});

describe('transactionGroups', () => {
  it('keeps every transaction within 100 items', () => {
    // Prepare
    const items = Array.from({ length: 250 }, (_, index) => ({
      sequenceNumber: String(index),
      event: storedEvent({ timestamp: new Date(Date.UTC(2026, 0, 1, index % 5)).toISOString() }),
    }));

    // Act
    const groups = transactionGroups(items);

    // Assess: 5 hours + 1 day = 6 updates, so 94 markers per transaction.
    expect(groups.map((group) => group.length)).toEqual([94, 94, 62]);
  });
});
