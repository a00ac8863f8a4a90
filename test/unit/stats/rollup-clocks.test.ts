/**
 * The rollups when the writer's clock and ingest's disagree: the writer records in the shard registry
 * the day it writes on, and readers find the sub-items of a bucket through it.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FUTURE_MS } from '../../../lambdas/shared/event-limits.js';
import { applyRecords } from '../../../lambdas/stats/rollup-core.js';
import { shardRegistryKey, shardsWritingSince } from '../../../lambdas/stats/rollup-model.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { fakeTiming, storedEvent } from '../../helpers/factories.js';
import { type FakeTable, fakeRollupsTable } from '../../helpers/fake-rollups-table.js';
import { rollupDeps, shardRecords, totalIn } from '../../helpers/rollup-fixtures.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
let table: FakeTable;

describe('rollups across clocks', () => {
  beforeEach(() => {
    dynamo.reset();
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
    table = fakeRollupsTable(dynamo);
  });

  it("registers the shard for the day of the event's receipt when the writer's clock is still on the day before", async () => {
    // Prepare: ingest's clock is 3 minutes ahead of the writer's, just after UTC midnight by its own
    const writerNow = Date.parse('2026-01-15T23:59:10.000Z');
    const event = storedEvent({
      received_at: '2026-01-16T00:02:10.000Z',
      timestamp: '2026-01-16T01:02:00.000Z',
    });
    const deps = rollupDeps({ timing: fakeTiming(writerNow) });
    const [record] = shardRecords([event]);
    if (!record) throw new Error('no record');
    record.kinesis.approximateArrivalTimestamp = Date.parse('2026-01-16T00:02:11.000Z') / 1000;

    // Act
    const outcome = await applyRecords([record], deps, writerNow + 30_000);

    // Assess: counted, and a reader of the event's minute finds the shard that holds it
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(totalIn(table, 'm2026-01-16T01:02')).toBe(1);
    const registry = table.items.get(`${shardRegistryKey('acct-1').pk}|S`);
    const minute = Date.parse('2026-01-16T01:02:00.000Z');
    expect(shardsWritingSince(registry, minute, DEFAULT_MAX_FUTURE_MS)).toEqual(['shardId-000000000000']);
  });
});
