/**
 * Writes one rollup sub-item of a batch: merges the records that count into its state and puts it on
 * condition that its version is still the one read (a zombie invocation of the same shard may have
 * written meanwhile); on a conflict it re-reads the sub-item and merges again. Any other failure is
 * classified (`dynamo-errors.ts`) and handed back: the skeleton retries or bisects.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Log } from '../shared/logger.js';
import type { EventOutcome } from '../shared/stream-consumer.js';
import type { Resolution } from './dedupe.js';
import { classifyDynamoError } from './dynamo-errors.js';
import { bucketLabel, fromItem, type RollupRecord, RollupState, toItem } from './rollup-model.js';
import { pendingRecords, type ShardRecord, type TouchedItem } from './rollup-plan.js';

export interface ItemWriterDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  log: Log;
}

/** Merges after a version conflict at most this often; a conflict is a zombie invocation, rare. */
const MAX_MERGES = 4;

export type ItemWrite = { ok: true; state: RollupRecord } | { ok: false; outcome: EventOutcome };

/** Whether `record` counts in `item`: it claimed the event, or fills this bucket of it. */
export function countsIn(resolution: Resolution | undefined, item: TouchedItem): boolean {
  if (resolution === 'count') return true;
  return typeof resolution === 'object' && resolution.fill.includes(bucketLabel(item.bucket));
}

/**
 * Merges the counted pending records into the sub-item and puts it if its version is unchanged; on a
 * conflict re-reads it and merges again. On success returns the state written (or found) last.
 */
export async function writeItem(
  item: TouchedItem,
  initial: RollupRecord,
  resolutions: Map<string, Resolution>,
  deps: ItemWriterDeps,
): Promise<ItemWrite> {
  let current = initial;
  for (let merge = 0; ; merge += 1) {
    const pending = pendingRecords(item, current);
    const counted = pending.filter((record) => countsIn(resolutions.get(record.recordId), item));
    // Nothing new, or only duplicates: leaving the fence behind costs nothing, since a redelivery
    // resolves them as duplicates again while their markers live.
    if (counted.length === 0) return { ok: true, state: current };
    const state = new RollupState();
    for (const record of counted) state.add(record.facts);
    const next: RollupRecord = {
      ...current,
      version: current.version + 1,
      sequence: (pending[pending.length - 1] as ShardRecord).sequenceNumber,
      state: state.merge(current.state),
    };
    try {
      await deps.dynamo.send(new PutCommand({ TableName: deps.tableName, ...versionedPut(current, next) }));
      return { ok: true, state: next };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) {
        return { ok: false, outcome: classifyDynamoError(error, 'rollup item put') };
      }
      if (merge + 1 >= MAX_MERGES) {
        return {
          ok: false,
          outcome: { kind: 'transient', reason: 'rollup item kept changing under its writer' },
        };
      }
    }
    deps.log.warn('rollup item changed under its writer, merging again', { item: item.key.pk });
    try {
      const { Item } = await deps.dynamo.send(
        new GetCommand({ TableName: deps.tableName, Key: item.key, ConsistentRead: true }),
      );
      current = fromItem(item.key, item.bucket, Item);
    } catch (error) {
      return { ok: false, outcome: classifyDynamoError(error, 'rollup item read') };
    }
  }
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
