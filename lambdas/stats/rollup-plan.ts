/**
 * The pure part of applying one shard's batch: which sub-items each record updates, which records
 * each sub-item has not applied yet (its sequence fence), and which record of each event must be
 * resolved against the dedupe markers.
 */
import { eventVersionKey, type StoredEvent } from '../shared/event-schema.js';
import { keyId } from './dynamo-batch.js';
import {
  type EventFacts,
  factsOf,
  isRetained,
  type RollupRecord,
  rollupKey,
  sequenceAfter,
  type TableKey,
} from './rollup-model.js';
import { type Bucket, bucketsOf } from './time-buckets.js';

/** One decoded stream record of the shard. */
export interface ShardRecord {
  sequenceNumber: string;
  /** `<shard>:<sequence>`: what a dedupe marker names. */
  recordId: string;
  event: StoredEvent;
  facts: EventFacts;
  /** `keyId`s of the sub-items it updates. */
  itemIds: string[];
}

/** A sub-item the batch touches, with its records in sequence order. */
export interface TouchedItem {
  id: string;
  key: TableKey;
  bucket: Bucket;
  accountId: string;
  records: ShardRecord[];
}

export interface BatchPlan {
  records: ShardRecord[];
  items: Map<string, TouchedItem>;
  /** Records none of whose buckets is still kept (older than every retention). */
  expired: ShardRecord[];
}

/** Sorts the records by sequence number and maps each to the retained sub-items it updates. */
export function planBatch(
  shardId: string,
  decoded: { sequenceNumber: string; event: StoredEvent }[],
  now: number,
): BatchPlan {
  const records = decoded
    .map(({ sequenceNumber, event }) => ({
      sequenceNumber,
      recordId: `${shardId}:${sequenceNumber}`,
      event,
      facts: factsOf(event),
      itemIds: [] as string[],
    }))
    .sort((a, b) => (sequenceAfter(a.sequenceNumber, b.sequenceNumber) ? 1 : -1));
  const items = new Map<string, TouchedItem>();
  const expired: ShardRecord[] = [];
  for (const record of records) {
    for (const bucket of bucketsOf(record.facts.at)) {
      if (!isRetained(bucket, now)) continue;
      const key = rollupKey(record.event.account_id, bucket, shardId);
      const id = keyId(key);
      let item = items.get(id);
      if (!item) {
        item = { id, key, bucket, accountId: record.event.account_id, records: [] };
        items.set(id, item);
      }
      item.records.push(record);
      record.itemIds.push(id);
    }
    if (record.itemIds.length === 0) expired.push(record);
  }
  return { records, items, expired };
}

/** The records of `item` that its stored state has not applied (sequence above its fence). */
export function pendingRecords(item: TouchedItem, stored: RollupRecord): ShardRecord[] {
  return item.records.filter((record) => sequenceAfter(record.sequenceNumber, stored.sequence));
}

export interface DedupePlan {
  /**
   * The first pending record of each version (timestamp) of each event, in sequence order: resolved
   * against the markers, which let one of an event's count it (`dedupe.ts`). Not only the first
   * record of the event: a marker released by a dead-lettered first version is claimed by that
   * version's redrive alone, which may come behind a later version in the batch.
   */
  candidates: ShardRecord[];
  /** Later pending records of a version already in the batch: duplicates whatever the marker says. */
  repeats: ShardRecord[];
}

/** Picks, among the records with something left to apply, the ones per event that may count it. */
export function planDedupe(pending: Iterable<ShardRecord>): DedupePlan {
  const byVersion = new Map<string, ShardRecord>();
  const repeats: ShardRecord[] = [];
  const sorted = [...new Set(pending)].sort((a, b) =>
    sequenceAfter(a.sequenceNumber, b.sequenceNumber) ? 1 : -1,
  );
  for (const record of sorted) {
    const version = eventVersionKey(record.event);
    if (byVersion.has(version)) repeats.push(record);
    else byVersion.set(version, record);
  }
  return { candidates: [...byVersion.values()], repeats };
}
