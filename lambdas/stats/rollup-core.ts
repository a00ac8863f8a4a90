/**
 * Rollup writer core: applies a Kinesis batch to the rollups exactly once, in one pass per shard:
 *
 * 1. plan: each record updates the minute, hour, day and month sub-items of its account, bucket and
 *    shard that are still retained (`rollup-plan.ts`);
 * 2. read those sub-items (BatchGetItem); a record at or below a sub-item's sequence fence was already
 *    applied there by an earlier delivery of this shard and is skipped (redelivery is exactly-once);
 * 3. resolve the remaining records against the dedupe markers (`dedupe.ts`): only the record that
 *    claimed an event's marker counts it (client resends are exactly-once);
 * 4. record the shard in the account's registry (readers find the sub-items from it);
 * 5. merge each sub-item's counted records into its state and put it with a version check, advancing
 *    its fence. A conflict (a zombie invocation of the same shard) re-reads and re-merges.
 *
 * A sub-item is written with all of its pending records or not at all; the records of a sub-item that
 * could not be written are reported as batch item failures, so Lambda redelivers from the lowest and
 * the fences skip what was applied.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { forEachWithConcurrency } from '../shared/concurrency.js';
import { type DeadLetter, sendDeadLetters, undecodableLetter } from '../shared/dead-letter.js';
import type { StoredEvent } from '../shared/event-schema.js';
import { batchResponse, decodeRecord, type KinesisStreamBatchResponse } from '../shared/kinesis-records.js';
import type { Log } from '../shared/logger.js';
import type { Timing } from '../shared/retry.js';
import { type Resolution, resolveCandidates } from './dedupe.js';
import { type BatchOptions, batchGetAll } from './dynamo-batch.js';
import { writeItem } from './rollup-item-writer.js';
import { fromItem, type RollupRecord } from './rollup-model.js';
import {
  type BatchPlan,
  pendingRecords,
  planBatch,
  planDedupe,
  type ShardRecord,
  type TouchedItem,
} from './rollup-plan.js';
import { registerShard, type ShardRegistryCache } from './shard-registry.js';

export type { ShardRegistryCache };

/** Sub-items written in parallel. */
const WRITE_CONCURRENCY = 16;

export interface RollupDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  timing: Timing;
  log: Log;
  /** Kept across invocations at module scope, so the registry is written about once a day per shard. */
  registry: ShardRegistryCache;
}

export interface RollupCounts {
  /** Records counted in their rollups by this invocation. */
  applied: number;
  /** Copies of an event already counted (client resends), or repeated within the batch. */
  duplicates: number;
  /** Records an earlier delivery of the shard had already applied (redelivery). */
  alreadyApplied: number;
  /** Records older than every bucket's retention (ingest's horizon keeps them out). */
  expired: number;
  deadLettered: number;
  failed: number;
}

export interface RollupOutcome {
  response: KinesisStreamBatchResponse;
  counts: RollupCounts;
}

/** The shard a record came from: Lambda's Kinesis `eventID` is `<shardId>:<sequenceNumber>`. */
export function shardOf(record: KinesisStreamRecord): string {
  const separator = record.eventID.indexOf(':');
  if (separator <= 0) throw new Error(`Kinesis record eventID "${record.eventID}" names no shard`);
  return record.eventID.slice(0, separator);
}

/** Applies a batch of stream records; `deadline` (epoch ms) bounds the retries. */
export async function applyRecords(
  records: KinesisStreamRecord[],
  deps: RollupDeps,
  deadline: number,
): Promise<RollupOutcome> {
  const counts: RollupCounts = {
    applied: 0,
    duplicates: 0,
    alreadyApplied: 0,
    expired: 0,
    deadLettered: 0,
    failed: 0,
  };
  const letters: DeadLetter[] = [];
  const failures: string[] = [];
  const byShard = new Map<string, { sequenceNumber: string; event: StoredEvent }[]>();
  for (const record of records) {
    const decoded = decodeRecord(record);
    if (!decoded.ok) {
      letters.push(undecodableLetter('rollup-writer', decoded, new Date(deps.timing.now()).toISOString()));
      continue;
    }
    const shard = shardOf(record);
    const group = byShard.get(shard) ?? [];
    group.push(decoded);
    byShard.set(shard, group);
  }
  for (const [shardId, decoded] of byShard) {
    failures.push(...(await applyShardBatch(shardId, decoded, deps, deadline, counts)));
  }
  const notDeadLettered = await sendDeadLetters(deps.sqs, deps.deadLetterQueueUrl, letters, deps.log);
  counts.deadLettered = letters.length - notDeadLettered.length;
  failures.push(...notDeadLettered);
  counts.failed = new Set(failures).size;
  deps.log.info('rollups applied', { records: records.length, shards: byShard.size, ...counts });
  return { response: batchResponse(failures), counts };
}

/** Applies one shard's records; returns the sequence numbers that must be redelivered. */
async function applyShardBatch(
  shardId: string,
  decoded: { sequenceNumber: string; event: StoredEvent }[],
  deps: RollupDeps,
  deadline: number,
  counts: RollupCounts,
): Promise<string[]> {
  const now = deps.timing.now();
  const options: BatchOptions = {
    dynamo: deps.dynamo,
    tableName: deps.tableName,
    timing: deps.timing,
    deadline,
  };
  const plan = planBatch(shardId, decoded, now);
  counts.expired += plan.expired.length;
  if (plan.expired.length > 0)
    deps.log.warn('records older than every rollup retention', { count: plan.expired.length });
  const failedItems = new Set<string>();

  const stored = new Map<string, RollupRecord>();
  try {
    const loaded = await batchGetAll(
      [...plan.items.values()].map((item) => item.key),
      { ...options, consistent: true },
    );
    const unread = new Set(loaded.unprocessed.map((key) => `${key.pk}|${key.sk}`));
    for (const item of plan.items.values()) {
      if (unread.has(item.id)) failedItems.add(item.id);
      else stored.set(item.id, fromItem(item.key, item.bucket, loaded.items.get(item.id)));
    }
  } catch (error) {
    deps.log.warn('rollup items could not be read, the batch will be redelivered', { error });
    return plan.records.map((record) => record.sequenceNumber);
  }

  const resolutions = await resolveRecords(plan, stored, failedItems, deps, options, now);
  const counting = plan.records.filter((record) => resolutions.get(record.recordId) === 'count');
  const failedAccounts = await registerShard(
    shardId,
    new Set(counting.map((record) => record.event.account_id)),
    deps,
    now,
  );

  await forEachWithConcurrency([...plan.items.values()], WRITE_CONCURRENCY, async (item) => {
    const record = stored.get(item.id);
    if (!record) return;
    const pending = pendingRecords(item, record);
    const blocked =
      pending.some((r) => resolutions.get(r.recordId) === 'unknown') || failedAccounts.has(item.accountId);
    if (blocked || !(await writeItem(item, record, resolutions, deps, deadline))) failedItems.add(item.id);
  });

  const failed = new Set<ShardRecord>();
  for (const id of failedItems) {
    const item = plan.items.get(id) as TouchedItem;
    const record = stored.get(id);
    for (const r of record ? pendingRecords(item, record) : item.records) failed.add(r);
  }
  for (const record of plan.records) {
    const resolution = resolutions.get(record.recordId);
    if (resolution === 'count' && !failed.has(record)) counts.applied += 1;
    else if (resolution === 'duplicate') counts.duplicates += 1;
    else if (resolution === undefined && record.itemIds.length > 0 && !failed.has(record))
      counts.alreadyApplied += 1;
  }
  if (failed.size > 0)
    deps.log.warn('rollup items not written, records will be redelivered', { records: failed.size });
  return [...failed].map((record) => record.sequenceNumber);
}

/** `count`, `duplicate` or `unknown` per record that some readable sub-item has not applied yet. */
async function resolveRecords(
  plan: BatchPlan,
  stored: Map<string, RollupRecord>,
  failedItems: Set<string>,
  deps: RollupDeps,
  options: BatchOptions,
  now: number,
): Promise<Map<string, Resolution>> {
  const pending = [...plan.items.values()].flatMap((item) => {
    const record = stored.get(item.id);
    return record && !failedItems.has(item.id) ? pendingRecords(item, record) : [];
  });
  const { candidates, repeats } = planDedupe(pending);
  let resolutions: Map<string, Resolution>;
  try {
    resolutions = await resolveCandidates(
      candidates.map((record) => ({
        accountId: record.event.account_id,
        eventId: record.event.event_id,
        recordId: record.recordId,
      })),
      { ...options, now },
    );
  } catch (error) {
    deps.log.warn('dedupe markers could not be read or written, the records will be redelivered', { error });
    resolutions = new Map(candidates.map((record) => [record.recordId, 'unknown' as const]));
  }
  for (const record of repeats) resolutions.set(record.recordId, 'duplicate');
  return resolutions;
}
