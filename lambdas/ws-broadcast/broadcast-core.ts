/**
 * Live push: stream records -> the WebSocket connections of their account, filtered by each
 * connection's subscription (types and users), in frames of at most 32 KB (`frames.ts`), with bounded
 * concurrency and a time limit per post (`fan-out.ts`).
 *
 * Best effort by design: the durable path is the indexer. A failed post is logged and does not fail
 * the batch, because a redelivery would repeat every frame already pushed to every other connection.
 * A 410 Gone deletes the connection.
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DeleteCommand, type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { errorSummary } from '../shared/error-summary.js';
import type { StoredEvent } from '../shared/event-schema.js';
import { batchResponse, decodeRecord, type KinesisStreamBatchResponse } from '../shared/kinesis-records.js';
import type { Log } from '../shared/logger.js';
import { BY_ACCOUNT_INDEX, type ConnectionItem } from './connections.js';
import { DEFAULT_FAN_OUT, type Delivery, deliver, type FanOutSettings, planDeliveries } from './fan-out.js';

export interface BroadcastDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  management: ApiGatewayManagementApiClient;
  now: () => Date;
  log: Log;
  /** Concurrency, post timeout and frame limit; default `DEFAULT_FAN_OUT`. */
  fanOut?: Partial<FanOutSettings>;
}

export interface BroadcastCounts {
  frames: number;
  gone: number;
  postFailures: number;
  /** Posts given up after the post timeout (the connection's later frames of the batch are skipped). */
  timedOut: number;
  /** Events too large for a frame, pushed in their truncated form. */
  truncated: number;
}

export interface BroadcastOutcome {
  response: KinesisStreamBatchResponse;
  counts: BroadcastCounts;
}

/** Pushes a batch of stream records to the subscribed connections. Never reports failures. */
export async function broadcastRecords(
  records: KinesisStreamRecord[],
  deps: BroadcastDeps,
): Promise<BroadcastOutcome> {
  const settings = { ...DEFAULT_FAN_OUT, ...deps.fanOut };
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
  const deliveries: Delivery[] = [];
  let truncated = 0;
  for (const [accountId, events] of byAccount) {
    let connections: ConnectionItem[];
    try {
      connections = await connectionsOf(accountId, deps);
    } catch (error) {
      deps.log.error('could not list connections; skipping live push for the account', {
        accountId,
        error: errorSummary(error),
      });
      continue;
    }
    const plan = planDeliveries(connections, events, nowSeconds, settings.maxFrameBytes);
    deliveries.push(...plan.deliveries);
    truncated += plan.truncated;
  }

  const delivered = await deliver(deliveries, {
    management: deps.management,
    log: deps.log,
    forget: (connectionId) => forget(connectionId, deps),
    settings,
  });
  const counts: BroadcastCounts = { ...delivered, truncated };
  if (truncated > 0) deps.log.info('events too large for a frame were pushed truncated', { truncated });
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
    deps.log.warn('could not delete gone connection', { connectionId, error: errorSummary(error) });
  }
}
