/**
 * Reads the rollups of a set of buckets: the account's shard registry (one GetItem), then every
 * (bucket, shard) sub-item in BatchGetItem requests of 100 keys sent in parallel, merged per bucket.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../shared/http.js';
import { realTiming, type Timing } from '../shared/retry.js';
import { batchGetAll, keyId } from './dynamo-batch.js';
import {
  bucketLabel,
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
  timing?: Timing;
  /** Time allowed for retrying throttled reads. */
  readBudgetMs?: number;
}

export interface BucketRollup {
  bucket: Bucket;
  state: RollupState;
}

/**
 * The merged rollup of each bucket that has data, by `bucketLabel`. Throws a 503 when DynamoDB left
 * keys unread within the budget, rather than answer with part of the data.
 */
export async function readBuckets(
  accountId: string,
  buckets: Bucket[],
  deps: RollupReadDeps,
): Promise<Map<string, BucketRollup>> {
  const result = new Map<string, BucketRollup>();
  if (buckets.length === 0) return result;
  const timing = deps.timing ?? realTiming;
  const { Item: registry } = await deps.dynamo.send(
    new GetCommand({ TableName: deps.tableName, Key: shardRegistryKey(accountId), ConsistentRead: true }),
  );
  const earliest = Math.min(...buckets.map((bucket) => bucket.start));
  const shards = shardsWritingSince(registry, earliest, deps.maxFutureMs);
  const wanted = new Map<string, { key: TableKey; bucket: Bucket }>();
  for (const bucket of buckets) {
    for (const shard of shards) {
      const key = rollupKey(accountId, bucket, shard);
      wanted.set(keyId(key), { key, bucket });
    }
  }
  const keys = [...wanted.values()].map(({ key }) => key);
  const { items, unprocessed } = await batchGetAll(keys, {
    dynamo: deps.dynamo,
    tableName: deps.tableName,
    timing,
    deadline: timing.now() + (deps.readBudgetMs ?? 3000),
    consistent: false,
  });
  if (unprocessed.length > 0) {
    throw new ServiceUnavailableError('the rollups could not be read in time; retry shortly', 1, {
      unread_items: unprocessed.length,
    });
  }
  for (const [id, item] of items) {
    const bucket = wanted.get(id)?.bucket;
    if (!bucket) continue;
    const label = bucketLabel(bucket);
    const existing = result.get(label);
    if (existing) existing.state.merge(stateOf(item));
    else result.set(label, { bucket, state: stateOf(item) });
  }
  return result;
}

/** Every bucket's rollup merged into one. */
export function mergeAll(rollups: Iterable<BucketRollup>): RollupState {
  const merged = new RollupState();
  for (const { state } of rollups) merged.merge(state);
  return merged;
}
