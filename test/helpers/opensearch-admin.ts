/**
 * What an operator (or a fault) does to the local OpenSearch through its own API: index settings and
 * state, and indices made wrong on purpose.
 */
import { randomInt } from 'node:crypto';
import { eventsIndexName } from '../../lambdas/indexer/index-template.js';
import { OPENSEARCH } from '../../lib/topology.js';
import { localStack } from './local-stack-client.js';

/** The event index of `at`'s UTC day; today's by default (where events stamped now are written). */
export function eventsIndex(at: Date | string = new Date()): string {
  return eventsIndexName(OPENSEARCH.eventsIndexPrefix, at);
}

/** One request to the local OpenSearch; throws on any status but 2xx (and 404 when `allow404`). */
export async function openSearchRequest(
  method: string,
  path: string,
  body?: unknown,
  allow404 = false,
): Promise<number> {
  const response = await fetch(`${localStack().opensearchUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok && !(allow404 && response.status === 404)) {
    throw new Error(`OpenSearch ${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  }
  return response.status;
}

/** `index.blocks.write` on or off: every write to the index fails with a cluster block (403). The index is
 * created first (by the template, as the indexer's first write would) when it does not exist yet. */
export async function setWriteBlock(index: string, on: boolean): Promise<void> {
  if (!(await indexExists(index))) await openSearchRequest('PUT', `/${index}`);
  await openSearchRequest('PUT', `/${index}/_settings`, { 'index.blocks.write': on });
}

/** Closes or reopens the index: every write to it fails with `index_closed_exception` (400). */
export async function setIndexClosed(index: string, closed: boolean): Promise<void> {
  await openSearchRequest('POST', `/${index}/${closed ? '_close' : '_open'}`);
  if (!closed) await openSearchRequest('GET', `/_cluster/health/${index}?wait_for_status=yellow&timeout=60s`);
}

/**
 * Creates `index` with `user_id` mapped as a number, as a careless operator might: every event of that day
 * fails to index (`mapper_parsing_exception`) until the index is deleted and made again by the template.
 */
export async function createMisMappedIndex(index: string): Promise<void> {
  await openSearchRequest('PUT', `/${index}`, { mappings: { properties: { user_id: { type: 'long' } } } });
}

export async function deleteIndex(index: string): Promise<void> {
  await openSearchRequest('DELETE', `/${index}`, undefined, true);
}

/** Whether the index exists. */
export async function indexExists(index: string): Promise<boolean> {
  return (await openSearchRequest('HEAD', `/${index}`, undefined, true)) !== 404;
}

/** Every index the indexer writes: `events-<day>` and `events_registry-<period>`. */
const EVENT_INDICES = 'events*';

/** Sets `index.blocks.write` on every event and registry index; returns how to lift it. */
export async function blockWrites(): Promise<() => Promise<void>> {
  await openSearchRequest('PUT', `/${EVENT_INDICES}/_settings`, { 'index.blocks.write': true });
  return async () => {
    await openSearchRequest('PUT', `/${EVENT_INDICES}/_settings`, { 'index.blocks.write': null });
  };
}

/** Closes every event and registry index; returns how to open them again. */
export async function closeIndices(): Promise<() => Promise<void>> {
  await openSearchRequest('POST', `/${EVENT_INDICES}/_close`);
  return async () => {
    await openSearchRequest('POST', `/${EVENT_INDICES}/_open?wait_for_active_shards=1`);
  };
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * A day 35-85 days ago (inside ingest's backfill horizon, before any day other tests post to) whose
 * event index does not exist yet, so a test may make it wrong on purpose without touching another's.
 */
export async function anUnusedPastDay(): Promise<Date> {
  for (;;) {
    const day = new Date(Date.now() - randomInt(35, 86) * DAY_MS);
    if (!(await indexExists(eventsIndex(day)))) return day;
  }
}
