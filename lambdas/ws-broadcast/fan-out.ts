/**
 * Fan-out of one account's events to its connections: which frames each connection gets (its
 * subscription, frames built once per distinct subscription), then the posts, with at most
 * `concurrency` in flight and a time limit per post, so one slow or dead connection holds one lane for
 * at most `postTimeoutMs` and never delays the others beyond that. A connection's frames go in order;
 * after a failure or a timeout the rest of its frames are dropped (the page fills the gap from
 * `/events`), and a 410 Gone forgets the connection. No post starts after the invocation's deadline: an
 * account with thousands of connections must not run the function into its timeout, which would fail
 * the batch and repeat every frame to every connection (the frames left are skipped and counted).
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { forEachWithConcurrency } from '../shared/concurrency.js';
import { errorSummary } from '../shared/error-summary.js';
import type { StoredEvent } from '../shared/event-schema.js';
import type { Log } from '../shared/logger.js';
import {
  CONNECTING_SECONDS,
  type ConnectionItem,
  isGone,
  matchesSubscription,
  postFrame,
  subscriptionKey,
} from './connections.js';
import { type FrameEvent, frameEvent, MAX_FRAME_BYTES, packFrames } from './frames.js';

export interface FanOutSettings {
  /** Posts in flight at once, across connections. */
  concurrency: number;
  /** How long one post may take before its connection is given up for this batch. */
  postTimeoutMs: number;
  maxFrameBytes: number;
}

/**
 * 25 posts in flight: a post takes tens of milliseconds, so 100 viewers get a batch in about 0.1 s, and
 * 25 slow connections must all time out at once before a healthy one waits.
 */
export const DEFAULT_FAN_OUT: FanOutSettings = {
  concurrency: 25,
  postTimeoutMs: 2000,
  maxFrameBytes: MAX_FRAME_BYTES,
};

/** The frames one connection gets, in order. */
export interface Delivery {
  connectionId: string;
  /** The connection's account, whose lease a 410 releases. */
  accountId: string;
  /** Connected less than `CONNECTING_SECONDS` ago: a 410 does not forget it. */
  connecting: boolean;
  frames: string[];
}

/**
 * Which frames each live connection gets: the events its subscription matches, batched into frames.
 * `truncated` counts the events pushed in their truncated form (once per event, not per connection).
 */
export function planDeliveries(
  connections: readonly ConnectionItem[],
  events: readonly StoredEvent[],
  nowSeconds: number,
  maxFrameBytes: number = MAX_FRAME_BYTES,
): { deliveries: Delivery[]; truncated: number } {
  const serialized = new Map<StoredEvent, FrameEvent>();
  const framesBySubscription = new Map<string, string[]>();
  const deliveries: Delivery[] = [];
  for (const connection of connections) {
    // TTL deletion lags by up to days; an expired connection is closed by API Gateway already.
    if (connection.expiresAt <= nowSeconds) continue;
    const key = subscriptionKey(connection);
    let frames = framesBySubscription.get(key);
    if (!frames) {
      const selected = events.filter((event) => matchesSubscription(connection, event));
      frames = packFrames(
        selected.map((event) => {
          let framed = serialized.get(event);
          if (!framed) {
            framed = frameEvent(event, maxFrameBytes);
            serialized.set(event, framed);
          }
          return framed;
        }),
        maxFrameBytes,
      );
      framesBySubscription.set(key, frames);
    }
    if (frames.length > 0) {
      const { connectionId, accountId, connectedAt } = connection;
      const connecting = Date.parse(connectedAt) / 1000 > nowSeconds - CONNECTING_SECONDS;
      deliveries.push({ connectionId, accountId, connecting, frames });
    }
  }
  const truncated = [...serialized.values()].filter((framed) => framed.truncated).length;
  return { deliveries, truncated };
}

export interface DeliveryDeps {
  management: ApiGatewayManagementApiClient;
  log: Log;
  /** Forgets a connection that answered 410 Gone (and releases its lease under the account's limit). */
  forget: (connectionId: string, accountId: string) => Promise<void>;
  settings: Pick<FanOutSettings, 'concurrency' | 'postTimeoutMs'>;
  /** No post starts at or after `deadline` (epoch ms, by `now`), and none runs past it. */
  until?: { deadline: number; now: () => number };
}

export interface DeliveryCounts {
  frames: number;
  gone: number;
  postFailures: number;
  timedOut: number;
  /** Frames not posted because the deadline came first. */
  skipped: number;
}

/** Posts every delivery; never throws (live push is best effort, the durable path is the indexer). */
export async function deliver(deliveries: readonly Delivery[], deps: DeliveryDeps): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { frames: 0, gone: 0, postFailures: 0, timedOut: 0, skipped: 0 };
  const left = () => (deps.until ? deps.until.deadline - deps.until.now() : Number.POSITIVE_INFINITY);
  // One lane per connection keeps its frames in order; lanes of different connections run in parallel.
  await forEachWithConcurrency(
    deliveries,
    deps.settings.concurrency,
    async ({ connectionId, accountId, connecting, frames }) => {
      for (const [position, frame] of frames.entries()) {
        if (left() <= 0) {
          counts.skipped += frames.length - position;
          return;
        }
        try {
          const outcome = await postWithin(
            deps,
            connectionId,
            frame,
            Math.min(deps.settings.postTimeoutMs, left()),
          );
          if (outcome === 'timeout') {
            counts.timedOut += 1;
            deps.log.warn('post to connection timed out; skipping it for this batch', {
              connectionId,
              timeoutMs: deps.settings.postTimeoutMs,
            });
            return;
          }
          counts.frames += 1;
        } catch (error) {
          if (isGone(error)) {
            counts.gone += 1;
            if (!connecting) await deps.forget(connectionId, accountId);
          } else {
            counts.postFailures += 1;
            deps.log.warn('post to connection failed', { connectionId, error: errorSummary(error) });
          }
          return;
        }
      }
    },
  );
  return counts;
}

/** Posts one frame, or gives up (and aborts the request) after the post timeout. */
async function postWithin(
  deps: DeliveryDeps,
  connectionId: string,
  frame: string,
  timeoutMs: number,
): Promise<'ok' | 'timeout'> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    // Raced as well as aborted: whatever the client does with the signal, the lane is free on time.
    return await Promise.race([
      postFrame(deps.management, connectionId, frame, controller.signal).then(() => 'ok' as const),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
