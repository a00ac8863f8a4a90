/**
 * UTC time buckets of the rollups (minute, hour, day, month) and the cover of a window by the fewest
 * aligned buckets. Pure arithmetic on epoch milliseconds; the rollup model names the items.
 */

export type Granularity = 'minute' | 'hour' | 'day' | 'month';

/** Coarsest first: the cover takes the coarsest bucket that fits. */
export const GRANULARITIES: readonly Granularity[] = ['month', 'day', 'hour', 'minute'];

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** A bucket: its granularity and the epoch milliseconds it starts at. */
export interface Bucket {
  granularity: Granularity;
  start: number;
}

/** Start of the bucket of `granularity` that holds `at`. */
export function bucketStart(at: number, granularity: Granularity): number {
  switch (granularity) {
    case 'minute':
      return Math.floor(at / MINUTE_MS) * MINUTE_MS;
    case 'hour':
      return Math.floor(at / HOUR_MS) * HOUR_MS;
    case 'day':
      return Math.floor(at / DAY_MS) * DAY_MS;
    case 'month': {
      const date = new Date(at);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    }
  }
}

/** Start of the bucket after the one starting at `start`. */
export function nextBucketStart(start: number, granularity: Granularity): number {
  switch (granularity) {
    case 'minute':
      return start + MINUTE_MS;
    case 'hour':
      return start + HOUR_MS;
    case 'day':
      return start + DAY_MS;
    case 'month': {
      const date = new Date(start);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    }
  }
}

/** Whether a bucket of `granularity` starts at `at`. */
export function isAligned(at: number, granularity: Granularity): boolean {
  return bucketStart(at, granularity) === at;
}

/** The buckets of every granularity that hold `at` (what one event updates). */
export function bucketsOf(at: number): Bucket[] {
  return GRANULARITIES.map((granularity) => ({ granularity, start: bucketStart(at, granularity) }));
}

/**
 * The fewest aligned buckets that cover `[from, to)` exactly, coarsest first where it fits. With
 * `openEnd`, the last buckets may reach past `to` (a sliding window ending now: nothing is stamped
 * after now plus the accepted clock skew, so they hold nothing more). `from` must be minute-aligned.
 *
 * Sizes: a closed window needs at most 59 + 23 + 30 minute, hour and day buckets on each side plus
 * one per whole month; an open one at most 59 + 23 + 30 + 2.
 */
export function coverWindow(from: number, to: number, openEnd: boolean): Bucket[] {
  if (!isAligned(from, 'minute')) throw new Error('a window starts on a whole minute');
  const buckets: Bucket[] = [];
  let at = from;
  while (at < to) {
    const granularity = GRANULARITIES.find(
      (candidate) => isAligned(at, candidate) && (openEnd || nextBucketStart(at, candidate) <= to),
    ) as Granularity;
    buckets.push({ granularity, start: at });
    at = nextBucketStart(at, granularity);
  }
  return buckets;
}

/** The consecutive buckets of one granularity from `from` (aligned) to before `to`. */
export function seriesBuckets(from: number, to: number, granularity: Granularity): Bucket[] {
  const buckets: Bucket[] = [];
  for (let at = from; at < to; at = nextBucketStart(at, granularity))
    buckets.push({ granularity, start: at });
  return buckets;
}
