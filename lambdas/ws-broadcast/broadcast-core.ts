/**
 * Live push: stream records -> the WebSocket connections of their account, filtered by each
 * connection's subscribed types, in frames of at most 32 KB, with bounded concurrency.
 *
 * Best effort by design: the durable paths are the indexer and the rollups. The batch runs through the
 * stream-consumer skeleton (`../shared/stream-consumer.ts`) as a best-effort sink: a failed post to a
 * connection never fails the batch (a redelivery would repeat every frame already pushed to every other
 * connection), and a 410 Gone deletes the connection. Failing to LIST an account's connections is
 * transient: its events are retried, then reported, and the mapping's small retry and record-age limits
 * bound how long live push waits. Nothing is dead-lettered here: undecodable records are the durable
 * consumers' to dead-letter.
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DeleteCommand, type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { forEachWithConcurrency } from '../shared/concurrency.js';
import { errorSummary } from '../shared/error-summary.js';
import type { StoredEvent } from '../shared/event-schema.js';
import { METRIC } from '../shared/metrics.js';
import {
  type BatchEvent,
  type ConsumerCounts,
  type ConsumerDeps,
  consumeBatch,
  type EventOutcome,
  type KinesisStreamBatchResponse,
  type Sink,
} from '../shared/stream-consumer.js';
import { BY_ACCOUNT_INDEX, type ConnectionItem, isGone, postFrame } from './connections.js';

/** API Gateway WebSocket frame limit. */
export const MAX_FRAME_BYTES = 32 * 1024;
/** Posts in flight at once, across connections. */
export const DEFAULT_CONCURRENCY = 10;

export interface BroadcastDeps extends ConsumerDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  management: ApiGatewayManagementApiClient;
  now: () => Date;
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
  counts: BroadcastCounts & ConsumerCounts;
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

/**
 * Pushes a batch of stream records to the subscribed connections. Reports for redelivery only the
 * events of accounts whose connections could not be listed before `deadline`.
 */
export async function broadcastRecords(
  records: KinesisStreamRecord[],
  deps: BroadcastDeps,
  deadline: number,
): Promise<BroadcastOutcome> {
  const counts: BroadcastCounts = { frames: 0, gone: 0, postFailures: 0, oversized: 0 };
  const sink: Sink = {
    metrics: { done: METRIC.pushed, duplicate: METRIC.alreadyPushed },
    apply: (events) => pushEvents(events, deps, counts),
  };
  const outcome = await consumeBatch(records, sink, deps, deadline);
  if (counts.oversized > 0) deps.log.warn('events too large for a frame were not pushed', { ...counts });
  deps.log.info('batch broadcast', { records: records.length, ...counts });
  return { response: outcome.response, counts: { ...outcome.counts, ...counts } };
}

/** Pushes `events` to their accounts' connections; an account whose connections cannot be listed waits. */
async function pushEvents(
  events: BatchEvent[],
  deps: BroadcastDeps,
  counts: BroadcastCounts,
): Promise<EventOutcome[]> {
  const byAccount = new Map<string, StoredEvent[]>();
  for (const { event } of events) {
    byAccount.set(event.account_id, [...(byAccount.get(event.account_id) ?? []), event]);
  }

  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const unlisted = new Map<string, string>();
  const deliveries: { connectionId: string; frames: string[] }[] = [];
  for (const [accountId, accountEvents] of byAccount) {
    let connections: ConnectionItem[];
    try {
      connections = await connectionsOf(accountId, deps);
    } catch (error) {
      const { name, message } = errorSummary(error);
      unlisted.set(accountId, `connections not listed: ${name}: ${message}`);
      continue;
    }
    for (const connection of connections) {
      // TTL deletion lags by up to days; an expired connection is closed by API Gateway already.
      if (connection.expiresAt <= nowSeconds) continue;
      const wanted = connection.types?.length ? new Set(connection.types) : undefined;
      const selected = wanted ? accountEvents.filter((event) => wanted.has(event.type)) : accountEvents;
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
          deps.log.warn('post to connection failed', {
            connectionId: delivery.connectionId,
            error: errorSummary(error),
          });
        }
        return;
      }
    }
  });
  return events.map(({ event }) => {
    const reason = unlisted.get(event.account_id);
    return reason ? { kind: 'transient', reason } : { kind: 'done' };
  });
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
    deps.log.warn('could not delete gone connection', { connectionId, error: errorSummary(error) });
  }
}
