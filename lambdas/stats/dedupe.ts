/**
 * Dedupe of client resends: the first stream record of an event claims the event's marker
 * (`countedBy = <shard>:<sequence>`); only that record is ever counted, however often it or a copy of
 * the event is delivered while the marker lives (`MARKER_TTL_SECONDS`).
 *
 * Read, then write the missing markers in batches (1 RCU + 1 WCU per event, 100 and 25 per request)
 * rather than one conditional PutItem per event: a read-then-write cannot race here, because every copy
 * of an event has the same Kinesis partition key (`account_id:event_id`, see ingest), hence the same
 * shard, hence the same sequential writer, which resolves the copies of a batch in sequence order.
 */
import { type BatchOptions, batchGetAll, batchPutAll, keyId } from './dynamo-batch.js';
import { markerItem, markerKey } from './rollup-model.js';

/** The first record of an event in a batch that still has rollups to update. */
export interface DedupeCandidate {
  accountId: string;
  eventId: string;
  /** `<shard>:<sequence>` of the record. */
  recordId: string;
}

/** `count`: this record is the one that counts the event; `unknown`: DynamoDB did not answer in time. */
export type Resolution = 'count' | 'duplicate' | 'unknown';

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
  for (const candidate of candidates) {
    const id = keyId(keyOf(candidate));
    if (unread.has(id)) {
      resolutions.set(candidate.recordId, 'unknown');
      continue;
    }
    const existing = items.get(id);
    if (existing) {
      resolutions.set(candidate.recordId, existing.countedBy === candidate.recordId ? 'count' : 'duplicate');
      continue;
    }
    claims.push(markerItem(candidate.accountId, candidate.eventId, candidate.recordId, options.now));
    claimers.set(id, candidate);
  }

  const unwritten = new Set((await batchPutAll(claims, options)).map(keyId));
  for (const [id, candidate] of claimers) {
    resolutions.set(candidate.recordId, unwritten.has(id) ? 'unknown' : 'count');
  }
  return resolutions;
}
