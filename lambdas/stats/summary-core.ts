/**
 * `GET /v1/accounts/{accountId}/summary`: totals, types, unique users and top lists of a window, from
 * the fewest rollup buckets that cover it (see `coverWindow`).
 */
import { NotFoundError } from '../shared/http.js';
import { ALLOW_EMPTY_PARAM, allowsEmpty, integerParam, iso, type Query } from './query-params.js';
import { RollupState } from './rollup-model.js';
import { mergeAll, type RollupReadDeps, readBucketSlices } from './rollup-reader.js';
import { HEAVY_HITTERS_CAPACITY } from './sketches/heavy-hitters.js';
import { HLL_ERROR_BOUND } from './sketches/hyperloglog.js';
import { coverWindow } from './time-buckets.js';
import { type ResolvedWindow, resolveSummaryWindow } from './windows.js';

export const SUMMARY_PARAMS = ['window', 'from', 'to', 'date', 'limit', ALLOW_EMPTY_PARAM] as const;
export const DEFAULT_TOP_LIMIT = 10;

export interface ValueStats {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** The summary body (README "Stats API" documents each field). */
export interface Summary {
  account_id: string;
  window: ResolvedWindow['name'];
  from: string;
  to: string;
  total_events: number;
  totals_by_type: Record<string, number>;
  values_by_type: Record<string, ValueStats>;
  unique_users: number;
  /** Relative error bound of `unique_users` (HyperLogLog, about 2.5 standard errors). */
  unique_users_error: number;
  top_users: { user_id: string; events: number }[];
  top_paths: { path: string; views: number }[];
  /** How far below the true count any count of a top list may be (0: exact). */
  top_error: { users: number; paths: number };
  limit: number;
}

/** Serves a summary request whose parameters are in `query`. */
export async function summarize(
  accountId: string,
  query: Query,
  deps: RollupReadDeps & { now: () => number },
): Promise<Summary> {
  const now = deps.now();
  const window = resolveSummaryWindow(query, now);
  const limit = integerParam(query, 'limit', 1, HEAVY_HITTERS_CAPACITY, DEFAULT_TOP_LIMIT);
  const allowEmpty = allowsEmpty(query);
  const end = window.openEnd ? window.to + deps.maxFutureMs : window.to;
  // Merged a slice at a time (up to 237 buckets times the shards; see `READ_SLICE_BUCKETS`).
  const merged = new RollupState();
  for await (const slice of readBucketSlices(
    accountId,
    coverWindow(window.from, end, window.openEnd),
    deps,
  )) {
    merged.merge(mergeAll(slice.rollups));
  }
  const total = merged.total();
  if (total === 0 && !allowEmpty)
    throw new NotFoundError(
      `no events for account ${accountId} from ${iso(window.from)} to ${iso(window.to)}`,
    );

  const types = [...merged.types.types].sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : 1));
  // Built with fromEntries, never `object[type] = …`: a type may be `__proto__` (it matches the pattern),
  // which an assignment would turn into the object's prototype instead of an entry.
  const valuesByType: Record<string, ValueStats> = Object.fromEntries(
    types.flatMap(([type, entry]) => {
      const values = entry.value.toResponse();
      return values ? [[type, values]] : [];
    }),
  );
  return {
    account_id: accountId,
    window: window.name,
    from: iso(window.from),
    to: iso(window.to),
    total_events: total,
    totals_by_type: Object.fromEntries(types.map(([type, entry]) => [type, entry.count])),
    values_by_type: valuesByType,
    unique_users: merged.users.estimate(),
    unique_users_error: HLL_ERROR_BOUND,
    top_users: merged.topUsers.top(limit).map(({ key, count }) => ({ user_id: key, events: count })),
    top_paths: merged.topPaths.top(limit).map(({ key, count }) => ({ path: key, views: count })),
    top_error: { users: merged.topUsers.error, paths: merged.topPaths.error },
    limit,
  };
}
