/**
 * The rollup writer core's dependencies and inputs for unit tests: a mocked DynamoDB (install the fake
 * table on it), a mocked SQS client (mock it in the test file), a fake clock at `ROLLUP_NOW`, records of
 * one shard with chosen sequence numbers, and the totals of a bucket across shards.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredEvent } from '../../lambdas/shared/event-schema.js';
import type { RollupDeps } from '../../lambdas/stats/rollup-core.js';
import { stateOf } from '../../lambdas/stats/rollup-model.js';
import { fakeTiming, kinesisRecord, silentLog } from './factories.js';
import type { FakeTable } from './fake-rollups-table.js';
import { RecordedMetrics } from './recorded-metrics.js';

export const ROLLUP_NOW = Date.parse('2026-01-15T10:30:00.000Z');

export function rollupDeps(overrides: Partial<RollupDeps> = {}): RollupDeps {
  return {
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    tableName: 'rollups',
    sqs: new SQSClient({ region: 'eu-west-1' }),
    deadLetterQueueUrl: 'http://sqs/dead-letter',
    timing: fakeTiming(ROLLUP_NOW),
    log: silentLog,
    metrics: new RecordedMetrics(),
    registry: new Map(),
    ...overrides,
  };
}

export const rollupDeadline = () => ROLLUP_NOW + 30_000;

/** Records of one shard with the given sequence numbers, arrived `ageMs` before `ROLLUP_NOW`. */
export function shardRecords(
  events: StoredEvent[],
  firstSequence = 1,
  shard = 'shardId-000000000000',
  ageMs = 60_000,
) {
  return events.map((event, index) => {
    const record = kinesisRecord(event, String(firstSequence + index).padStart(20, '0'));
    record.kinesis.approximateArrivalTimestamp = (ROLLUP_NOW - ageMs) / 1000;
    return { ...record, eventID: `${shard}:${record.kinesis.sequenceNumber}` };
  });
}

/** Events counted in a bucket label (all shards), e.g. `d2026-01-15`. */
export function totalIn(table: FakeTable, label: string): number {
  return table
    .withPrefix('R#')
    .filter((item) => String(item.pk).includes(`#${label}#`))
    .reduce((sum, item) => sum + stateOf(item).total(), 0);
}
