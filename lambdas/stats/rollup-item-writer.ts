/**
 * Writes one rollup sub-item of a batch: merges the records that count into its state and puts it on
 * condition that its version is still the one read (a zombie invocation of the same shard may have
 * written meanwhile); on a conflict it re-reads the sub-item and merges again.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Log } from '../shared/logger.js';
import { retryPending, type Timing } from '../shared/retry.js';
import type { Resolution } from './dedupe.js';
import { fromItem, type RollupRecord, RollupState, toItem } from './rollup-model.js';
import { pendingRecords, type ShardRecord, type TouchedItem } from './rollup-plan.js';

export interface ItemWriterDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  timing: Timing;
  log: Log;
}

/**
 * Merges the counted pending records into the sub-item and puts it if its version is unchanged; on a
 * conflict re-reads it and merges again. Returns whether the sub-item now holds every pending record.
 */
export async function writeItem(
  item: TouchedItem,
  initial: RollupRecord,
  resolutions: Map<string, Resolution>,
  deps: ItemWriterDeps,
  deadline: number,
): Promise<boolean> {
  let current = initial;
  let stale = false;
  const { remaining } = await retryPending(
    [item],
    async () => {
      try {
        if (stale) {
          const { Item } = await deps.dynamo.send(
            new GetCommand({ TableName: deps.tableName, Key: item.key, ConsistentRead: true }),
          );
          current = fromItem(item.key, item.bucket, Item);
          stale = false;
        }
        const pending = pendingRecords(item, current);
        const counted = pending.filter((record) => resolutions.get(record.recordId) === 'count');
        // Nothing new, or only duplicates: leaving the fence behind costs nothing, since a redelivery
        // resolves them as duplicates again while their markers live.
        if (counted.length === 0) return [];
        const state = new RollupState();
        for (const record of counted) state.add(record.facts);
        const next: RollupRecord = {
          ...current,
          version: current.version + 1,
          sequence: (pending[pending.length - 1] as ShardRecord).sequenceNumber,
          state: state.merge(current.state),
        };
        await deps.dynamo.send(new PutCommand({ TableName: deps.tableName, ...versionedPut(current, next) }));
        return [];
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          deps.log.warn('rollup item changed under its writer, merging again', { item: item.key.pk });
          stale = true;
        } else {
          deps.log.warn('rollup item not written, retrying', { error });
        }
        return [item];
      }
    },
    { deadline, timing: deps.timing },
  );
  return remaining.length === 0;
}

/** The put of `next` on condition that the stored item is still `current` (optimistic version check). */
function versionedPut(current: RollupRecord, next: RollupRecord) {
  if (current.version === 0) return { Item: toItem(next), ConditionExpression: 'attribute_not_exists(pk)' };
  return {
    Item: toItem(next),
    ConditionExpression: '#v = :v',
    ExpressionAttributeNames: { '#v': 'v' },
    ExpressionAttributeValues: { ':v': current.version },
  };
}
