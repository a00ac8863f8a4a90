/**
 * Dedupe of client resends and redrives: the first stream record of an event claims the event's marker
 * (`countedBy = <shard>:<sequence>`); only that record is ever counted, however often it or a copy of
 * the event is delivered while the marker lives (`MARKER_TTL_SECONDS`).
 *
 * Read, then write the missing markers in batches (1 RCU + 1 WCU per event, 100 and 25 per request)
 * rather than one conditional PutItem per event: a read-then-write cannot race here, because every copy
 * of an event has the same Kinesis partition key (`account_id:event_id`, see ingest), hence the same
 * shard, hence the same sequential writer, which resolves the copies of a batch in sequence order.
 *
 * First version wins, even when it is dead-lettered: a record the writer gives up on before counting it
 * anywhere releases the marker's `countedBy` but leaves its `timestamp`, so the redrive of that version
 * claims the marker afresh while a later version of the event (another timestamp) stays a duplicate,
 * as in the indexer, which keeps the first version's registration.
 *
 * A copy of an event whose counting record did not reach all of its buckets (its batch was discarded
 * by the mapping, or the writer dead-lettered it half-way: `rollup-applied-log.ts`) fills exactly the
 * buckets it lacks, once: it claims the marker's `filledBy` with a conditional update.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { forEachWithConcurrency } from '../shared/concurrency.js';
import { type BatchOptions, batchGetAll, batchPutAll, keyId } from './dynamo-batch.js';
import { classifyDynamoError } from './dynamo-errors.js';
import { appliedStateOf } from './rollup-applied-log.js';
import { markerItem, markerKey } from './rollup-model.js';

/** The first record of an event in a batch that still has rollups to update. */
export interface DedupeCandidate {
  accountId: string;
  eventId: string;
  /** `<shard>:<sequence>` of the record. */
  recordId: string;
  /** The event's `timestamp`: which version of the event the record holds. */
  timestamp: string;
}

/**
 * `count`: this record counts the event; `fill`: it counts it in these buckets only (labels);
 * `unknown`: DynamoDB did not answer in time.
 */
export type Resolution = 'count' | 'duplicate' | 'unknown' | { fill: string[] };

/** Copies of already counted events resolved at once (each may query the applied log). */
const FILL_CONCURRENCY = 8;

/** Resolves each candidate (by `recordId`), claiming the markers of events never seen. */
export async function resolveCandidates(
  candidates: DedupeCandidate[],
  options: BatchOptions & { now: number },
): Promise<Map<string, Resolution>> {
  const resolutions = new Map<string, Resolution>();
  if (candidates.length === 0) return resolutions;
  const keyOf = (candidate: DedupeCandidate) => markerKey(candidate.accountId, candidate.eventId);
  const { items, unprocessed } = await batchGetAll(candidates.map(keyOf), { ...options, consistent: true });
  const unread = new Set(unprocessed.map(keyId));

  const claims: ReturnType<typeof markerItem>[] = [];
  const claimers = new Map<string, DedupeCandidate>();
  const copies: [DedupeCandidate, Record<string, unknown>][] = [];
  // One candidate per event may count it: the one the marker lets claim or names, else the first.
  const chosen = new Map<string, DedupeCandidate>();
  for (const candidate of candidates) {
    const id = keyId(keyOf(candidate));
    const current = chosen.get(id);
    const marker = items.get(id);
    if (!current || (!mayCount(current, marker) && mayCount(candidate, marker))) chosen.set(id, candidate);
  }
  for (const candidate of candidates) {
    const id = keyId(keyOf(candidate));
    if (unread.has(id)) {
      resolutions.set(candidate.recordId, 'unknown');
      continue;
    }
    const existing = items.get(id);
    if (chosen.get(id) !== candidate) resolutions.set(candidate.recordId, 'duplicate');
    else if (!existing || claimableAfterRelease(existing, candidate)) {
      claims.push(
        markerItem(
          candidate.accountId,
          candidate.eventId,
          candidate.recordId,
          options.now,
          candidate.timestamp,
        ),
      );
      claimers.set(id, candidate);
    } else if (existing.countedBy === candidate.recordId) resolutions.set(candidate.recordId, 'count');
    else copies.push([candidate, existing]);
  }

  const unwritten = new Set((await batchPutAll(claims, options)).map(keyId));
  for (const [id, candidate] of claimers) {
    resolutions.set(candidate.recordId, unwritten.has(id) ? 'unknown' : 'count');
  }
  await forEachWithConcurrency(copies, FILL_CONCURRENCY, async ([candidate, marker]) => {
    // A batch of resends (a client retrying hard) on a slow table stops at the deadline: the rest wait.
    if (options.timing.now() >= options.deadline) resolutions.set(candidate.recordId, 'unknown');
    else resolutions.set(candidate.recordId, await resolveCopy(candidate, marker, options));
  });
  return resolutions;
}

/** Whether the candidate may claim the event's marker, or is the record it names. */
function mayCount(candidate: DedupeCandidate, marker: Record<string, unknown> | undefined): boolean {
  return !marker || claimableAfterRelease(marker, candidate) || marker.countedBy === candidate.recordId;
}

/**
 * A marker whose counting record was dead-lettered (no `countedBy`) is claimed again by the same
 * version of the event (or any, for a marker written before markers named their version).
 */
function claimableAfterRelease(marker: Record<string, unknown>, candidate: DedupeCandidate): boolean {
  if (typeof marker.countedBy === 'string') return false;
  return (
    typeof marker.timestamp !== 'string' || Date.parse(marker.timestamp) === Date.parse(candidate.timestamp)
  );
}

/** A copy of a counted event: a duplicate, unless its counting record left buckets unapplied. */
async function resolveCopy(
  candidate: DedupeCandidate,
  marker: Record<string, unknown>,
  options: BatchOptions,
): Promise<Resolution> {
  if (marker.filledBy === candidate.recordId) return { fill: (marker.fillBuckets as string[]) ?? [] };
  if (marker.filledBy !== undefined || typeof marker.countedBy !== 'string') return 'duplicate';
  const state = await appliedStateOf(marker.countedBy, options);
  if (state.kind !== 'missing') return 'duplicate';
  try {
    await options.dynamo.send(
      new UpdateCommand({
        TableName: options.tableName,
        Key: markerKey(candidate.accountId, candidate.eventId),
        UpdateExpression: 'SET filledBy = :copy, fillBuckets = :buckets',
        ConditionExpression: 'countedBy = :counted AND attribute_not_exists(filledBy)',
        ExpressionAttributeValues: {
          ':copy': candidate.recordId,
          ':buckets': state.buckets,
          ':counted': marker.countedBy,
        },
      }),
    );
    return { fill: state.buckets };
  } catch (error) {
    // Another copy claimed it between the read and the update: read again on the next attempt.
    if (error instanceof ConditionalCheckFailedException) return 'unknown';
    throw error;
  }
}

/** What a record given up on holds of its event's marker. */
export interface Claim extends DedupeCandidate {
  /**
   * `count`: it claimed the marker; `fill`: it claimed the marker's `filledBy`; `none`: it was given up
   * on before it claimed anything.
   */
  kind: 'count' | 'fill' | 'none';
}

/**
 * Releases what records the writer gives up on before counting them anywhere hold of their markers (the
 * marker's `countedBy`, keeping the version it names, or its `filledBy`), so that a redrive counts them
 * afresh; conditional on the marker still naming the record. A record that claimed nothing leaves a
 * released marker naming its version, unless the event has a marker already, so a later version cannot
 * count the event before the first's redrive. Returns the record ids whose claim could not be released.
 */
export async function releaseClaims(
  claims: Claim[],
  options: BatchOptions & { now: number },
): Promise<Set<string>> {
  const unreleased = new Set<string>();
  await forEachWithConcurrency(claims, FILL_CONCURRENCY, async (claim) => {
    const Key = markerKey(claim.accountId, claim.eventId);
    const ExpressionAttributeValues = { ':record': claim.recordId };
    try {
      if (claim.kind === 'none') {
        const { countedBy: _none, ...released } = markerItem(
          claim.accountId,
          claim.eventId,
          claim.recordId,
          options.now,
          claim.timestamp,
        );
        await options.dynamo.send(
          new PutCommand({
            TableName: options.tableName,
            Item: released,
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } else if (claim.kind === 'count') {
        await options.dynamo.send(
          new UpdateCommand({
            TableName: options.tableName,
            Key,
            UpdateExpression: 'REMOVE countedBy',
            ConditionExpression: 'countedBy = :record',
            ExpressionAttributeValues,
          }),
        );
      } else {
        await options.dynamo.send(
          new UpdateCommand({
            TableName: options.tableName,
            Key,
            UpdateExpression: 'REMOVE filledBy, fillBuckets',
            ConditionExpression: 'filledBy = :record',
            ExpressionAttributeValues,
          }),
        );
      }
    } catch (error) {
      // No longer this record's (or, for `none`, the event's marker is another record's): nothing to do.
      if (error instanceof ConditionalCheckFailedException) return;
      // A released marker is a guard, not the event's: only an outage of the table is worth waiting for
      // (the marker key itself may be what DynamoDB refuses of this event).
      if (claim.kind === 'none' && classifyDynamoError(error, 'marker').kind !== 'transient') return;
      unreleased.add(claim.recordId);
    }
  });
  return unreleased;
}
