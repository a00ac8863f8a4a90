/**
 * What the durable sinks hold of a set of events, read in bulk: the documents of each event key in the
 * event indices (OpenSearch `ids` queries, 1,000 keys a request), and each event's dedupe marker in the
 * rollups table (BatchGetItem, 100 keys a request, through the rollup model's own key function). Used by
 * `reconcile` (what arrived) and `dead-letters redrive` (what a copy of an event would do).
 */
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { forEachWithConcurrency } from '../lambdas/shared/concurrency.js';
import { realTiming } from '../lambdas/shared/retry.js';
import { batchGetAll, keyId } from '../lambdas/stats/dynamo-batch.js';
import { markerItem, markerKey } from '../lambdas/stats/rollup-model.js';
import type { Progress } from './output.js';

/** An event as the sinks key it. */
export interface EventRef {
  accountId: string;
  eventId: string;
  /** `account_id:event_id`: the document `_id`. */
  key: string;
}

/** A dedupe marker: the record that counted the event, and when the marker expires (epoch s). */
export interface Marker {
  countedBy: string;
  expiresAt: number;
}

const IDS_PER_QUERY = 1_000;
/** OpenSearch's default `index.max_result_window`: room for every key of a query to have many documents. */
const MAX_HITS = 10_000;
const QUERY_CONCURRENCY = 4;
const READ_BUDGET_MS = 120_000;

/** A document of an event: where it is and the timestamp it was indexed with. */
export interface IndexedDocument {
  index: string;
  timestamp?: string;
}

/**
 * The documents of each key, across `<prefix>-*` (two entries mean the event was indexed twice). A closed
 * event index is an error, not "no documents": the caller must not report events as missing that are
 * only out of sight.
 */
export async function documentsOf(
  opensearch: OpenSearchClient,
  prefix: string,
  keys: string[],
  progress?: Progress,
): Promise<Map<string, IndexedDocument[]>> {
  const found = new Map<string, IndexedDocument[]>();
  const unique = [...new Set(keys)];
  const chunks: string[][] = [];
  for (let start = 0; start < unique.length; start += IDS_PER_QUERY) {
    chunks.push(unique.slice(start, start + IDS_PER_QUERY));
  }
  let done = 0;
  await forEachWithConcurrency(chunks, QUERY_CONCURRENCY, async (chunk) => {
    const { body } = await opensearch.search({
      index: `${prefix}-*`,
      expand_wildcards: ['open', 'closed'],
      allow_no_indices: true,
      body: {
        query: { ids: { values: chunk } },
        _source: ['timestamp'],
        size: MAX_HITS,
        track_total_hits: true,
      },
    });
    const hits = body.hits.hits;
    const total = typeof body.hits.total === 'number' ? body.hits.total : (body.hits.total?.value ?? 0);
    if (total > hits.length) {
      throw new Error(`${total} documents for ${chunk.length} event keys: more than one query can list`);
    }
    for (const { _id: id, _index: index, _source: source } of hits) {
      if (!id || !index) continue;
      const documents = found.get(id) ?? [];
      const timestamp = (source as { timestamp?: unknown } | undefined)?.timestamp;
      documents.push({ index, ...(typeof timestamp === 'string' ? { timestamp } : {}) });
      found.set(id, documents);
    }
    done += chunk.length;
    progress?.update(done, unique.length);
  });
  return found;
}

/** Each event's dedupe marker, by event key (strongly consistent reads). Throws when DynamoDB leaves keys unread. */
export async function markersOf(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  events: EventRef[],
): Promise<Map<string, Marker>> {
  const keys = events.map((event) => markerKey(event.accountId, event.eventId));
  const { items, unprocessed } = await batchGetAll(keys, {
    dynamo,
    tableName,
    timing: realTiming,
    deadline: Date.now() + READ_BUDGET_MS,
    consistent: true,
  });
  if (unprocessed.length > 0) {
    throw new Error(`DynamoDB left ${unprocessed.length} dedupe marker(s) unread: try again`);
  }
  const markers = new Map<string, Marker>();
  for (const event of events) {
    const item = items.get(keyId(markerKey(event.accountId, event.eventId)));
    if (item && typeof item.countedBy === 'string') {
      markers.set(event.key, { countedBy: item.countedBy, expiresAt: Number(item.expiresAt ?? 0) });
    }
  }
  return markers;
}

/**
 * Claims an event's marker for `claimant` (never overwriting one), so that the rollup writer takes a
 * redriven copy for a duplicate: for an event the rollups counted so long ago that its marker expired.
 * Resolves false when a marker exists already, which blocks the copy just as well.
 */
export async function claimMarker(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  event: EventRef,
  claimant: string,
  now: number,
): Promise<boolean> {
  return conditional(
    dynamo.send(
      new PutCommand({
        TableName: tableName,
        Item: markerItem(event.accountId, event.eventId, claimant, now),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

/** Pushes back the expiry of a marker that still names `countedBy`, so it outlives a redriven copy. */
export async function extendMarker(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  event: EventRef,
  countedBy: string,
  now: number,
): Promise<boolean> {
  const { expiresAt } = markerItem(event.accountId, event.eventId, countedBy, now);
  return conditional(
    dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: markerKey(event.accountId, event.eventId),
        UpdateExpression: 'SET expiresAt = :expiresAt',
        ConditionExpression: 'countedBy = :countedBy',
        ExpressionAttributeValues: { ':countedBy': countedBy, ':expiresAt': expiresAt },
      }),
    ),
  );
}

async function conditional(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
