/**
 * Exactly-once rollups with real parts: a client that resends a batch, and a batch the rollup writer
 * receives again (Lambda redelivers everything after the lowest failed record), never change a count.
 * The redelivery is the stream's own records, read back from kinesalite and applied again by the real
 * writer core to the stack's DynamoDB Local; the failed first attempt is a fault injected into the
 * client (DynamoDB Local cannot be told to fail one write).
 */
import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { realTiming } from '../../lambdas/shared/retry.js';
import { applyRecords, type RollupDeps } from '../../lambdas/stats/rollup-core.js';
import { kinesisStreamEvent } from '../../local/event-source-mapping/kinesis-event.js';
import { silentLog } from '../helpers/factories.js';
import {
  eventually,
  givenAnAccount,
  localStack,
  postEvents,
  someEvents,
} from '../helpers/local-stack-client.js';
import { RecordedMetrics } from '../helpers/recorded-metrics.js';
import { getStats, stackDynamo, streamRecordsOf } from '../helpers/stats-client.js';

function writerDeps(dynamo: DynamoDBDocumentClient): RollupDeps {
  const stack = localStack();
  return {
    dynamo,
    tableName: stack.rollupsTableName,
    sqs: new SQSClient({ region: stack.region, endpoint: stack.sqsUrl }),
    deadLetterQueueUrl: stack.deadLetterQueueUrl,
    timing: realTiming,
    log: silentLog,
    metrics: new RecordedMetrics(),
    registry: new Map(),
  };
}

/** Makes every PutItem of a rollup sub-item of the hour bucket fail, as throttling would. */
function failingHourWrites(dynamo: DynamoDBDocumentClient): () => void {
  const name = 'fail-hour-rollup-writes';
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      // The hour bucket's label is `h<YYYY>-…`; the item may already be marshalled here.
      const item = JSON.stringify((args.input as { Item?: unknown }).Item ?? null);
      if (/#h\d{4}-/.test(item)) {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
          name: 'ThrottlingException',
        });
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return () => dynamo.middlewareStack.remove(name);
}

const summaryOf = async (account: { accountId: string; readKey: string }) =>
  getStats(`/v1/accounts/${account.accountId}/summary`, { window: 'last_24h' }, account.readKey);

describe('exactly-once rollups', () => {
  it('counts a batch a client sent three times once', async () => {
    // Given a client that resends its batch twice, then sends one more event
    const account = await givenAnAccount();
    const batch = someEvents(20);
    for (let attempt = 0; attempt < 3; attempt += 1)
      expect((await postEvents(account.writeKey, batch)).status).toBe(202);
    await postEvents(account.writeKey, someEvents(1, { type: 'sentinel' }));

    // Then, once the sentinel is counted, every event is counted once
    const summary = await eventually(
      () => summaryOf(account),
      (result) => result.status === 200 && result.body.totals_by_type?.sentinel === 1,
    );
    expect(summary.body.total_events).toBe(21);
  });

  it('changes nothing when the writer receives the stream records of a counted batch again', async () => {
    // Given a batch counted by the stack's rollup writer
    const account = await givenAnAccount();
    await postEvents(account.writeKey, someEvents(15));
    const before = await eventually(
      () => summaryOf(account),
      (result) => result.status === 200 && result.body.total_events >= 15,
    );
    const records = await streamRecordsOf(account.accountId);
    expect(records).toHaveLength(15);

    // When the same records are delivered again, twice
    const dynamo = stackDynamo();
    try {
      for (let delivery = 0; delivery < 2; delivery += 1) {
        const outcome = await applyRecords(records, writerDeps(dynamo), Date.now() + 20_000);
        expect(outcome.counts).toMatchObject({ done: 0, duplicate: 15, failed: 0 });
      }
    } finally {
      dynamo.destroy();
    }

    // Then the summary is the same (but for the instant it was answered at)
    const { from: _from, to: _to, ...after } = (await summaryOf(account)).body;
    const { from: _before, to: _beforeTo, ...counted } = before.body;
    expect(after).toEqual(counted);
  });

  it('applies a partly failed batch exactly once when it is redelivered from the lowest failure', async () => {
    // Given a fresh account's events as stream records of a shard the stack's writer does not read
    const account = await givenAnAccount();
    const now = new Date().toISOString();
    const streamRecords = Array.from({ length: 12 }, (_, index) => {
      const event = {
        event_id: `r-${randomUUID()}`,
        account_id: account.accountId,
        type: index % 2 ? 'click' : 'page_view',
        user_id: `u${index % 4}`,
        timestamp: now,
        received_at: now,
      };
      return {
        sequenceNumber: String(1000 + index).padStart(56, '0'),
        approximateArrivalTimestampMs: Date.now(),
        partitionKey: `${account.accountId}:${event.event_id}`,
        data: Buffer.from(JSON.stringify(event)),
      };
    });
    const records = kinesisStreamEvent(
      {
        region: localStack().region,
        streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/events',
        functionId: 'rollup-writer',
      },
      'shardId-000000000099',
      streamRecords,
    ).Records;
    const dynamo = stackDynamo();
    try {
      // When the first delivery fails to write the hour sub-item…
      const heal = failingHourWrites(dynamo);
      const first = await applyRecords(records, writerDeps(dynamo), Date.now() + 3_000);
      heal();
      const failed = first.response.batchItemFailures.map((failure) => failure.itemIdentifier).sort();
      expect(failed.length).toBeGreaterThan(0);
      // …and Lambda redelivers from the lowest failed record on, twice
      const redelivered = records.filter((record) => record.kinesis.sequenceNumber >= (failed[0] as string));
      const second = await applyRecords(redelivered, writerDeps(dynamo), Date.now() + 20_000);
      const third = await applyRecords(records, writerDeps(dynamo), Date.now() + 20_000);

      // Then every event is counted once, in every bucket
      expect(second.response.batchItemFailures).toEqual([]);
      expect(third.counts).toMatchObject({ done: 0, failed: 0 });
    } finally {
      dynamo.destroy();
    }
    const day = await getStats(
      `/v1/accounts/${account.accountId}/summary`,
      { date: now.slice(0, 10) },
      account.readKey,
    );
    const lastHour = await getStats(
      `/v1/accounts/${account.accountId}/summary`,
      { window: 'last_1h' },
      account.readKey,
    );
    expect(day.body).toMatchObject({
      total_events: 12,
      totals_by_type: { page_view: 6, click: 6 },
      unique_users: 4,
    });
    expect(lastHour.body.total_events).toBe(12);
  });
});
