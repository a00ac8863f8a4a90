/**
 * Reads the rollup sub-items of a set of buckets: the account's shard registry (one GetItem) and every
 * (bucket, shard) sub-item, in BatchGetItem requests of 100 keys sent in parallel.
 *
 * With a warm cache (`rollup-cache.ts`) the shards last listed are read at the same time as the
 * registry (one round trip instead of two), and when sub-items of the window are cached, only the
 * versions are read first and only the changed sub-items in full.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../shared/http.js';
import { realTiming, type Timing } from '../shared/retry.js';
import { type BatchGetResult, batchGetAll, keyId } from './dynamo-batch.js';
import type { RollupStateCache } from './rollup-cache.js';
import {
  RollupState,
  rollupKey,
  shardRegistryKey,
  shardsWritingSince,
  stateOf,
  type TableKey,
} from './rollup-model.js';
import type { Bucket } from './time-buckets.js';

export interface RollupReadDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  /** The accepted clock skew: a shard may write a bucket this long before it starts. */
  maxFutureMs: number;
  /** Decoded states and registries kept by a warm function; none reads everything every time. */
  cache?: RollupStateCache;
  timing?: Timing;
  /** Time allowed for retrying throttled reads. */
  readBudgetMs?: number;
}

/**
 * Buckets read, and held decoded, at once by `readBucketSlices`: a request's memory is this many
 * sub-items times the shards. A 1,440-minute series over 4 shards read whole was 5,760 sub-items,
 * ~700 MB of decoded states at their largest (measured), in a 256 MB function.
 */
export const READ_SLICE_BUCKETS = 120;

/** The state of one sub-item (one bucket, one shard). */
export interface BucketRollup {
  bucket: Bucket;
  state: RollupState;
}

/**
 * The sub-items of `buckets` that exist. Throws a 503 when DynamoDB left keys unread within the
 * budget, rather than answer with part of the data. The states may be shared with the cache: merge
 * them into a new state, never into one of them.
 */
export async function readBuckets(
  accountId: string,
  buckets: Bucket[],
  deps: RollupReadDeps,
): Promise<BucketRollup[]> {
  if (buckets.length === 0) return [];
  const earliest = Math.min(...buckets.map((bucket) => bucket.start));
  const known = deps.cache?.shards.get(accountId) ?? [];
  const registryRead = deps.dynamo.send(
    new GetCommand({ TableName: deps.tableName, Key: shardRegistryKey(accountId), ConsistentRead: true }),
  );
  const speculative = readShards(accountId, buckets, known, deps);
  const { Item: registry } = await registryRead;
  deps.cache?.shards.set(accountId, shardsWritingSince(registry, 0, 0));
  const shards = shardsWritingSince(registry, earliest, deps.maxFutureMs);
  const missed = shards.filter((shard) => !known.includes(shard));
  const [first, second] = await Promise.all([speculative, readShards(accountId, buckets, missed, deps)]);
  return [...first, ...second].filter((rollup) => shards.includes(rollup.shard));
}

/** `readBuckets` a slice at a time: reduce each slice before the next is read, and hold no more. */
export async function* readBucketSlices(
  accountId: string,
  buckets: Bucket[],
  deps: RollupReadDeps,
): AsyncGenerator<{ buckets: Bucket[]; rollups: BucketRollup[] }> {
  for (let first = 0; first < buckets.length; first += READ_SLICE_BUCKETS) {
    const slice = buckets.slice(first, first + READ_SLICE_BUCKETS);
    yield { buckets: slice, rollups: await readBuckets(accountId, slice, deps) };
  }
}

interface ShardRollup extends BucketRollup {
  shard: string;
}

async function readShards(
  accountId: string,
  buckets: Bucket[],
  shards: string[],
  deps: RollupReadDeps,
): Promise<ShardRollup[]> {
  const wanted = new Map<string, { key: TableKey; bucket: Bucket; shard: string }>();
  for (const bucket of buckets) {
    for (const shard of shards) {
      const key = rollupKey(accountId, bucket, shard);
      wanted.set(keyId(key), { key, bucket, shard });
    }
  }
  if (wanted.size === 0) return [];
  const keys = [...wanted.values()].map(({ key }) => key);
  const cache = deps.cache;
  const rollups: ShardRollup[] = [];
  let full = keys;
  // Most keys of a window may name no item at all; one cached sub-item is enough to try versions first.
  if (cache && keys.some((key) => cache.knows(key.pk))) {
    const versions = await read(keys, deps, ['pk', 'sk', 'v']);
    full = [];
    for (const [id, item] of versions.items) {
      const target = wanted.get(id);
      const state = target && cache.get(target.key.pk, Number(item.v));
      if (target && state) rollups.push({ bucket: target.bucket, shard: target.shard, state });
      else if (target) full.push(target.key);
    }
  }
  const { items } = await read(full, deps);
  for (const [id, item] of items) {
    const target = wanted.get(id);
    if (!target) continue;
    const state = stateOf(item);
    cache?.set(target.key.pk, Number(item.v), state);
    rollups.push({ bucket: target.bucket, shard: target.shard, state });
  }
  return rollups;
}

async function read(keys: TableKey[], deps: RollupReadDeps, attributes?: string[]): Promise<BatchGetResult> {
  const timing = deps.timing ?? realTiming;
  const result = await batchGetAll(keys, {
    dynamo: deps.dynamo,
    tableName: deps.tableName,
    timing,
    deadline: timing.now() + (deps.readBudgetMs ?? 3000),
    consistent: false,
    attributes,
  });
  if (result.unprocessed.length > 0) {
    throw new ServiceUnavailableError('the rollups could not be read in time; retry shortly', 1, {
      unread_items: result.unprocessed.length,
    });
  }
  return result;
}

/** The sub-items' states merged into a new one. */
export function mergeAll(rollups: Iterable<BucketRollup>): RollupState {
  const merged = new RollupState();
  for (const { state } of rollups) merged.merge(state);
  return merged;
}
