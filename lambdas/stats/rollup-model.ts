/**
 * The rollups table's entities, their keys and their contents. This module alone knows the layout
 * (see `README.md` beside it for the arithmetic of sizes, reads and write units):
 *
 * - rollup sub-item: `pk = R#<account>#<bucket>#<shard>`, `sk = R`. One per (account, time bucket,
 *   Kinesis shard), so each has ONE sequential writer (the shard's batch in flight). Holds a version
 *   (optimistic check), the shard sequence number it has applied up to (fence against redelivery), and
 *   the fixed-size rollup of its events: counts and values by type, a HyperLogLog of users, and
 *   heavy-hitter summaries of users and page-view paths.
 * - dedupe marker: `pk = E#<account>#<event_id>`, `sk = M`: which record first counted the event (fence
 *   against client resends), expiring after `MARKER_TTL_SECONDS`.
 * - shard registry: `pk = S#<account>`, `sk = S`: `shard:<id>` = the last day that shard wrote rollups
 *   of the account, so a reader knows which sub-items to get.
 * - applied log: `pk = A#<shard>`, `sk = <first sequence of a batch>`: what an invocation did not fully
 *   apply (its own module, `rollup-applied-log.ts`, owns that entity); crash journal: `pk =
 *   C#<shard>:<sequence>`, `sk = C` (`rollup-crash-journal.ts`).
 *
 * The account is length-prefixed (`12:acct_1234567`) so that no account id and event id can combine
 * into another's key. Buckets are `m2026-01-15T10:37`, `h2026-01-15T10`, `d2026-01-15`, `M2026-01` (UTC).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { StoredEvent } from '../shared/event-schema.js';
import { HeavyHitters, type HeavyHittersJson } from './sketches/heavy-hitters.js';
import { HyperLogLog, hashValue, type ValueHash } from './sketches/hyperloglog.js';
import { TypeCounts, type TypeCountsJson } from './sketches/type-counts.js';
import { type Bucket, DAY_MS, type Granularity, nextBucketStart } from './time-buckets.js';

/**
 * How long a dedupe marker lives, counted from when its event was first counted: the longest gap
 * between a client's first send and its resend that is still recognized (redelivered stream records
 * are fenced by sequence numbers instead, for as long as the rollup item exists).
 */
export const MARKER_TTL_SECONDS = 8 * 24 * 3600;
/** Minute buckets are kept 32 days after they end: windows are exact to the minute for 31 days back. */
export const MINUTE_RETENTION_MS = 32 * DAY_MS;
export const MINUTE_PRECISION_HORIZON_MS = 31 * DAY_MS;
/** Hour, day and month buckets are kept 400 days after they end; queries may reach 400 days back. */
export const ROLLUP_RETENTION_MS = 400 * DAY_MS;
export const DATA_HORIZON_MS = 400 * DAY_MS;

/**
 * Upper bound of a rollup sub-item, whatever the traffic (README.md): key under 0.6 KB, HyperLogLog at
 * most 16.5 KB, body (100 types with values, 2 x 100 counters of keys up to 256 bytes) under 72 KB.
 */
export const ROLLUP_ITEM_MAX_BYTES = 96 * 1024;

export interface TableKey {
  pk: string;
  sk: string;
}

const GRANULARITY_PREFIX: Record<Granularity, string> = { minute: 'm', hour: 'h', day: 'd', month: 'M' };
const LABEL_LENGTH: Record<Granularity, number> = { minute: 16, hour: 13, day: 10, month: 7 };

function scoped(accountId: string): string {
  return `${accountId.length}:${accountId}`;
}

/** `m2026-01-15T10:37`, `h2026-01-15T10`, `d2026-01-15` or `M2026-01`. */
export function bucketLabel(bucket: Bucket): string {
  const iso = new Date(bucket.start).toISOString();
  return `${GRANULARITY_PREFIX[bucket.granularity]}${iso.slice(0, LABEL_LENGTH[bucket.granularity])}`;
}

/** Key of the sub-item of `bucket` written by `shardId`. */
export function rollupKey(accountId: string, bucket: Bucket, shardId: string): TableKey {
  return { pk: `R#${scoped(accountId)}#${bucketLabel(bucket)}#${shardId}`, sk: 'R' };
}

/** Key of an event's dedupe marker. */
export function markerKey(accountId: string, eventId: string): TableKey {
  return { pk: `E#${scoped(accountId)}#${eventId}`, sk: 'M' };
}

/** Key of the account's shard registry. */
export function shardRegistryKey(accountId: string): TableKey {
  return { pk: `S#${scoped(accountId)}`, sk: 'S' };
}

/**
 * The marker item: `countedBy` names the record (`<shard>:<sequence>`) that counted the event, and
 * `timestamp` its version (an event's versions differ in timestamp, as the indexer's registry tells
 * them apart): when the counting record is dead-lettered, `countedBy` is removed and `timestamp` stays,
 * so only that version (its redrive) may count the event; a later version is a duplicate.
 */
export function markerItem(
  accountId: string,
  eventId: string,
  countedBy: string,
  now: number,
  timestamp?: string,
) {
  return {
    ...markerKey(accountId, eventId),
    countedBy,
    ...(timestamp !== undefined ? { timestamp } : {}),
    expiresAt: Math.floor(now / 1000) + MARKER_TTL_SECONDS,
  };
}

/** Epoch seconds at which a bucket's items expire (DynamoDB TTL). */
export function expiresAtOf(bucket: Bucket): number {
  const retention = bucket.granularity === 'minute' ? MINUTE_RETENTION_MS : ROLLUP_RETENTION_MS;
  return Math.floor((nextBucketStart(bucket.start, bucket.granularity) + retention) / 1000);
}

/** Whether a bucket is still kept at `now` (an event backfilled past it updates the coarser ones only). */
export function isRetained(bucket: Bucket, now: number): boolean {
  return expiresAtOf(bucket) * 1000 > now;
}

/** What one event contributes, computed once for all the buckets it updates. */
export interface EventFacts {
  at: number;
  type: string;
  value?: number;
  /** user_id, else anonymous_id: the identity of unique and top users. */
  user?: string;
  userHash?: ValueHash;
  /** Set for page views only: top paths are page views. */
  path?: string;
}

export function factsOf(event: StoredEvent): EventFacts {
  const user = event.user_id ?? event.anonymous_id;
  return {
    at: Date.parse(event.timestamp),
    type: event.type,
    value: event.value,
    user,
    userHash: user === undefined ? undefined : hashValue(user),
    path: event.type === 'page_view' ? event.path : undefined,
  };
}

/** The rollup of a set of events: fixed maximum size, mergeable with any other. */
export class RollupState {
  constructor(
    readonly types = new TypeCounts(),
    readonly users = new HyperLogLog(),
    readonly topUsers = new HeavyHitters(),
    readonly topPaths = new HeavyHitters(),
  ) {}

  add(facts: EventFacts): this {
    this.types.add(facts.type, facts.value);
    if (facts.user !== undefined && facts.userHash) {
      this.users.addHash(facts.userHash);
      this.topUsers.add(facts.user);
    }
    if (facts.path !== undefined) this.topPaths.add(facts.path);
    return this;
  }

  merge(other: RollupState): this {
    this.types.merge(other.types);
    this.users.merge(other.users);
    this.topUsers.merge(other.topUsers);
    this.topPaths.merge(other.topPaths);
    return this;
  }

  total(): number {
    return this.types.total();
  }
}

interface BodyJson {
  t: TypeCountsJson;
  u: HeavyHittersJson;
  p: HeavyHittersJson;
}

/** A stored sub-item: its state and the fences of its single writer. */
export interface RollupRecord {
  key: TableKey;
  bucket: Bucket;
  /** 0 for an item not written yet. */
  version: number;
  /** Highest shard sequence number applied; '' for none. */
  sequence: string;
  state: RollupState;
}

/** The item to put for a record (the version is the one being written). */
export function toItem(record: RollupRecord): Record<string, unknown> {
  const body: BodyJson = {
    t: record.state.types.toJSON(),
    u: record.state.topUsers.toJSON(),
    p: record.state.topPaths.toJSON(),
  };
  return {
    ...record.key,
    v: record.version,
    seq: record.sequence,
    n: record.state.total(),
    hll: record.state.users.serialize(),
    body: deflateRawSync(JSON.stringify(body)),
    expiresAt: expiresAtOf(record.bucket),
  };
}

/** The state stored in an item. */
export function stateOf(item: Record<string, unknown>): RollupState {
  const body = JSON.parse(inflateRawSync(asBytes(item.body, 'body')).toString('utf8')) as BodyJson;
  return new RollupState(
    TypeCounts.fromJSON(body.t),
    HyperLogLog.deserialize(asBytes(item.hll, 'hll')),
    HeavyHitters.fromJSON(body.u),
    HeavyHitters.fromJSON(body.p),
  );
}

/** Reads a stored sub-item back (or a fresh one when `item` is undefined). */
export function fromItem(
  key: TableKey,
  bucket: Bucket,
  item: Record<string, unknown> | undefined,
): RollupRecord {
  if (!item) return { key, bucket, version: 0, sequence: '', state: new RollupState() };
  return {
    key,
    bucket,
    version: Number(item.v ?? 0),
    sequence: typeof item.seq === 'string' ? item.seq : '',
    state: stateOf(item),
  };
}

function asBytes(value: unknown, name: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new Error(`rollup item attribute ${name} is not binary`);
}

/** Kinesis sequence numbers are decimal strings of up to 128 digits: compare them as integers. */
export function sequenceAfter(sequence: string, than: string): boolean {
  if (than === '') return true;
  return BigInt(sequence) > BigInt(than);
}

const SHARD_ATTRIBUTE_PREFIX = 'shard:';

/** The registry update recording that `shardId` wrote rollups of the account on `day` (`YYYY-MM-DD`). */
export function shardRegistryUpdate(accountId: string, shardId: string, day: string) {
  return {
    Key: shardRegistryKey(accountId),
    UpdateExpression: 'SET #shard = :day',
    ExpressionAttributeNames: { '#shard': `${SHARD_ATTRIBUTE_PREFIX}${shardId}` },
    ExpressionAttributeValues: { ':day': day },
  };
}

/**
 * The shards that may hold sub-items of buckets starting at or after `from`: a shard writes a bucket no
 * earlier than the bucket's start minus the accepted clock skew, so a shard whose last write day ended
 * before that wrote nothing there.
 */
export function shardsWritingSince(
  registry: Record<string, unknown> | undefined,
  from: number,
  skewMs: number,
) {
  const shards: string[] = [];
  for (const [name, day] of Object.entries(registry ?? {})) {
    if (!name.startsWith(SHARD_ATTRIBUTE_PREFIX) || typeof day !== 'string') continue;
    if (Date.parse(`${day}T00:00:00Z`) + DAY_MS >= from - skewMs)
      shards.push(name.slice(SHARD_ATTRIBUTE_PREFIX.length));
  }
  return shards.sort();
}
