/**
 * One event, one document: the registry remembers, per event key (`account_id:event_id`), the timestamp
 * of the first version indexed, hence its daily index. A resend of the event with a timestamp on another
 * day is then recognised and not indexed a second time. The first version wins, as in the rollups,
 * which count the first delivery.
 *
 * A registration is a small document (`event_id`, `account_id`, `timestamp`, `received_at`) with the
 * event key as `_id`, created with `create` (a 409 if it exists) before the event's own document and read
 * back with a realtime `_mget` (a search sees only refreshed documents). Registrations live in indices
 * named by the 8-day period of the event's receipt time, `<prefix>_registry-<first day>`, outside the
 * `<prefix>-*` pattern that searches use. Retention: periods older than three are deleted, so the
 * registry holds at most a month of keys. Window: a resend received within 8 days of the first version
 * (the rollup markers' lifetime) is always recognised. See docs/decisions.md for the crash analysis.
 */
import type { Log } from '../shared/logger.js';
import { deleteExpired } from './index-retention.js';
import { registryIndexPattern, utcDay } from './index-template.js';
import { classifyBulkItem, type ItemOutcome } from './opensearch-errors.js';
import type { MgetDoc, RequestOptions, SearchApi } from './search-api.js';

const DAY_MS = 24 * 3600 * 1000;
/** Length of one registry period: also the dedupe window a resend is always recognised within. */
export const REGISTRY_PERIOD_DAYS = 8;
const PERIOD_MS = REGISTRY_PERIOD_DAYS * DAY_MS;
/** Clocks of different ingest containers may disagree a little about which receipt came first. */
const RECEIPT_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Periods kept: the current one and the two before it (a record is at most ~7 days old). */
const PERIODS_KEPT = 3;
/** How far back pruning looks for periods to delete (an indexer idle for months leaves older ones). */
const PERIODS_PRUNED = 12;

/** The registration of an event, as stored: what tells its first version apart from a later one. */
export interface Registration {
  event_id: string;
  account_id: string;
  timestamp: string;
  received_at: string;
}

/** Number of the 8-day period (counted from the epoch) that `at` falls in. */
export function registryPeriod(at: string | Date | number): number {
  return Math.floor(new Date(at).getTime() / PERIOD_MS);
}

/** Registry index of a period, named by its first day: `events_registry-2026.01.09`. */
export function registryIndexName(prefix: string, period: number): string {
  return registryIndexPattern(prefix).replace('*', utcDay(period * PERIOD_MS));
}

/** Where an event received at `receivedAt` is registered. */
export function registrationIndex(prefix: string, receivedAt: string): string {
  return registryIndexName(prefix, registryPeriod(receivedAt));
}

/**
 * The registry indices that may hold an earlier version of an event received at `receivedAt`: the
 * periods of every receipt time from one window before it to a clock skew after it.
 */
export function registryIndicesToRead(prefix: string, receivedAt: string): string[] {
  const at = Date.parse(receivedAt);
  const first = registryPeriod(at - PERIOD_MS);
  const last = registryPeriod(at + RECEIPT_CLOCK_SKEW_MS);
  const names: string[] = [];
  for (let period = first; period <= last; period += 1) names.push(registryIndexName(prefix, period));
  return names;
}

/** Registry indices past retention at `now`, oldest last; deleting a missing one is a no-op. */
export function expiredRegistryIndices(prefix: string, now: number): string[] {
  const current = registryPeriod(now);
  const names: string[] = [];
  for (let period = current - PERIODS_KEPT; period > current - PERIODS_KEPT - PERIODS_PRUNED; period -= 1) {
    names.push(registryIndexName(prefix, period));
  }
  return names;
}

/** An event to look up or register: its key (the `_id` of both its registration and its document). */
export interface RegistryItem {
  key: string;
  event: Registration;
}

/** What the registry knows of an event: its first version, nothing, or (on an error) not yet. */
export type Lookup =
  | { kind: 'registered'; timestamp: string }
  | { kind: 'unregistered' }
  | { kind: 'unknown'; reason: string };

/**
 * Reads the registrations of `items` in one realtime `_mget`. A registry index that does not exist yet
 * holds nothing; any other per-document error leaves that item `unknown` (retry it). Throws when the
 * request fails as a whole.
 */
export async function lookUpRegistrations(
  search: SearchApi,
  prefix: string,
  items: RegistryItem[],
  options: RequestOptions,
): Promise<Lookup[]> {
  const docs: MgetDoc[] = [];
  const ranges = items.map((item) => {
    const start = docs.length;
    for (const index of registryIndicesToRead(prefix, item.event.received_at)) {
      docs.push({ _index: index, _id: item.key, _source: ['timestamp'] });
    }
    return { start, end: docs.length };
  });
  if (docs.length === 0) return [];
  const { body } = await search.mget({ body: { docs } }, options);
  return ranges.map(({ start, end }) => {
    // Oldest period first: should a key be registered twice, the earlier registration wins.
    for (const doc of body.docs.slice(start, end)) {
      if (doc.found && typeof doc._source?.timestamp === 'string') {
        return { kind: 'registered', timestamp: doc._source.timestamp };
      }
    }
    for (const doc of body.docs.slice(start, end)) {
      if (doc.error && doc.error.type !== 'index_not_found_exception') {
        return { kind: 'unknown', reason: `registry lookup failed: ${doc.error.type ?? 'error'}` };
      }
    }
    return { kind: 'unregistered' };
  });
}

/**
 * Registers `items` as first versions with one `_bulk` of `create`s. A 409 means another delivery
 * registered the key in the meantime. Throws when the request fails as a whole.
 */
export async function register(
  search: SearchApi,
  prefix: string,
  items: RegistryItem[],
  options: RequestOptions,
): Promise<ItemOutcome[]> {
  if (items.length === 0) return [];
  const body = items.flatMap(({ key, event }) => [
    { create: { _index: registrationIndex(prefix, event.received_at), _id: key } },
    {
      event_id: event.event_id,
      account_id: event.account_id,
      timestamp: event.timestamp,
      received_at: event.received_at,
    },
  ]);
  const response = await search.bulk({ body }, options);
  return items.map((_, position) => classifyBulkItem(response.body.items?.[position]?.create));
}

/** What a process remembers between batches about registry retention. */
export interface RegistryRetention {
  /** The period whose expired registry indices this process has deleted. */
  prunedPeriod?: number;
}

/**
 * Deletes the registry indices past retention, once per period per process (a missing one is no error).
 * Best effort: on failure it is tried again with the next batch, and the events are indexed regardless.
 */
export async function pruneRegistry(
  search: SearchApi,
  prefix: string,
  now: number,
  retention: RegistryRetention,
  log: Log,
): Promise<void> {
  const period = registryPeriod(now);
  if (retention.prunedPeriod === period) return;
  if (await deleteExpired(search, expiredRegistryIndices(prefix, now), 'registry periods', log)) {
    retention.prunedPeriod = period;
  }
}
