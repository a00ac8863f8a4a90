/**
 * The applied log: what each invocation of the rollup writer did NOT fully apply, so that a redriven
 * copy of an event is counted exactly once (docs/decisions.md, "Redrive: counted exactly once").
 *
 * A redrive puts an event back on the stream as a new record. Its dedupe marker names the record that
 * first counted it (`countedBy`), so the copy is a duplicate: right when that record was counted, wrong
 * when the mapping discarded its batch (after ~6 days of retries) before it was, or counted it in some
 * of its buckets only. The sub-items' sequence fences cannot tell afterwards (the shard moved on and
 * later records moved them), so each invocation leaves one small entry per shard:
 *
 *   pk `A#<shard>`, sk `<first sequence of the batch, zero-padded>`: `last` (the batch's last
 *   sequence) and `missing` (sequence -> labels of the buckets that record still lacks), empty when
 *   everything was applied; expiring after `APPLIED_LOG_TTL_SECONDS`.
 *
 * The state of a record R is in the entry with the greatest first sequence at or below R's whose
 * batch reaches R: Lambda retries a shard from the lowest failed record, so that is the LAST invocation
 * that was given R. R was fully applied unless that entry lists it, so an invocation given records an
 * entry reaches writes one of its own (`rollup-core.ts`). Cost: one put of ~100 bytes per logged
 * invocation and shard (1 WCU), and one query per copy of an already counted event (1 RCU).
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

/** Sequence numbers are decimal strings of up to 128 digits: padded, they sort as numbers. */
const SEQUENCE_WIDTH = 128;

/**
 * How long an entry lives: the stream's retention (7 days) and a day more, so an entry outlives every
 * record it describes, including one discarded and redriven on its last day.
 */
export const APPLIED_LOG_TTL_SECONDS = 8 * 24 * 3600;

/** What an invocation applied of a shard's records: every record from `first` to `last`, but `missing`. */
export interface AppliedLogEntry {
  shardId: string;
  first: string;
  last: string;
  /** Sequence number -> labels of the buckets that record still lacks. */
  missing: Record<string, string[]>;
}

/** What the log says of a record. `unknown`: no entry reaches it (processed before the log existed). */
export type AppliedState = { kind: 'applied' } | { kind: 'missing'; buckets: string[] } | { kind: 'unknown' };

export interface AppliedLogDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
}

function partition(shardId: string): string {
  return `A#${shardId}`;
}

function sortKey(sequence: string): string {
  return sequence.padStart(SEQUENCE_WIDTH, '0');
}

/** The item of an entry. */
export function appliedLogItem(entry: AppliedLogEntry, now: number) {
  return {
    pk: partition(entry.shardId),
    sk: sortKey(entry.first),
    last: entry.last,
    missing: entry.missing,
    expiresAt: Math.floor(now / 1000) + APPLIED_LOG_TTL_SECONDS,
  };
}

/** Writes an invocation's entry; a later invocation given the same first record replaces it. */
export async function writeAppliedEntry(
  entry: AppliedLogEntry,
  deps: AppliedLogDeps,
  now: number,
): Promise<void> {
  await deps.dynamo.send(new PutCommand({ TableName: deps.tableName, Item: appliedLogItem(entry, now) }));
}

/** The applied state of the record `<shard>:<sequence>`, from the last invocation that was given it. */
export async function appliedStateOf(recordId: string, deps: AppliedLogDeps): Promise<AppliedState> {
  const separator = recordId.lastIndexOf(':');
  const shardId = recordId.slice(0, separator);
  const sequence = recordId.slice(separator + 1);
  const { Items = [] } = await deps.dynamo.send(
    new QueryCommand({
      TableName: deps.tableName,
      KeyConditionExpression: 'pk = :pk AND sk <= :sk',
      ExpressionAttributeValues: { ':pk': partition(shardId), ':sk': sortKey(sequence) },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const entry = Items[0];
  if (!entry || BigInt(String(entry.last)) < BigInt(sequence)) return { kind: 'unknown' };
  const buckets = (entry.missing as Record<string, string[]> | undefined)?.[sequence];
  return buckets && buckets.length > 0 ? { kind: 'missing', buckets } : { kind: 'applied' };
}
