/**
 * Counts that start from the stats API and then tick with the live push: events by type over the last
 * 24 hours (from `/summary`) and events per minute over the last hour (from `/timeseries`).
 *
 * Each refresh of the baseline (every minute, and after a reconnection) replaces the baseline and drops
 * what was added live before it, since the rollups the baseline is read from count those events too. An
 * event pushed in the second between the rollup writer counting it and the baseline being read is
 * counted twice until the next refresh; one missed the other way is missing until then. The live push
 * and the rollup writer read the same stream in parallel, so that window is about a second wide.
 */
import type { LiveEvent, Summary, Timeseries } from './types.js';

const MINUTE_MS = 60_000;

/** Events by type: the summary's `totals_by_type`, plus events pushed since it was read. */
export class TypeCounts {
  #baseline: Record<string, number> = {};
  #live = new Map<string, number>();

  setBaseline(summary: Pick<Summary, 'totals_by_type'>): void {
    this.#baseline = { ...summary.totals_by_type };
    this.#live.clear();
  }

  /** Counts new events (already deduplicated by the feed). */
  add(events: readonly LiveEvent[]): void {
    for (const event of events) this.#live.set(event.type, (this.#live.get(event.type) ?? 0) + 1);
  }

  /** Every type with its count, largest first. */
  counts(): [string, number][] {
    const merged = new Map(Object.entries(this.#baseline));
    for (const [type, count] of this.#live) merged.set(type, (merged.get(type) ?? 0) + count);
    return [...merged].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  }

  total(): number {
    return this.counts().reduce((sum, [, count]) => sum + count, 0);
  }
}

/** Events per minute over the last `minutes` minutes: `/timeseries?interval=minute`, plus live events. */
export class MinuteSeries {
  #baseline = new Map<number, number>();
  #live = new Map<number, number>();

  constructor(readonly minutes = 60) {}

  setBaseline(series: Pick<Timeseries, 'buckets'>): void {
    this.#baseline = new Map(series.buckets.map((bucket) => [Date.parse(bucket.start), bucket.events]));
    this.#live.clear();
  }

  /** Counts new events in the minute of their timestamp. */
  add(events: readonly LiveEvent[]): void {
    for (const event of events) {
      const at = Date.parse(event.timestamp);
      if (Number.isNaN(at)) continue;
      const minute = Math.floor(at / MINUTE_MS) * MINUTE_MS;
      this.#live.set(minute, (this.#live.get(minute) ?? 0) + 1);
    }
  }

  /** One point per minute, oldest first, ending with the minute of `now`. */
  points(now: number): { minute: number; events: number }[] {
    const last = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    return Array.from({ length: this.minutes }, (_, index) => {
      const minute = last - (this.minutes - 1 - index) * MINUTE_MS;
      return { minute, events: (this.#baseline.get(minute) ?? 0) + (this.#live.get(minute) ?? 0) };
    });
  }
}
