/**
 * Measures, for the bystander accounts' events, how long after the client's 202 each event became
 * searchable (a realtime `_mget` of its document finds it) and counted (its dedupe marker exists): it
 * polls what is still pending every `intervalMs`, so a lag is known to within that interval. A poll that
 * times out (OpenSearch paused) is simply skipped.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SentEvent } from '../../cli/load/load-core.js';
import { markersOf } from '../../cli/sink-state.js';
import { eventsIndexName } from '../../lambdas/indexer/index-template.js';
import { OPENSEARCH } from '../../lib/topology.js';
import { localDynamoDb } from '../../local/services/local-clients.js';
import { localStack } from '../helpers/local-stack-client.js';

interface Tracked {
  key: string;
  accountId: string;
  eventId: string;
  index: string;
  tag: string;
  answeredAt: number;
  indexedAt?: number;
  countedAt?: number;
}

export interface LagStats {
  events: number;
  p50: number;
  p99: number;
  max: number;
  /** Events not seen at all (yet). */
  unseen: number;
}

const POLL_TIMEOUT_MS = 3_000;

export class LagProbe {
  private readonly tracked = new Map<string, Tracked>();
  private readonly dynamo = DynamoDBDocumentClient.from(
    localDynamoDb(localStack().dynamodbUrl, { region: localStack().region, maxAttempts: 1 }),
  );
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;

  /** Starts following an accepted event. */
  track(event: SentEvent): void {
    if (event.status !== 'accepted') return;
    const key = `${event.account_id}:${event.event_id}`;
    this.tracked.set(key, {
      key,
      accountId: event.account_id,
      eventId: event.event_id,
      index: eventsIndexName(OPENSEARCH.eventsIndexPrefix, event.timestamp),
      tag: event.tag ?? 'all',
      answeredAt: event.answered_at,
    });
  }

  start(intervalMs = 2_000): void {
    const tick = () => {
      this.polling = this.poll().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, intervalMs);
      });
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
    this.dynamo.destroy();
  }

  /** Whether every tracked event answered by `at` has been seen searchable and counted. */
  settledBefore(at: number): boolean {
    return [...this.tracked.values()].every(
      (event) => event.answeredAt > at || (event.indexedAt && event.countedAt),
    );
  }

  /** Lag statistics of `what`, in seconds, for the events of `tag` (all tags when omitted). */
  stats(what: 'indexed' | 'counted', tag?: string): LagStats {
    const events = [...this.tracked.values()].filter((event) => tag === undefined || event.tag === tag);
    const lags = events
      .map((event) => (what === 'indexed' ? event.indexedAt : event.countedAt))
      .flatMap((at, index) => (at === undefined ? [] : [(at - (events[index] as Tracked).answeredAt) / 1000]))
      .sort((a, b) => a - b);
    const pick = (share: number) =>
      lags[Math.min(lags.length - 1, Math.max(0, Math.ceil(share * lags.length) - 1))] ?? 0;
    return {
      events: events.length,
      p50: pick(0.5),
      p99: pick(0.99),
      max: lags[lags.length - 1] ?? 0,
      unseen: events.length - lags.length,
    };
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    const pendingIndexed = [...this.tracked.values()].filter((event) => !event.indexedAt);
    const pendingCounted = [...this.tracked.values()].filter((event) => !event.countedAt);
    await Promise.allSettled([this.pollIndexed(pendingIndexed, now), this.pollCounted(pendingCounted, now)]);
  }

  private async pollIndexed(pending: Tracked[], now: number): Promise<void> {
    if (pending.length === 0) return;
    const response = await fetch(`${localStack().opensearchUrl}/_mget?_source=false`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ docs: pending.map((event) => ({ _index: event.index, _id: event.key })) }),
      signal: AbortSignal.timeout(POLL_TIMEOUT_MS),
    });
    if (!response.ok) return;
    const { docs = [] } = (await response.json()) as { docs?: { _id: string; found?: boolean }[] };
    for (const doc of docs) {
      const event = this.tracked.get(doc._id);
      if (doc.found && event && !event.indexedAt) event.indexedAt = now;
    }
  }

  private async pollCounted(pending: Tracked[], now: number): Promise<void> {
    if (pending.length === 0) return;
    const markers = await markersOf(this.dynamo, localStack().rollupsTableName, pending);
    for (const key of markers.keys()) {
      const event = this.tracked.get(key);
      if (event && !event.countedAt) event.countedAt = now;
    }
  }
}
