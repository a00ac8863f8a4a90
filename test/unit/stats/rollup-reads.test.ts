import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadTimestampBounds } from '../../../lambdas/shared/config.js';
import type { StoredEvent } from '../../../lambdas/shared/event-schema.js';
import { RollupStateCache } from '../../../lambdas/stats/rollup-cache.js';
import { applyRecords } from '../../../lambdas/stats/rollup-core.js';
import { summarize } from '../../../lambdas/stats/summary-core.js';
import { STREAM_MAPPINGS } from '../../../lib/topology.js';
import { fakeTiming, kinesisRecord, silentLog, storedEvent } from '../../helpers/factories.js';
import { fakeRollupsTable } from '../../helpers/fake-rollups-table.js';
import { RecordedMetrics } from '../../helpers/recorded-metrics.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const NOW = Date.parse('2026-01-15T10:37:20.000Z');
const client = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));

function onShard(events: StoredEvent[], shard: string, first: number): KinesisStreamRecord[] {
  return events.map((event, index) => {
    const record = kinesisRecord(event, String(first + index).padStart(20, '0'));
    return { ...record, eventID: `${shard}:${record.kinesis.sequenceNumber}` };
  });
}

async function write(records: KinesisStreamRecord[]): Promise<void> {
  await applyRecords(
    records,
    {
      dynamo: client(),
      tableName: 'rollups',
      sqs: new SQSClient({ region: 'eu-west-1' }),
      deadLetterQueueUrl: 'http://sqs/dlq',
      timing: fakeTiming(NOW),
      log: silentLog,
      metrics: new RecordedMetrics(),
      registry: new Map(),
    },
    NOW + 30_000,
  );
}

const readDeps = (cache?: RollupStateCache) => ({
  dynamo: client(),
  tableName: 'rollups',
  maxFutureMs: 3_600_000,
  now: () => NOW,
  timing: fakeTiming(NOW),
  cache,
});

/** Keys requested per BatchGetItem call, and whether each asked for a projection. */
function batchGets() {
  return dynamo.commandCalls(BatchGetCommand).map((call) => {
    const request = Object.values(call.args[0].input.RequestItems ?? {})[0];
    return { keys: request?.Keys?.length ?? 0, projected: request?.ProjectionExpression !== undefined };
  });
}

describe('reading rollups', () => {
  beforeEach(() => {
    dynamo.reset();
    fakeRollupsTable(dynamo);
  });

  it('merges the sub-items of every shard the registry lists', async () => {
    // Prepare: one account's events on two shards
    await write(
      onShard([storedEvent({ user_id: 'a' }), storedEvent({ user_id: 'b' })], 'shardId-000000000000', 1),
    );
    await write(
      onShard([storedEvent({ user_id: 'b' }), storedEvent({ user_id: 'c' })], 'shardId-000000000001', 1),
    );

    // Act
    const summary = await summarize('acct-1', { window: 'last_24h' }, readDeps());

    // Assess
    expect(summary).toMatchObject({ total_events: 4, unique_users: 3 });
  });

  it('with a warm cache reads only versions, and re-reads in full only what changed', async () => {
    // Prepare
    const cache = new RollupStateCache();
    await write(
      onShard(
        [storedEvent({ event_id: 'x1', timestamp: '2026-01-15T10:30:00.000Z' })],
        'shardId-000000000000',
        1,
      ),
    );
    await summarize('acct-1', { window: 'last_24h' }, readDeps(cache));
    dynamo.resetHistory();

    // Act: unchanged, then one more event in the same minute
    const unchanged = await summarize('acct-1', { window: 'last_24h' }, readDeps(cache));
    const reads = batchGets();
    dynamo.resetHistory();
    await write(
      onShard(
        [storedEvent({ event_id: 'x2', timestamp: '2026-01-15T10:30:30.000Z' })],
        'shardId-000000000000',
        2,
      ),
    );
    dynamo.resetHistory();
    const changed = await summarize('acct-1', { window: 'last_24h' }, readDeps(cache));

    // Assess
    expect(unchanged.total_events).toBe(1);
    expect(reads.every((read) => read.projected)).toBe(true);
    expect(changed.total_events).toBe(2);
    // Of the four changed sub-items only today's day is in the cover of last_24h: it alone is read in full
    expect(
      batchGets()
        .filter((read) => !read.projected)
        .map((read) => read.keys),
    ).toEqual([1]);
  });
});

describe('the rules the writer relies on', () => {
  it('keeps one batch in flight per shard for the rollup writer (single writer per sub-item)', () => {
    expect(
      STREAM_MAPPINGS.find((mapping) => mapping.functionId === 'rollup-writer')?.parallelizationFactor,
    ).toBe(1);
  });

  it('reads one backfill horizon for every function, 90 days by default, at most 365', () => {
    expect(loadTimestampBounds({})).toEqual({ maxPastMs: 90 * 86_400_000, maxFutureMs: 3_600_000 });
    expect(loadTimestampBounds({ EVENT_MAX_PAST_SECONDS: String(30 * 86_400) }).maxPastMs).toBe(
      30 * 86_400_000,
    );
    expect(() => loadTimestampBounds({ EVENT_MAX_PAST_SECONDS: String(400 * 86_400) })).toThrow(
      'EVENT_MAX_PAST_SECONDS environment variable must be at most 31536000 seconds',
    );
  });

  it('accepts a clock skew of at most a day ahead: no window reaches further, and each day ahead is an index', () => {
    expect(loadTimestampBounds({ EVENT_MAX_FUTURE_SECONDS: '86400' }).maxFutureMs).toBe(86_400_000);
    expect(() => loadTimestampBounds({ EVENT_MAX_FUTURE_SECONDS: String(10 * 365 * 86_400) })).toThrow(
      'EVENT_MAX_FUTURE_SECONDS environment variable must be at most 86400 seconds',
    );
  });
});
