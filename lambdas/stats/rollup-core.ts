/**
 * Rollup writer core: applies stream events to the per-account rollups exactly once.
 *
 * `ADD` is atomic but not idempotent, and Lambda redelivers everything after the lowest failed
 * record, so each increment is fenced: per group of events, ONE TransactWriteItems holds a conditional
 * Put of every event's dedupe marker (`attribute_not_exists`) plus ONE summed Update per affected
 * rollup item (a transaction may not touch an item twice). Either all of it commits or none of it.
 * When markers already exist (a redelivery, or a client resending an event), the transaction is
 * cancelled with `ConditionalCheckFailed` on those markers; those events are dropped as duplicates
 * and the transaction is retried with the rest.
 */
import { type CancellationReason, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { forEachWithConcurrency } from '../shared/concurrency.js';
import { type DeadLetter, sendDeadLetters, undecodableLetter } from '../shared/dead-letter.js';
import { eventKey, type StoredEvent } from '../shared/event-schema.js';
import { batchResponse, decodeRecord, type KinesisStreamBatchResponse } from '../shared/kinesis-records.js';
import type { Log } from '../shared/logger.js';
import { retryPending, type Timing } from '../shared/retry.js';
import { bucketOf, incrementsFor, markerItem, toUpdate } from './rollup-model.js';

/** DynamoDB's limit of items per transaction. */
export const MAX_TRANSACTION_ITEMS = 100;
/** Accounts applied in parallel; one account's groups run in order. */
const ACCOUNT_CONCURRENCY = 4;

export interface RollupDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  timing: Timing;
  log: Log;
}

export interface RollupCounts {
  applied: number;
  duplicates: number;
  deadLettered: number;
  failed: number;
}

export interface RollupOutcome {
  response: KinesisStreamBatchResponse;
  counts: RollupCounts;
}

interface Pending {
  sequenceNumber: string;
  event: StoredEvent;
}

/** Applies a batch of stream records; `deadline` (epoch ms) bounds the retries. */
export async function applyRecords(
  records: KinesisStreamRecord[],
  deps: RollupDeps,
  deadline: number,
): Promise<RollupOutcome> {
  const counts: RollupCounts = { applied: 0, duplicates: 0, deadLettered: 0, failed: 0 };
  const letters: DeadLetter[] = [];
  const failures: string[] = [];
  const byAccount = new Map<string, Pending[]>();
  const seen = new Set<string>();
  const nowIso = () => new Date(deps.timing.now()).toISOString();

  for (const record of records) {
    const decoded = decodeRecord(record);
    if (!decoded.ok) {
      letters.push(undecodableLetter('rollup-writer', decoded, nowIso()));
      continue;
    }
    // The same event twice in one batch would be two operations on one marker in one transaction.
    const key = eventKey(decoded.event);
    if (seen.has(key)) {
      counts.duplicates += 1;
      continue;
    }
    seen.add(key);
    const group = byAccount.get(decoded.event.account_id) ?? [];
    group.push({ sequenceNumber: decoded.sequenceNumber, event: decoded.event });
    byAccount.set(decoded.event.account_id, group);
  }

  await forEachWithConcurrency([...byAccount.values()], ACCOUNT_CONCURRENCY, async (accountEvents) => {
    for (const group of transactionGroups(accountEvents)) {
      const outcome = await applyGroup(group, deps, deadline);
      counts.applied += outcome.applied;
      counts.duplicates += outcome.duplicates;
      failures.push(...outcome.transient.map((item) => item.sequenceNumber));
      for (const item of outcome.permanent) {
        letters.push({
          source: 'rollup-writer',
          reason: outcome.permanentReason ?? 'rejected by DynamoDB',
          sequenceNumber: item.sequenceNumber,
          failedAt: nowIso(),
          event: item.event,
        });
      }
    }
  });

  const notDeadLettered = await sendDeadLetters(deps.sqs, deps.deadLetterQueueUrl, letters, deps.log);
  counts.deadLettered = letters.length - notDeadLettered.length;
  failures.push(...notDeadLettered);
  counts.failed = new Set(failures).size;
  deps.log.info('rollups applied', { records: records.length, ...counts });
  return { response: batchResponse(failures), counts };
}

/**
 * Splits one account's events into groups whose transaction stays within the item limit: one marker
 * per event plus one update per distinct hour and day.
 */
export function transactionGroups(events: Pending[]): Pending[][] {
  const groups: Pending[][] = [];
  let current: Pending[] = [];
  let buckets = new Set<string>();
  for (const item of events) {
    const hour = `H#${bucketOf(item.event.timestamp, 'hour')}`;
    const day = `D#${bucketOf(item.event.timestamp, 'day')}`;
    const added = (buckets.has(hour) ? 0 : 1) + (buckets.has(day) ? 0 : 1);
    if (current.length > 0 && current.length + 1 + buckets.size + added > MAX_TRANSACTION_ITEMS) {
      groups.push(current);
      current = [];
      buckets = new Set();
    }
    current.push(item);
    buckets.add(hour);
    buckets.add(day);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

interface GroupOutcome {
  applied: number;
  duplicates: number;
  transient: Pending[];
  permanent: Pending[];
  permanentReason?: string;
}

/** Applies one group in one transaction, dropping duplicates and retrying transient cancellations. */
async function applyGroup(group: Pending[], deps: RollupDeps, deadline: number): Promise<GroupOutcome> {
  const outcome: GroupOutcome = { applied: 0, duplicates: 0, transient: [], permanent: [] };
  const { remaining } = await retryPending(
    group,
    async (pending) => {
      const now = new Date(deps.timing.now());
      const increments = incrementsFor(pending.map((item) => item.event));
      try {
        await deps.dynamo.send(
          new TransactWriteCommand({
            TransactItems: [
              ...pending.map((item) => ({
                Put: {
                  TableName: deps.tableName,
                  Item: markerItem(item.event, now),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              })),
              ...increments.map((increment) => ({
                Update: { TableName: deps.tableName, ...toUpdate(increment) },
              })),
            ],
          }),
        );
        outcome.applied += pending.length;
        return [];
      } catch (error) {
        if (error instanceof TransactionCanceledException) {
          const duplicate = duplicateMarkers(error.CancellationReasons ?? [], pending.length);
          if (duplicate.size > 0) {
            outcome.duplicates += duplicate.size;
            // The others were not applied either (all or nothing): retry them without the duplicates.
            return pending.filter((_, index) => !duplicate.has(index));
          }
          deps.log.warn('rollup transaction cancelled, retrying', {
            reasons: (error.CancellationReasons ?? []).map((reason) => reason.Code),
          });
          return pending;
        }
        if (isPermanent(error)) {
          outcome.permanent.push(...pending);
          outcome.permanentReason = `${(error as Error).name}: ${(error as Error).message}`;
          deps.log.error('rollup transaction rejected, dead-lettering its events', { error });
          return [];
        }
        deps.log.warn('rollup transaction failed, retrying', { error });
        return pending;
      }
    },
    { deadline, timing: deps.timing },
  );
  outcome.transient = remaining;
  return outcome;
}

/** Indexes of the events whose marker already existed. */
function duplicateMarkers(reasons: CancellationReason[], markerCount: number): Set<number> {
  const duplicates = new Set<number>();
  reasons.slice(0, markerCount).forEach((reason, index) => {
    if (reason.Code === 'ConditionalCheckFailed') duplicates.add(index);
  });
  return duplicates;
}

/**
 * A validation error (e.g. an item grown past 400 KB) will fail the same way on every retry, and
 * retrying it would hold back the shard.
 */
function isPermanent(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationException';
}
