/**
 * Real faults on the local stack's OpenSearch, caused through its own API: a write block on the event
 * indices (and the registry's), closing them, and an index whose mapping refuses a field. Each returns
 * the way back, for a `finally`.
 */
import { localStack } from './local-stack-client.js';

/** Every index the indexer writes: `events-<day>` and `events_registry-<period>`. */
const EVENT_INDICES = 'events*';

async function openSearch(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${localStack().opensearchUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`OpenSearch ${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Sets `index.blocks.write` on the event and registry indices; returns how to lift it. */
export async function blockWrites(): Promise<() => Promise<void>> {
  await openSearch('PUT', `/${EVENT_INDICES}/_settings`, { 'index.blocks.write': true });
  return async () => {
    await openSearch('PUT', `/${EVENT_INDICES}/_settings`, { 'index.blocks.write': null });
  };
}

/** Closes the event and registry indices; returns how to open them again. */
export async function closeIndices(): Promise<() => Promise<void>> {
  await openSearch('POST', `/${EVENT_INDICES}/_close`);
  return async () => {
    await openSearch('POST', `/${EVENT_INDICES}/_open?wait_for_active_shards=1`);
  };
}

/**
 * Creates the daily index of `day` (`YYYY.MM.DD`) with `value` mapped as a boolean, so every event of
 * that day carrying a number in `value` is refused with a mapping error. Returns how to delete it.
 */
export async function refuseValuesOn(day: string): Promise<() => Promise<void>> {
  const index = `events-${day}`;
  await openSearch('PUT', `/${index}`, { mappings: { properties: { value: { type: 'boolean' } } } });
  return async () => {
    await openSearch('DELETE', `/${index}`);
  };
}
