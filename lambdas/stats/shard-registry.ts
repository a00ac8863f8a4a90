/**
 * The writer's side of the shard registry: before any sub-item of an account is written by a shard,
 * the account's registry item names that shard with the day, so a reader never misses a sub-item. A
 * process remembers what it recorded, so this costs about one write per account, shard and day.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { forEachWithConcurrency } from '../shared/concurrency.js';
import { errorSummary } from '../shared/error-summary.js';
import type { Log } from '../shared/logger.js';
import { shardRegistryUpdate } from './rollup-model.js';

/** `<account>\0<shard>` -> the last day this process recorded in the account's shard registry. */
export type ShardRegistryCache = Map<string, string>;

/** Accounts remembered per process before the cache starts over. */
const MAX_CACHED = 10_000;

export interface RegistryDeps {
  dynamo: DynamoDBDocumentClient;
  timing: { now: () => number };
  tableName: string;
  log: Log;
  registry: ShardRegistryCache;
}

/**
 * Records `shardId` for each account; returns the accounts whose registry could not be updated, or was
 * not by `deadline` (epoch ms): no update starts after it.
 */
export async function registerShard(
  shardId: string,
  accounts: Set<string>,
  deps: RegistryDeps,
  now: number,
  deadline: number,
): Promise<Set<string>> {
  const day = new Date(now).toISOString().slice(0, 10);
  const failed = new Set<string>();
  if (deps.registry.size > MAX_CACHED) deps.registry.clear();
  await forEachWithConcurrency([...accounts], 16, async (accountId) => {
    const cacheKey = `${accountId}\u0000${shardId}`;
    if (deps.registry.get(cacheKey) === day) return;
    if (deps.timing.now() >= deadline) {
      failed.add(accountId);
      return;
    }
    try {
      await deps.dynamo.send(
        new UpdateCommand({ TableName: deps.tableName, ...shardRegistryUpdate(accountId, shardId, day) }),
      );
      deps.registry.set(cacheKey, day);
    } catch (error) {
      deps.log.warn('shard registry not updated, the account will be retried', {
        error: errorSummary(error),
      });
      failed.add(accountId);
    }
  });
  return failed;
}
