/**
 * Applies one shard's events to the rollups exactly once, and says per event what came of it:
 *
 * 1. plan: each record updates the minute, hour, day and month sub-items of its account, bucket and
 *    shard that are still retained (`rollup-plan.ts`);
 * 2. read those sub-items (BatchGetItem); a record at or below a sub-item's sequence fence was already
 *    applied there by an earlier delivery of this shard and is skipped (redelivery is exactly-once);
 * 3. resolve the remaining records against the dedupe markers (`dedupe.ts`): only the record that
 *    claimed an event's marker counts it (client resends are exactly-once), or a copy fills what the
 *    counting record left unapplied;
 * 4. record the shard in the account's registry (readers find the sub-items from it);
 * 5. merge each sub-item's counted records into its state and put it with a version check, advancing
 *    its fence (`rollup-item-writer.ts`).
 *
 * A fence says every record of the shard up to it is applied in the sub-item, so it must never pass a
 * record still waiting to be applied there: when bisecting applies a later half after an earlier half's
 * record failed for a while (throttled), the sub-items that record lacks are not written by later
 * records (`behind`); they wait with it, and are retried together.
 *
 * A sub-item is written with all of its pending records or not at all; the records of a sub-item that
 * could not be written take the classified outcome of its failure. A failure of the whole group (a
 * read or the markers) is thrown as a `GroupFailure`, for the skeleton to retry or bisect. No registry
 * update or sub-item write starts after the invocation's deadline: a batch of many accounts or buckets
 * on a throttled table would otherwise run into Lambda's timeout and fail as a whole; what is left
 * waits (transient).
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachWithConcurrency } from '../shared/concurrency.js';
import type { Log } from '../shared/logger.js';
import type { Timing } from '../shared/retry.js';
import { datedAt, retainedAt } from '../shared/stream-clock.js';
import type { BatchEvent, EventOutcome } from '../shared/stream-consumer.js';
import { type Resolution, resolveCandidates } from './dedupe.js';
import { type BatchOptions, batchGetAll } from './dynamo-batch.js';
import { classifyDynamoError, GroupFailure } from './dynamo-errors.js';
import { writeItem } from './rollup-item-writer.js';
import { bucketLabel, fromItem, type RollupRecord, sequenceAfter } from './rollup-model.js';
import { type BatchPlan, pendingRecords, planBatch, planDedupe, type TouchedItem } from './rollup-plan.js';
import { registerShard, type ShardRegistryCache } from './shard-registry.js';

/** Sub-items written in parallel. */
const WRITE_CONCURRENCY = 16;

export interface ShardApplyDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  timing: Timing;
  log: Log;
  /** Kept across invocations at module scope, so the registry is written about once a day per shard. */
  registry: ShardRegistryCache;
}

/** What applying a shard's events came to. */
export interface ShardApplication {
  /** By record id. */
  outcomes: Map<string, EventOutcome>;
  /** Record id -> labels of the buckets now known to hold it (or not to need it). */
  held: Map<string, Set<string>>;
  /** Record id -> labels of every retained bucket it updates. */
  buckets: Map<string, string[]>;
  /** Record id -> what it claimed of its event's marker: the marker (`count`) or its `filledBy`. */
  claims: Map<string, 'count' | 'fill'>;
}

/** A record of the shard, earlier in this invocation, still to be applied in the buckets it lacks. */
export interface WaitingRecord {
  event: BatchEvent;
  /** Labels of the buckets it is applied in already. */
  held: Set<string>;
}

/**
 * Applies `events` of shard `shardId`, never past a record of `behind` in a sub-item it lacks; throws a
 * `GroupFailure` when the group fails as a whole.
 */
export async function applyShard(
  shardId: string,
  events: BatchEvent[],
  deps: ShardApplyDeps,
  deadline: number,
  behind: WaitingRecord[] = [],
): Promise<ShardApplication> {
  const arrivals = events.map((event) => event.arrivedAt);
  // Dates the markers: a clock stepped back must not end an event's dedupe window before it began.
  const clock = deps.timing.now();
  const now = datedAt(clock, arrivals);
  const keptAt = retainedAt(clock, arrivals);
  const waitingFrom = lowestWaiting(shardId, behind, keptAt);
  const options: BatchOptions = {
    dynamo: deps.dynamo,
    tableName: deps.tableName,
    timing: deps.timing,
    deadline,
  };
  const plan = planBatch(shardId, events, keptAt);
  const result: ShardApplication = {
    outcomes: new Map(),
    held: new Map(),
    buckets: new Map(),
    claims: new Map(),
  };
  for (const record of plan.records) {
    result.held.set(record.recordId, new Set());
    result.buckets.set(
      record.recordId,
      record.itemIds.map((id) => bucketLabel((plan.items.get(id) as TouchedItem).bucket)),
    );
  }
  if (plan.expired.length > 0) {
    deps.log.warn('records older than every rollup retention', { count: plan.expired.length });
    for (const record of plan.expired) result.outcomes.set(record.recordId, { kind: 'done' });
  }

  const failures = new Map<string, EventOutcome>();
  const stored = new Map<string, RollupRecord>();
  try {
    const loaded = await batchGetAll(
      [...plan.items.values()].map((item) => item.key),
      { ...options, consistent: true },
    );
    const unread = new Set(loaded.unprocessed.map((key) => `${key.pk}|${key.sk}`));
    for (const item of plan.items.values()) {
      if (unread.has(item.id))
        failures.set(item.id, { kind: 'transient', reason: 'rollup item not read (throttled)' });
      else stored.set(item.id, fromItem(item.key, item.bucket, loaded.items.get(item.id)));
    }
  } catch (error) {
    throw new GroupFailure(classifyDynamoError(error, 'rollup items read'));
  }

  const resolutions = await resolveRecords(plan, stored, options, now, deps.log);
  for (const [recordId, resolution] of resolutions) {
    if (resolution === 'count') result.claims.set(recordId, 'count');
    else if (typeof resolution === 'object') result.claims.set(recordId, 'fill');
  }
  const counting = plan.records.filter((record) => result.claims.has(record.recordId));
  // Readers find a bucket's shards by the day registered, trusting that an event's timestamp lies at
  // most the accepted skew after that day: after its receipt, stamped by ingest's clock, which may be
  // on the next day while this one is still on the day before.
  const receivedBy = Math.max(now, ...counting.map((record) => Date.parse(record.event.received_at)));
  const failedAccounts = await registerShard(
    shardId,
    new Set(counting.map((record) => record.event.account_id)),
    deps,
    receivedBy,
    deadline,
  );

  await forEachWithConcurrency([...plan.items.values()], WRITE_CONCURRENCY, async (item) => {
    const record = stored.get(item.id);
    if (!record) return;
    const pending = pendingRecords(item, record);
    const waiting = waitingFrom.get(item.id);
    if (pending.some((r) => resolutions.get(r.recordId) === 'unknown')) {
      failures.set(item.id, { kind: 'transient', reason: 'dedupe marker not resolved' });
    } else if (waiting !== undefined && pending.some((r) => sequenceAfter(r.sequenceNumber, waiting))) {
      failures.set(item.id, {
        kind: 'transient',
        reason: 'an earlier record of the rollup item is still to be applied',
      });
    } else if (pending.length > 0 && failedAccounts.has(item.accountId)) {
      failures.set(item.id, { kind: 'transient', reason: 'shard registry not updated' });
    } else if (pending.length > 0 && deps.timing.now() >= deadline) {
      // A batch of many accounts or buckets on a slow (throttled) table: report what is left rather
      // than run on until Lambda's timeout fails the whole batch.
      failures.set(item.id, { kind: 'transient', reason: 'invocation deadline reached before the write' });
    } else {
      const write = await writeItem(item, record, resolutions, deps);
      if (!write.ok) failures.set(item.id, write.outcome);
    }
  });

  for (const item of plan.items.values()) {
    const label = bucketLabel(item.bucket);
    const record = stored.get(item.id);
    const failure = failures.get(item.id);
    for (const r of item.records) {
      const alreadyThere = record !== undefined && !sequenceAfter(r.sequenceNumber, record.sequence);
      if (alreadyThere || !failure) result.held.get(r.recordId)?.add(label);
      else result.outcomes.set(r.recordId, worse(result.outcomes.get(r.recordId), failure));
    }
  }
  for (const record of plan.records) {
    if (result.outcomes.has(record.recordId)) continue;
    const counted = result.claims.has(record.recordId);
    result.outcomes.set(record.recordId, counted ? { kind: 'done' } : { kind: 'duplicate' });
  }
  return result;
}

/** Per sub-item id, the lowest sequence number of a waiting record that lacks it. */
function lowestWaiting(shardId: string, behind: WaitingRecord[], now: number): Map<string, string> {
  const lowest = new Map<string, string>();
  if (behind.length === 0) return lowest;
  const held = new Map(behind.map((waiting) => [waiting.event.recordId, waiting.held]));
  const plan = planBatch(
    shardId,
    behind.map((waiting) => waiting.event),
    now,
  );
  for (const record of plan.records) {
    for (const id of record.itemIds) {
      const label = bucketLabel((plan.items.get(id) as TouchedItem).bucket);
      if (held.get(record.recordId)?.has(label)) continue;
      const current = lowest.get(id);
      if (current === undefined || sequenceAfter(current, record.sequenceNumber))
        lowest.set(id, record.sequenceNumber);
    }
  }
  return lowest;
}

/** Of two failures of one record, the one that bisecting can act on. */
function worse(a: EventOutcome | undefined, b: EventOutcome): EventOutcome {
  if (!a) return b;
  return a.kind === 'group-failed' ? a : b;
}

/** `count`, `fill`, `duplicate` or `unknown` per record that some readable sub-item has not applied yet. */
async function resolveRecords(
  plan: BatchPlan,
  stored: Map<string, RollupRecord>,
  options: BatchOptions,
  now: number,
  log: Log,
): Promise<Map<string, Resolution>> {
  const pending = [...plan.items.values()].flatMap((item) => {
    const record = stored.get(item.id);
    return record ? pendingRecords(item, record) : [];
  });
  const { candidates, repeats } = planDedupe(pending);
  let resolutions: Map<string, Resolution>;
  try {
    resolutions = await resolveCandidates(
      candidates.map((record) => ({
        accountId: record.event.account_id,
        eventId: record.event.event_id,
        recordId: record.recordId,
        timestamp: record.event.timestamp,
      })),
      { ...options, now },
    );
  } catch (error) {
    const outcome = classifyDynamoError(error, 'dedupe markers');
    if (outcome.kind !== 'transient') throw new GroupFailure(outcome);
    log.warn('dedupe markers could not be read or written, the records will be retried', {
      reason: outcome.reason,
    });
    resolutions = new Map(candidates.map((record) => [record.recordId, 'unknown' as const]));
  }
  for (const record of repeats) resolutions.set(record.recordId, 'duplicate');
  return resolutions;
}
