/**
 * `GET /v1/accounts/{accountId}/timeseries`: one point per minute, hour or day bucket, read from the
 * rollup buckets of that granularity.
 */
import { EVENT_TYPE_MAX_LENGTH, EVENT_TYPE_PATTERN } from '../shared/event-limits.js';
import { NotFoundError } from '../shared/http.js';
import { ALLOW_EMPTY_PARAM, allowsEmpty, choiceParam, iso, type Query, stringParam } from './query-params.js';
import { bucketLabel } from './rollup-model.js';
import { type BucketRollup, mergeAll, type RollupReadDeps, readBucketSlices } from './rollup-reader.js';
import type { ValueStats } from './summary-core.js';
import { type Bucket, seriesBuckets } from './time-buckets.js';
import { resolveSeriesRange, SERIES_INTERVALS, type SeriesInterval } from './windows.js';

export const TIMESERIES_PARAMS = ['interval', 'from', 'to', 'type', ALLOW_EMPTY_PARAM] as const;

export interface SeriesPoint {
  start: string;
  events: number;
  /** Unique users of the bucket (absent with `type`: users are not kept per type). */
  unique_users?: number;
  /** Aggregates of `value` over the bucket's events that carry one (of `type`, when given). */
  value?: ValueStats;
}

export interface Timeseries {
  account_id: string;
  interval: SeriesInterval;
  from: string;
  to: string;
  type?: string;
  buckets: SeriesPoint[];
}

/** Serves a timeseries request; every bucket of the range is a point, empty ones with 0 events. */
export async function timeseries(
  accountId: string,
  query: Query,
  deps: RollupReadDeps & { now: () => number },
): Promise<Timeseries> {
  const interval = choiceParam(query, 'interval', SERIES_INTERVALS, 'hour');
  const type = stringParam(query, 'type', EVENT_TYPE_MAX_LENGTH, EVENT_TYPE_PATTERN);
  const { from, to } = resolveSeriesRange(query, interval, deps.now());
  const allowEmpty = allowsEmpty(query);
  const buckets = seriesBuckets(from, to, interval);
  const points: SeriesPoint[] = [];
  for await (const slice of readBucketSlices(accountId, buckets, deps)) {
    points.push(...pointsOf(slice.buckets, slice.rollups, type));
  }
  const total = points.reduce((sum, point) => sum + point.events, 0);
  if (total === 0 && !allowEmpty) {
    throw new NotFoundError(
      `no ${type ? `${type} ` : ''}events for account ${accountId} from ${iso(from)} to ${iso(to)}`,
    );
  }
  return {
    account_id: accountId,
    interval,
    from: iso(from),
    to: iso(to),
    ...(type ? { type } : {}),
    buckets: points,
  };
}

/** One point per bucket of `buckets` (a slice of the series), from the sub-items read for them. */
function pointsOf(buckets: Bucket[], rollups: BucketRollup[], type: string | undefined): SeriesPoint[] {
  const byBucket = new Map<string, BucketRollup[]>();
  for (const rollup of rollups) {
    const label = bucketLabel(rollup.bucket);
    const shards = byBucket.get(label);
    if (shards) shards.push(rollup);
    else byBucket.set(label, [rollup]);
  }
  return buckets.map((bucket): SeriesPoint => {
    const shards = byBucket.get(bucketLabel(bucket));
    const state = shards && mergeAll(shards);
    const point: SeriesPoint = { start: iso(bucket.start), events: 0 };
    if (!state) return point;
    if (type === undefined) {
      point.events = state.total();
      point.unique_users = state.users.estimate();
      point.value = state.types.allValues().toResponse();
    } else {
      const entry = state.types.types.get(type);
      point.events = entry?.count ?? 0;
      point.value = entry?.value.toResponse();
    }
    if (point.value === undefined) delete point.value;
    return point;
  });
}
