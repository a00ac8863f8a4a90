/**
 * What the rollups of one account hold after a load: sub-items and their sizes by granularity (the
 * item-size arithmetic of lambdas/stats/README.md, measured), read back with the reader's own keys.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { realTiming } from '../../lambdas/shared/retry.js';
import { batchGetAll } from '../../lambdas/stats/dynamo-batch.js';
import { rollupKey } from '../../lambdas/stats/rollup-model.js';
import {
  bucketStart,
  GRANULARITIES,
  type Granularity,
  seriesBuckets,
} from '../../lambdas/stats/time-buckets.js';

export interface GranularityStorage {
  items: number;
  averageBytes: number;
  maxBytes: number;
}

/** DynamoDB's item size: attribute names plus values (numbers as their decimal digits, about). */
function itemBytes(item: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (typeof value === 'string') bytes += Buffer.byteLength(value);
    else if (value instanceof Uint8Array) bytes += value.length;
    else bytes += Math.ceil(String(value).length / 2) + 1;
  }
  return bytes;
}

export async function surveyStorage(
  dynamo: DynamoDBDocumentClient,
  accountId: string,
  shards: number,
  from: number,
  to: number,
): Promise<Record<Granularity, GranularityStorage>> {
  const shardIds = Array.from({ length: shards }, (_, shard) => `shardId-${String(shard).padStart(12, '0')}`);
  const survey = {} as Record<Granularity, GranularityStorage>;
  for (const granularity of GRANULARITIES) {
    const keys = seriesBuckets(bucketStart(from, granularity), to, granularity).flatMap((bucket) =>
      shardIds.map((shard) => rollupKey(accountId, bucket, shard)),
    );
    const { items } = await batchGetAll(keys, {
      dynamo,
      tableName: 'rollups',
      timing: realTiming,
      deadline: Date.now() + 120_000,
      consistent: false,
    });
    const sizes = [...items.values()].map(itemBytes);
    survey[granularity] = {
      items: sizes.length,
      averageBytes: Math.round(sizes.reduce((sum, size) => sum + size, 0) / Math.max(1, sizes.length)),
      maxBytes: Math.max(0, ...sizes),
    };
  }
  return survey;
}
