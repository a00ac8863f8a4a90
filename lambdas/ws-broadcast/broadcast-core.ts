/**
 * Live push: stream records -> the WebSocket connections of their account, filtered by each
 * connection's subscription (types and users), in frames of at most 32 KB (`frames.ts`), with bounded
 * concurrency and a time limit per post (`fan-out.ts`).
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
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
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
import { forgetConnection } from './connection-leases.js';
import { BY_ACCOUNT_INDEX, type ConnectionItem } from './connections.js';
import { DEFAULT_FAN_OUT, type Delivery, deliver, type FanOutSettings, planDeliveries } from './fan-out.js';
import { behindMs, type LoadShedder } from './load-shedding.js';

/**
 * Accounts whose connections are listed at once: one Query each, so a batch of 100 events from 100
 * accounts took 100 round trips in a row (a few ms each on AWS, ~50 locally), and a shard's live push
 * fell behind as the accounts sending to it grew in number, whatever their events.
 */
const LISTING_CONCURRENCY = 16;

export interface BroadcastDeps extends ConsumerDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  management: ApiGatewayManagementApiClient;
  now: () => Date;
  /** Concurrency, post timeout and frame limit; default `DEFAULT_FAN_OUT`. */
  fanOut?: Partial<FanOutSettings>;
  /** Sheds heavy accounts' frames from late batches (`load-shedding.ts`); one per function instance. */
  shedder: LoadShedder;
}

export interface BroadcastCounts {
  frames: number;
  gone: number;
  postFailures: number;
  /** Posts given up after the post timeout (the connection's later frames of the batch are skipped). */
  timedOut: number;
  /** Events too large for a frame, pushed in their truncated form. */
  truncated: number;
  /** Frames not posted because the invocation's deadline came first. */
  skipped: number;
  /** Frames of heavy accounts not posted because the batch was late (`load-shedding.ts`). */
  shed: number;
}

export interface BroadcastOutcome {
  response: KinesisStreamBatchResponse;
  counts: BroadcastCounts & ConsumerCounts;
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
  const settings = { ...DEFAULT_FAN_OUT, ...deps.fanOut };
  const counts: BroadcastCounts = {
    frames: 0,
    gone: 0,
    postFailures: 0,
    timedOut: 0,
    truncated: 0,
    skipped: 0,
    shed: 0,
  };
  const sink: Sink = {
    metrics: { done: METRIC.pushed, duplicate: METRIC.alreadyPushed },
    apply: (events, until) => pushEvents(events, deps, settings, counts, until),
  };
  const outcome = await consumeBatch(records, sink, deps, deadline);
  if (counts.skipped > 0) {
    deps.log.warn('frames skipped: the deadline came before every connection got its frames', {
      skipped: counts.skipped,
    });
  }
  if (counts.truncated > 0) {
    deps.log.info('events too large for a frame were pushed truncated', { truncated: counts.truncated });
  }
  deps.log.info('batch broadcast', { records: records.length, ...counts });
  return { response: outcome.response, counts: { ...outcome.counts, ...counts } };
}

/** Pushes `events` to their accounts' connections; an account whose connections cannot be listed waits. */
async function pushEvents(
  events: BatchEvent[],
  deps: BroadcastDeps,
  settings: FanOutSettings,
  counts: BroadcastCounts,
  deadline: number,
): Promise<EventOutcome[]> {
  const byAccount = new Map<string, StoredEvent[]>();
  for (const { event } of events) {
    const accountEvents = byAccount.get(event.account_id) ?? [];
    accountEvents.push(event);
    byAccount.set(event.account_id, accountEvents);
  }

  const now = deps.now().getTime();
  const nowSeconds = Math.floor(now / 1000);
  const late = behindMs(
    events.map(({ event }) => event.received_at),
    now,
  );
  const { shedder } = deps;
  const unlisted = new Map<string, string>();
  const byAccountDeliveries: Delivery[][] = [];
  let shedUnlisted = 0;
  const listable: [string, StoredEvent[]][] = [];
  for (const [accountId, accountEvents] of byAccount) {
    // An account shed a moment ago while still behind: not even its connections are listed (a query
    // of up to 200 items per batch is itself what a late broadcaster cannot afford).
    if (shedder.stillShedding(accountId, late, now)) shedUnlisted += accountEvents.length;
    else listable.push([accountId, accountEvents]);
  }
  const listed: (ConnectionItem[] | undefined)[] = [];
  await forEachWithConcurrency(listable, LISTING_CONCURRENCY, async ([accountId], index) => {
    try {
      listed[index] = await connectionsOf(accountId, deps);
    } catch (error) {
      const { name, message } = errorSummary(error);
      unlisted.set(accountId, `connections not listed: ${name}: ${message}`);
    }
  });
  listable.forEach(([, accountEvents], index) => {
    const connections = listed[index];
    if (!connections) return;
    const plan = planDeliveries(connections, accountEvents, nowSeconds, settings.maxFrameBytes);
    byAccountDeliveries.push(plan.deliveries);
    counts.truncated += plan.truncated;
  });

  const planned = shedder.shed(byAccountDeliveries, late, now);
  if (planned.shedFrames + shedUnlisted > 0) {
    counts.shed += planned.shedFrames + shedUnlisted;
    deps.log.warn('live push behind: frames of heavy accounts dropped', {
      behindMs: late,
      frames: planned.shedFrames,
      eventsNotListed: shedUnlisted,
      accounts: planned.shedAccounts.slice(0, 10),
    });
  }
  const delivered = await deliver(takeTurns(planned.deliveries), {
    management: deps.management,
    log: deps.log,
    forget: (connectionId, accountId) => forget(connectionId, accountId, deps),
    settings,
    until: { deadline, now: deps.timing.now },
  });
  counts.frames += delivered.frames;
  counts.gone += delivered.gone;
  counts.postFailures += delivered.postFailures;
  counts.timedOut += delivered.timedOut;
  counts.skipped += delivered.skipped;
  return events.map(({ event }) => {
    const reason = unlisted.get(event.account_id);
    return reason ? { kind: 'transient', reason } : { kind: 'done' };
  });
}

/**
 * The accounts' deliveries in turns, one connection of each account at a time: an account with thousands
 * of connections must not make another account's viewers wait behind all of them.
 */
function takeTurns(byAccount: Delivery[][]): Delivery[] {
  const turns: Delivery[] = [];
  const longest = byAccount.reduce((most, deliveries) => Math.max(most, deliveries.length), 0);
  for (let turn = 0; turn < longest; turn += 1) {
    for (const deliveries of byAccount) {
      const delivery = deliveries[turn];
      if (delivery) turns.push(delivery);
    }
  }
  return turns;
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

async function forget(connectionId: string, accountId: string, deps: BroadcastDeps): Promise<void> {
  try {
    // Its lease too: a connection gone without `$disconnect` must not hold a place under the limit.
    await forgetConnection(deps, connectionId, accountId);
  } catch (error) {
    // TTL removes it eventually; the next broadcast retries the delete on the next 410.
    deps.log.warn('could not delete gone connection', { connectionId, error: errorSummary(error) });
  }
}
