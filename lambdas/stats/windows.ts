/**
 * The time windows the stats API answers for, resolved from the query against `now`, and checked
 * against what the rollups can hold: minute precision for the last 31 days, whole hours for 400 days.
 */

import { dateParam, given, instantParam, invalid, iso, type Query } from './query-params.js';
import { DATA_HORIZON_MS, MINUTE_PRECISION_HORIZON_MS } from './rollup-model.js';
import { bucketStart, DAY_MS, type Granularity, HOUR_MS, isAligned, MINUTE_MS } from './time-buckets.js';

/** Sliding windows ending now; `all` is everything the rollups keep. */
export const SUMMARY_WINDOWS = {
  last_1h: HOUR_MS,
  last_24h: DAY_MS,
  last_7d: 7 * DAY_MS,
  last_30d: 30 * DAY_MS,
  all: DATA_HORIZON_MS,
} as const;
export type SummaryWindow = keyof typeof SUMMARY_WINDOWS;
export const DEFAULT_WINDOW: SummaryWindow = 'last_24h';
/** How far ahead of now an explicit `to` may reach. */
export const MAX_TO_AHEAD_MS = DAY_MS;

/**
 * A resolved window `[from, to)`. With `openEnd` (windows ending now) the rollups are read up to now
 * plus the accepted clock skew, so an event stamped slightly ahead of now counts at once.
 */
export interface ResolvedWindow {
  /** `last_24h`, ..., `date` or `range`. */
  name: SummaryWindow | 'date' | 'range';
  from: number;
  to: number;
  openEnd: boolean;
}

/**
 * `window`, or `from` (+ `to`), or `date`: at most one of the three forms; none means `last_24h`.
 * Sliding windows start at the first whole minute inside them: `last_1h` at 10:37:20 is 09:38-now.
 */
export function resolveSummaryWindow(query: Query, now: number): ResolvedWindow {
  const forms = ['window', 'from', 'date'].filter((name) => given(query, name));
  if (forms.length > 1)
    invalid(forms[1] as string, `cannot be combined with ${forms[0]}: give one of window, from/to, date`);
  if (given(query, 'to') && !given(query, 'from')) invalid('to', 'needs from');
  if (given(query, 'date')) {
    const day = dateParam(query, 'date') as number;
    checkHorizon('date', day + DAY_MS, now);
    if (day > now + MAX_TO_AHEAD_MS) invalid('date', 'is in the future');
    return { name: 'date', from: day, to: day + DAY_MS, openEnd: false };
  }
  if (given(query, 'from')) {
    const from = edge(query, 'from', now) as number;
    const to = edge(query, 'to', now);
    if (to !== undefined && to <= from) invalid('to', 'must be after from');
    // Without `to` the window ends now: a later `from` would be a window that ends before it starts.
    if (to === undefined && from >= now) {
      invalid('from', `is not before now (${iso(now)}); a window without to ends now, so give to as well`);
    }
    return to === undefined
      ? { name: 'range', from, to: now, openEnd: true }
      : { name: 'range', from, to, openEnd: false };
  }
  const name = (query.window ?? DEFAULT_WINDOW) as SummaryWindow;
  if (!Object.hasOwn(SUMMARY_WINDOWS, name)) {
    invalid(
      'window',
      `must be one of ${Object.keys(SUMMARY_WINDOWS).join(', ')}; got "${name.slice(0, 64)}"`,
      {
        allowed: Object.keys(SUMMARY_WINDOWS),
      },
    );
  }
  const from =
    name === 'all'
      ? bucketStart(now - DATA_HORIZON_MS, 'month')
      : Math.ceil((now - SUMMARY_WINDOWS[name]) / MINUTE_MS) * MINUTE_MS;
  return { name, from, to: now, openEnd: true };
}

/** A minute-precision `from`/`to` the rollups can answer exactly. */
function edge(query: Query, name: 'from' | 'to', now: number): number | undefined {
  const at = instantParam(query, name, true);
  if (at === undefined) return undefined;
  checkHorizon(name, at, now);
  if (at > now + MAX_TO_AHEAD_MS) invalid(name, 'is more than 1 day ahead of now');
  if (!isAligned(at, 'hour') && at < now - MINUTE_PRECISION_HORIZON_MS) {
    invalid(
      name,
      `minute precision is kept for 31 days; before ${iso(now - MINUTE_PRECISION_HORIZON_MS)} use a whole hour`,
    );
  }
  return at;
}

/** Rejects an instant at or before which the rollups keep nothing. */
function checkHorizon(name: string, at: number, now: number): void {
  const earliest = now - DATA_HORIZON_MS;
  if (at <= earliest) {
    invalid(
      name,
      `is outside the data horizon: rollups are kept 400 days, so it must be after ${iso(earliest)}`,
    );
  }
}

/** Points of a timeseries at most. */
export const MAX_SERIES_POINTS = 1440;
/** Default span of a timeseries, in intervals. */
const DEFAULT_POINTS: Record<SeriesInterval, number> = { minute: 60, hour: 24, day: 30 };
export type SeriesInterval = Extract<Granularity, 'minute' | 'hour' | 'day'>;
export const SERIES_INTERVALS: readonly SeriesInterval[] = ['minute', 'hour', 'day'];

/**
 * `from`/`to` of a timeseries, aligned to `interval`. Defaults: the last 60 minutes, 24 hours or 30
 * days, the current interval included.
 */
export function resolveSeriesRange(
  query: Query,
  interval: SeriesInterval,
  now: number,
): { from: number; to: number } {
  const step = interval === 'minute' ? MINUTE_MS : interval === 'hour' ? HOUR_MS : DAY_MS;
  const current = bucketStart(now, interval) + step;
  const to = instantParam(query, 'to', true) ?? current;
  const from = instantParam(query, 'from', true) ?? to - DEFAULT_POINTS[interval] * step;
  for (const [name, at] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!isAligned(at, interval)) invalid(name, `must be on a whole ${interval} for interval=${interval}`);
    checkHorizon(name, at + (name === 'from' ? step : 0), now);
    if (at > now + MAX_TO_AHEAD_MS) invalid(name, 'is more than 1 day ahead of now');
  }
  if (to <= from) {
    // Name the parameter the caller gave: a default `to` is the end of the current interval.
    if (given(query, 'to')) invalid('to', 'must be after from');
    invalid('from', `must be before to, which defaults to the end of the current ${interval} (${iso(to)})`);
  }
  if (interval === 'minute' && from < now - MINUTE_PRECISION_HORIZON_MS) {
    invalid(
      'from',
      `minute buckets are kept for 31 days; use interval=hour before ${iso(now - MINUTE_PRECISION_HORIZON_MS)}`,
    );
  }
  if ((to - from) / step > MAX_SERIES_POINTS) {
    invalid(
      given(query, 'to') ? 'to' : 'from',
      `the series would have ${(to - from) / step} points; at most ${MAX_SERIES_POINTS} per request`,
    );
  }
  return { from, to };
}
