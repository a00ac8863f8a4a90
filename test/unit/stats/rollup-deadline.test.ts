/**
 * The rollup writer under load keeps to its invocation's deadline: a batch of many accounts (or of
 * events spread over many buckets) touches thousands of sub-items and shard registries; when DynamoDB
 * answers slowly (throttled, retried by the SDK), the writer stops starting writes at the deadline and
 * reports what it did not write, rather than running on until Lambda kills it at its timeout (the whole
 * batch failed, and a lone old record counted as a crash by the crash journal).
 */

import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { realTiming } from '../../../lambdas/shared/retry.js';
import { stoppingAt } from '../../../lambdas/shared/stopping-client.js';
import { applyRecords } from '../../../lambdas/stats/rollup-core.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { fakeTiming, storedEvent } from '../../helpers/factories.js';
import { type FakeTable, fakeRollupsTable } from '../../helpers/fake-rollups-table.js';
import {
  ROLLUP_NOW,
  rollupDeadline,
  rollupDeps,
  shardRecords,
  totalIn,
} from '../../helpers/rollup-fixtures.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
let table: FakeTable;

/** 300 accounts, one event each: 1,200 sub-items and 300 shard registries in one batch. */
const manyAccounts = (firstSequence = 1) =>
  shardRecords(
    Array.from({ length: 300 }, (_, index) =>
      storedEvent({
        event_id: `e${index}`,
        account_id: `acct-${index}`,
        timestamp: '2026-01-15T10:05:00.000Z',
      }),
    ),
    firstSequence,
  );

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  table = fakeRollupsTable(dynamo);
});

describe('a batch touching many sub-items keeps to its deadline', () => {
  it('stops starting sub-item puts at the deadline and reports the rest for redelivery', async () => {
    // Prepare: every put takes 1 s (a throttled table the SDK retries), until the table recovers
    const timing = fakeTiming(ROLLUP_NOW);
    let slow = true;
    dynamo.on(PutCommand).callsFake(async (input) => {
      if (slow) await timing.sleep(1_000);
      const item = input.Item as Record<string, unknown>;
      table.items.set(`${String(item.pk)}|${String(item.sk)}`, structuredClone(item));
      return {};
    });
    const deadline = rollupDeadline();

    // Act
    const outcome = await applyRecords(manyAccounts(), rollupDeps({ timing }), deadline);
    const putsBeforeRecovery = dynamo.commandCalls(PutCommand).length;
    const overrun = timing.now() - deadline;
    slow = false;
    const redelivery = await applyRecords(manyAccounts(), rollupDeps({ timing }), timing.now() + 30_000);

    // Assess: at most the writes in flight at the deadline finish after it; nothing is dead-lettered
    expect(overrun).toBeLessThanOrEqual(16 * 1_000);
    expect(putsBeforeRecovery).toBeLessThan(100);
    expect(outcome.counts.deadLettered).toBe(0);
    expect(outcome.counts.failed).toBeGreaterThan(0);
    expect(outcome.counts.done + outcome.counts.failed).toBe(300);
    expect(outcome.response.batchItemFailures).toHaveLength(outcome.counts.failed);
    // The redelivery writes what was left, and counts every event once
    expect(redelivery.counts.failed).toBe(0);
    expect(totalIn(table, 'd2026-01-15')).toBe(300);
    expect(totalIn(table, 'm2026-01-15T10:05')).toBe(300);
  });

  it('stops starting shard-registry updates at the deadline', async () => {
    // Prepare: every registry update takes 1 s
    const timing = fakeTiming(ROLLUP_NOW);
    dynamo.on(UpdateCommand).callsFake(async (input) => {
      await timing.sleep(1_000);
      const key = input.Key as Record<string, unknown>;
      table.items.set(`${String(key.pk)}|${String(key.sk)}`, { ...key });
      return {};
    });
    const deadline = rollupDeadline();

    // Act
    const outcome = await applyRecords(manyAccounts(), rollupDeps({ timing }), deadline);

    // Assess
    expect(timing.now() - deadline).toBeLessThanOrEqual(16 * 1_000);
    expect(dynamo.commandCalls(UpdateCommand).length).toBeLessThan(100);
    expect(outcome.counts.deadLettered).toBe(0);
    expect(outcome.counts.failed).toBeGreaterThan(0);
    expect(outcome.response.batchItemFailures).toHaveLength(outcome.counts.failed);
  });

  it('stops resolving client resends against the applied log at the deadline', async () => {
    // Prepare: 300 events counted, then resent by their clients (new records, same ids) while every
    // applied-log query takes 1 s
    const timing = fakeTiming(ROLLUP_NOW);
    await applyRecords(manyAccounts(), rollupDeps({ timing }), rollupDeadline());
    let slow = true;
    dynamo.on(QueryCommand).callsFake(async () => {
      if (slow) await timing.sleep(1_000);
      return { Items: [] };
    });
    const resent = () => manyAccounts(1_000);
    const deadline = timing.now() + 30_000;

    // Act
    const outcome = await applyRecords(resent(), rollupDeps({ timing }), deadline);
    const queriesBeforeRecovery = dynamo.commandCalls(QueryCommand).length;
    const overrun = timing.now() - deadline;
    slow = false;
    const redelivery = await applyRecords(resent(), rollupDeps({ timing }), timing.now() + 30_000);

    // Assess: at most the queries in flight at the deadline finish after it; every resend is a duplicate
    expect(overrun).toBeLessThanOrEqual(8 * 1_000);
    expect(queriesBeforeRecovery).toBeLessThan(100);
    expect(outcome.counts.deadLettered).toBe(0);
    expect(outcome.counts.failed).toBeGreaterThan(0);
    expect(outcome.counts.duplicate + outcome.counts.failed).toBe(300);
    expect(redelivery.counts).toMatchObject({ failed: 0, duplicate: 300 });
    expect(totalIn(table, 'd2026-01-15')).toBe(300);
  });

  it('gives up a request still in flight at the stop time, reporting its events for redelivery', async () => {
    // Prepare: DynamoDB takes every sub-item put and never answers (a hung connection), until it recovers
    let hung = true;
    dynamo.on(PutCommand).callsFake(async (input) => {
      if (hung) return new Promise(() => undefined);
      const item = input.Item as Record<string, unknown>;
      table.items.set(`${String(item.pk)}|${String(item.sk)}`, structuredClone(item));
      return {};
    });
    // The real clock, as in Lambda: the deadline and the stop time 200 ms after it
    const deps = rollupDeps({ timing: realTiming });
    const deadline = Date.now() + 100;
    const stopAt = deadline + 200;

    // Act: the writer's requests are given up at the stop time, as the handler gives them
    const outcome = await applyRecords(
      manyAccounts(),
      { ...deps, dynamo: stoppingAt(deps.dynamo, stopAt) },
      deadline,
    );
    const finishedAfterStopMs = Date.now() - stopAt;
    hung = false;
    const redelivery = await applyRecords(manyAccounts(), rollupDeps(), rollupDeadline());

    // Assess: the batch ends at the stop time instead of hanging until Lambda's timeout; its events are
    // transient failures, not dead letters, and the redelivery counts each once
    expect(finishedAfterStopMs).toBeLessThan(2_000);
    expect(outcome.counts.deadLettered).toBe(0);
    expect(outcome.counts.failed).toBe(300);
    expect(outcome.response.batchItemFailures).toHaveLength(300);
    expect(redelivery.counts.failed).toBe(0);
    expect(totalIn(table, 'd2026-01-15')).toBe(300);
  });
});
