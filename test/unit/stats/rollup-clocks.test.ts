/**
 * The rollups when the writer's clock and ingest's disagree: the writer records in the shard registry
 * the day it writes on, and readers find the sub-items of a bucket through it.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FUTURE_MS } from '../../../lambdas/shared/event-limits.js';
import { APPLIED_LOG_TTL_SECONDS } from '../../../lambdas/stats/rollup-applied-log.js';
import { applyRecords } from '../../../lambdas/stats/rollup-core.js';
import {
  MARKER_TTL_SECONDS,
  markerKey,
  shardRegistryKey,
  shardsWritingSince,
} from '../../../lambdas/stats/rollup-model.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { fakeTiming, storedEvent } from '../../helpers/factories.js';
import { type FakeTable, fakeRollupsTable } from '../../helpers/fake-rollups-table.js';
import { ROLLUP_NOW, rollupDeps, shardRecords, totalIn } from '../../helpers/rollup-fixtures.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
let table: FakeTable;
const DAY_MS = 24 * 3600 * 1000;

describe('rollups across clocks', () => {
  beforeEach(() => {
    dynamo.reset();
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
    table = fakeRollupsTable(dynamo);
  });

  it("registers the shard for the day of the event's receipt when the writer's clock is still on the day before", async () => {
    // Prepare: ingest's clock is 3 minutes ahead of the writer's and of Kinesis's (it may be 5), just
    // after UTC midnight by its own
    const writerNow = Date.parse('2026-01-15T23:59:10.000Z');
    const event = storedEvent({
      received_at: '2026-01-16T00:02:10.000Z',
      timestamp: '2026-01-16T01:02:00.000Z',
    });
    const deps = rollupDeps({ timing: fakeTiming(writerNow) });
    const [record] = shardRecords([event]);
    if (!record) throw new Error('no record');
    record.kinesis.approximateArrivalTimestamp = Date.parse('2026-01-15T23:59:05.000Z') / 1000;

    // Act
    const outcome = await applyRecords([record], deps, writerNow + 30_000);

    // Assess: counted, and a reader of the event's minute finds the shard that holds it
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(totalIn(table, 'm2026-01-16T01:02')).toBe(1);
    const registry = table.items.get(`${shardRegistryKey('acct-1').pk}|S`);
    const minute = Date.parse('2026-01-16T01:02:00.000Z');
    expect(shardsWritingSince(registry, minute, DEFAULT_MAX_FUTURE_MS)).toEqual(['shardId-000000000000']);
  });

  it("counts an event in every bucket kept by the stream's clock when the writer's clock is stepped 40 days ahead", async () => {
    // Prepare: the record reached the stream a minute before ROLLUP_NOW
    const writerNow = ROLLUP_NOW + 40 * DAY_MS;
    const deps = rollupDeps({ timing: fakeTiming(writerNow) });

    // Act
    const outcome = await applyRecords(shardRecords([storedEvent()]), deps, writerNow + 30_000);

    // Assess: its minute too (minute buckets are kept 32 days), not only its hour, day and month
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(totalIn(table, 'm2026-01-15T10:20')).toBe(1);
    expect(totalIn(table, 'h2026-01-15T10')).toBe(1);
  });

  it("keeps an event's dedupe marker its full 8 days when the writer's clock is stepped 10 days back", async () => {
    // Prepare: the record reached the stream a minute before ROLLUP_NOW
    const writerNow = ROLLUP_NOW - 10 * DAY_MS;
    const event = storedEvent();
    const deps = rollupDeps({ timing: fakeTiming(writerNow) });

    // Act
    await applyRecords(shardRecords([event]), deps, writerNow + 30_000);

    // Assess: DynamoDB's TTL (the real clock) must not take the marker before the dedupe window ends
    const key = markerKey('acct-1', event.event_id);
    const marker = table.items.get(`${key.pk}|${key.sk}`);
    expect(marker?.countedBy).toBeDefined();
    expect(Number(marker?.expiresAt)).toBeGreaterThanOrEqual(
      Math.floor((ROLLUP_NOW - 60_000) / 1000) + MARKER_TTL_SECONDS,
    );
  });

  it("dates an applied-log entry no earlier than its records' arrival when the clock is stepped 10 days back", async () => {
    // Prepare: an invocation wrote the batch's entry; then NTP steps the clock back 10 days and the
    // batch comes again (its first record is the one the entry reaches, so the entry is written again)
    const records = shardRecords([storedEvent()]);
    await applyRecords(records, rollupDeps({ appliedLogAfterMs: 0 }), ROLLUP_NOW + 30_000);
    const writerNow = ROLLUP_NOW - 10 * DAY_MS;

    // Act
    await applyRecords(records, rollupDeps({ timing: fakeTiming(writerNow) }), writerNow + 30_000);

    // Assess: DynamoDB's TTL must not take it before 8 days after the record's arrival
    const [entry] = table.withPrefix('A#');
    expect(Number(entry?.expiresAt)).toBeGreaterThanOrEqual(
      Math.floor((ROLLUP_NOW - 60_000) / 1000) + APPLIED_LOG_TTL_SECONDS,
    );
  });
});
