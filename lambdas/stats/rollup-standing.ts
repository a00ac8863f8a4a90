/**
 * What a record holds already when the rollup writer gives up on it before applying it in this
 * invocation: one that crashed the function again and again (the crash journal dead-letters it
 * unapplied), or whose group failed as a whole before its sub-items were read. The invocations before
 * may have claimed its marker and written some of its sub-items: the marker says what it claimed, the
 * sub-items' fences which of them hold it (a fence never passes a record still to be applied there).
 * Without this the writer took such a record for one counted nowhere that claimed nothing, so the
 * marker kept naming it and its redrive was a duplicate: counted in part, or not at all.
 */

import { retainedAt } from '../shared/stream-clock.js';
import type { BatchEvent } from '../shared/stream-consumer.js';
import type { Claim } from './dedupe.js';
import { batchGetAll, keyId } from './dynamo-batch.js';
import type { ShardApplyDeps } from './rollup-apply.js';
import { bucketLabel, markerKey, sequenceAfter } from './rollup-model.js';
import { planBatch } from './rollup-plan.js';

export interface Standing {
  /** Labels of every retained bucket the record updates. */
  buckets: string[];
  /** Labels of those that hold it already. */
  held: Set<string>;
  claim: Claim['kind'];
}

/** Reads the record's sub-items and marker; undefined when DynamoDB leaves some unread (throttled). */
export async function standingOf(
  event: BatchEvent,
  deps: ShardApplyDeps,
  deadline: number,
): Promise<Standing | undefined> {
  const items = [
    ...planBatch(event.shardId, [event], retainedAt(deps.timing.now(), [event.arrivedAt])).items.values(),
  ];
  const marker = markerKey(event.event.account_id, event.event.event_id);
  const { items: found, unprocessed } = await batchGetAll([...items.map((item) => item.key), marker], {
    ...deps,
    deadline,
    consistent: true,
    attributes: ['pk', 'sk', 'seq', 'countedBy', 'filledBy'],
  });
  if (unprocessed.length > 0) return undefined;
  const held = new Set<string>();
  for (const item of items) {
    const fence = found.get(item.id)?.seq;
    if (typeof fence === 'string' && !sequenceAfter(event.sequenceNumber, fence))
      held.add(bucketLabel(item.bucket));
  }
  const claimed = found.get(keyId(marker));
  const claim =
    claimed?.countedBy === event.recordId ? 'count' : claimed?.filledBy === event.recordId ? 'fill' : 'none';
  return { buckets: items.map((item) => bucketLabel(item.bucket)), held, claim };
}
