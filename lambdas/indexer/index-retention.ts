/**
 * Retention of the daily event indices: the indexer deletes those past the data horizon, so their number
 * is bounded whatever accounts send and however long the pipeline runs.
 *
 * Why: every UTC day with an event is an index of one shard, and a node holds at most
 * `cluster.max_shards_per_node` (1,000) shards. Kept forever, the daily indices reached it after ~2.7
 * years on the default single node (sooner when one account backfills a year at once); from then on
 * OpenSearch refuses to create the next day's index, and every account's events of that day wait. Kept
 * 401 days, the event indices are at most ~404 (401 past days, today, one day of clock skew ahead),
 * leaving room for the registry and for growth. Nothing the API can serve is deleted: the stats API
 * answers for 400 days at most (the rollups' data horizon), and admission takes no event older than 365
 * days. See docs/decisions.md "Daily indices are kept 401 days".
 */
import { errorSummary } from '../shared/error-summary.js';
import type { Log } from '../shared/logger.js';
import { eventsIndexName } from './index-template.js';
import type { SearchApi } from './search-api.js';

const DAY_MS = 24 * 3600 * 1000;
/** Days of event indices kept before today: the stats API's 400-day data horizon and a day of margin. */
export const EVENT_INDEX_RETENTION_DAYS = 401;
/** How many expired days pruning deletes at once: an indexer idle for a month leaves older ones behind. */
const DAYS_PRUNED = 31;

/** What a process remembers between batches about event index retention. */
export interface EventIndexRetention {
  /** The UTC day (days since the epoch) whose expired event indices this process has deleted. */
  prunedDay?: number;
}

/** The daily event indices past retention at `now`, newest first; deleting a missing one is a no-op. */
export function expiredEventIndices(prefix: string, now: number): string[] {
  const newestExpired = Math.floor(now / DAY_MS) - EVENT_INDEX_RETENTION_DAYS - 1;
  const names: string[] = [];
  for (let day = newestExpired; day > newestExpired - DAYS_PRUNED; day -= 1) {
    names.push(eventsIndexName(prefix, new Date(day * DAY_MS)));
  }
  return names;
}

/**
 * Deletes the event indices past retention, once per UTC day per process. Best effort: on failure it is
 * tried again with the next batch, and the events are indexed regardless.
 */
export async function pruneEventIndices(
  search: SearchApi,
  prefix: string,
  now: number,
  retention: EventIndexRetention,
  log: Log,
): Promise<void> {
  const day = Math.floor(now / DAY_MS);
  if (retention.prunedDay === day) return;
  if (await deleteExpired(search, expiredEventIndices(prefix, now), 'event indices', log)) {
    retention.prunedDay = day;
  }
}

/**
 * Deletes the indices `names`, past retention (a missing one is no error); whether it did. Best effort:
 * a failure is logged, and the caller tries again with a later batch.
 */
export async function deleteExpired(
  search: SearchApi,
  names: string[],
  what: string,
  log: Log,
): Promise<boolean> {
  try {
    await search.indices.delete({ index: names, ignore_unavailable: true }, { requestTimeout: 5_000 });
    log.info(`${what} past retention deleted`, { through: names[0] });
    return true;
  } catch (error) {
    log.warn(`could not delete ${what} past retention`, { error: errorSummary(error) });
    return false;
  }
}
