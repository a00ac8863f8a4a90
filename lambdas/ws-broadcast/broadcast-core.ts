/**
 * Live push: stream records -> the WebSocket connections of their account, filtered by each
 * connection's subscribed types, in frames of at most 32 KB, with bounded concurrency.
 *
 * Best effort by design: the durable path is the indexer. A failed post is logged and does not fail
 * the batch, because a redelivery would repeat every frame already pushed to every other connection.
 * A 410 Gone deletes the connection.
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DeleteCommand, type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { forEachWithConcurrency } from '../shared/concurrency.js';
import type { StoredEvent } from '../shared/event-schema.js';
import { batchResponse, decodeRecord, type KinesisStreamBatchResponse } from '../shared/kinesis-records.js';
import type { Log } from '../shared/logger.js';
import { BY_ACCOUNT_INDEX, type ConnectionItem, isGone, postFrame } from './connections.js';

/** API Gateway WebSocket frame limit. */
export const MAX_FRAME_BYTES = 32 * 1024;
/** Posts in flight at once, across connections. */
export const DEFAULT_CONCURRENCY = 10;

export interface BroadcastDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  management: ApiGatewayManagementApiClient;
  now: () => Date;
  log: Log;
  concurrency?: number;
  maxFrameBytes?: number;
}

export interface BroadcastCounts {
  frames: number;
  gone: number;
  postFailures: number;
  /** Events too large for a frame even alone. */
  oversized: number;
}

export interface BroadcastOutcome {
  response: KinesisStreamBatchResponse;
  counts: BroadcastCounts;
}

const FRAME_PREFIX = '{"type":"events","events":[';
const FRAME_SUFFIX = ']}';

/**
 * Serializes events into `{"type":"events","events":[...]}` frames of at most `maxBytes` each, in
 * order. An event that cannot fit even alone is left out and returned in `oversized`.
 */
export function splitFrames(
  events: StoredEvent[],
  maxBytes: number = MAX_FRAME_BYTES,
): { frames: string[]; oversized: StoredEvent[] } {
  const frames: string[] = [];
  const oversized: StoredEvent[] = [];
  const overhead = Buffer.byteLength(FRAME_PREFIX + FRAME_SUFFIX);
  let parts: string[] = [];
  let bytes = overhead;
  const flush = () => {
    if (parts.length > 0) frames.push(FRAME_PREFIX + parts.join(',') + FRAME_SUFFIX);
    parts = [];
    bytes = overhead;
  };
  for (const event of events) {
    const json = JSON.stringify(event);
    const size = Buffer.byteLength(json);
    if (overhead + size > maxBytes) {
      oversized.push(event);
      continue;
    }
    const separator = parts.length > 0 ? 1 : 0;
    if (bytes + separator + size > maxBytes) flush();
    bytes += (parts.length > 0 ? 1 : 0) + size;
    parts.push(json);
  }
  flush();
  return { frames, oversized };
}

/** Pushes a batch of stream records to the subscribed connections. Never reports failures. */
export async function broadcastRecords(
  records: KinesisStreamRecord[],
  deps: BroadcastDeps,
): Promise<BroadcastOutcome> {
  const counts: BroadcastCounts = { frames: 0, gone: 0, postFailures: 0, oversized: 0 };
  const byAccount = new Map<string, StoredEvent[]>();
  for (const record of records) {
    const decoded = decodeRecord(record);
    if (!decoded.ok) {
      deps.log.warn('skipping undecodable record', {
        sequenceNumber: decoded.sequenceNumber,
        reason: decoded.reason,
      });
      continue;
    }
    const events = byAccount.get(decoded.event.account_id) ?? [];
    events.push(decoded.event);
    byAccount.set(decoded.event.account_id, events);
  }

  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const deliveries: { connectionId: string; frames: string[] }[] = [];
  for (const [accountId, events] of byAccount) {
    let connections: ConnectionItem[];
    try {
      connections = await connectionsOf(accountId, deps);
    } catch (error) {
      deps.log.error('could not list connections; skipping live push for the account', { accountId, error });
      continue;
    }
    for (const connection of connections) {
      // TTL deletion lags by up to days; an expired connection is closed by API Gateway already.
      if (connection.expiresAt <= nowSeconds) continue;
      const wanted = connection.types?.length ? new Set(connection.types) : undefined;
      const selected = wanted ? events.filter((event) => wanted.has(event.type)) : events;
      if (selected.length === 0) continue;
      const { frames, oversized } = splitFrames(selected, deps.maxFrameBytes ?? MAX_FRAME_BYTES);
      counts.oversized += oversized.length;
      deliveries.push({ connectionId: connection.connectionId, frames });
    }
  }

  // One lane per connection keeps its frames in order; lanes of different connections run in parallel.
  await forEachWithConcurrency(deliveries, deps.concurrency ?? DEFAULT_CONCURRENCY, async (delivery) => {
    for (const frame of delivery.frames) {
      try {
        await postFrame(deps.management, delivery.connectionId, frame);
        counts.frames += 1;
      } catch (error) {
        if (isGone(error)) {
          counts.gone += 1;
          await forget(delivery.connectionId, deps);
        } else {
          counts.postFailures += 1;
          deps.log.warn('post to connection failed', { connectionId: delivery.connectionId, error });
        }
        return;
      }
    }
  });
  if (counts.oversized > 0) deps.log.warn('events too large for a frame were not pushed', { ...counts });
  deps.log.info('batch broadcast', { records: records.length, connections: deliveries.length, ...counts });
  return { response: batchResponse([]), counts };
}

async function connectionsOf(accountId: string, deps: BroadcastDeps): Promise<ConnectionItem[]> {
  const connections: ConnectionItem[] = [];
  const pages = paginateQuery(
    { client: deps.dynamo },
    {
      TableName: deps.tableName,
      IndexName: BY_ACCOUNT_INDEX,
      KeyConditionExpression: 'accountId = :accountId',
      ExpressionAttributeValues: { ':accountId': accountId },
    },
  );
  for await (const page of pages) connections.push(...((page.Items ?? []) as ConnectionItem[]));
  return connections;
}

async function forget(connectionId: string, deps: BroadcastDeps): Promise<void> {
  try {
    await deps.dynamo.send(new DeleteCommand({ TableName: deps.tableName, Key: { connectionId } }));
  } catch (error) {
    // TTL removes it eventually; the next broadcast retries the delete on the next 410.
    deps.log.warn('could not delete gone connection', { connectionId, error });
  }
}
