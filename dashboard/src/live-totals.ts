/**
 * Counts that start from the stats API and then tick with the live push: events by type over the last
 * 24 hours (from `/summary`) and events per minute over the last hour (from `/timeseries`).
 *
 * The rollups a baseline is read from count the pushed events too, about a second after (or before)
 * the push: the live push and the rollup writer read the same stream in parallel. So a new baseline
 * replaces what was counted live up to `ROLLUP_LAG_MS` before its request was sent. Events that arrived
 * later may or may not be in it; they stay counted, and the baseline is `unsettled`, so the page reads
 * it again once the push has been quiet for a moment, when the answer is exact. A baseline that would
 * make a count go down is `behind` (the rollups lag more than usual) and is not taken, unless forced
 * (counts of the last 24 hours do go down, slowly, as old events leave the window).
 */
import type { LiveEvent, Summary, Timeseries } from './types.js';

/**
 * Types named at most, as the stats API names at most 100 in a summary and counts the rarest under
 * `(other)` (lambdas/stats/sketches/type-counts.ts): a type first seen beyond them is counted there too,
 * so an account sending thousands of distinct types keeps a page of at most 201 chips (a baseline's 101,
 * and up to 100 counted live before it came), not thousands.
 */
export const MAX_TYPES = 100;
/** The stats API's entry for the types it folded; parentheses are not allowed in event types. */
export const OTHER_TYPES = '(other)';

const MINUTE_MS = 60_000;
/** How far the rollups may lag the live push. */
export const ROLLUP_LAG_MS = 3_000;

/**
 * Live counts that arrived longer ago than this are kept as one: a baseline is asked for at most about a
 * minute before it is taken (the stats API's requests time out after 30 s, see `api.ts`), so it drops
 * them all alike. Without it, a page whose baselines keep failing (the stats API down, or the read key
 * at its rate limit) kept a slot per second: 4 hours of a live flood, 60 ms of counting per render.
 */
export const MERGED_AFTER_MS = 5 * 60_000;

/** Counts by key: a baseline read from the rollups, plus what arrived live since (by arrival second). */
export class LiveTally<K> {
  #baseline = new Map<K, number>();
  /** Live counts per arrival second (with the last arrival in it), oldest first. */
  #live: { second: number; lastAt: number; counts: Map<K, number> }[] = [];
  /** Every key counted, in the baseline or live. */
  #keys = new Set<K>();

  /**
   * Takes a baseline whose request was sent at `requestedAt`, unless it is behind (some count among
   * `compared` keys would go down) and not `forced`. `compared`: every key, or only the baseline's own
   * (a minute series: minutes that slid out of the window are not compared).
   */
  setBaseline(
    entries: Iterable<[K, number]>,
    requestedAt: number,
    { forced = false, compared = 'all' }: { forced?: boolean; compared?: 'all' | 'baseline' } = {},
  ): BaselineFit {
    const baseline = new Map(entries);
    const live = this.#live.filter((slot) => slot.lastAt > requestedAt - ROLLUP_LAG_MS);
    const current = new Map(this.entries());
    const candidate = new Map(merge(baseline, live));
    const keys = compared === 'all' ? new Set([...current.keys(), ...candidate.keys()]) : baseline.keys();
    const behind = [...keys].some((key) => (candidate.get(key) ?? 0) < (current.get(key) ?? 0));
    if (behind && !forced) return 'behind';
    this.#baseline = baseline;
    this.#live = live;
    this.#keys = new Set([...baseline.keys(), ...live.flatMap((slot) => [...slot.counts.keys()])]);
    return live.length > 0 ? 'unsettled' : 'settled';
  }

  add(key: K, arrivedAt: number): void {
    const second = Math.floor(arrivedAt / 1000);
    let slot = this.#live[this.#live.length - 1];
    if (!slot || slot.second !== second) {
      this.#mergeOld(arrivedAt - MERGED_AFTER_MS);
      slot = { second, lastAt: arrivedAt, counts: new Map() };
      this.#live.push(slot);
    }
    slot.lastAt = Math.max(slot.lastAt, arrivedAt);
    slot.counts.set(key, (slot.counts.get(key) ?? 0) + 1);
    this.#keys.add(key);
  }

  /** Slots of live counts kept (for tests). */
  get liveSlots(): number {
    return this.#live.length;
  }

  /** Merges the slots whose last arrival is before `before` into one, their latest. */
  #mergeOld(before: number): void {
    let old = 0;
    while (old < this.#live.length && (this.#live[old]?.lastAt ?? before) < before) old += 1;
    const latest = this.#live[old - 1];
    if (old < 2 || !latest) return;
    const counts = new Map(merge(new Map(), this.#live.slice(0, old)));
    this.#live.splice(0, old, { second: latest.second, lastAt: latest.lastAt, counts });
  }

  has(key: K): boolean {
    return this.#keys.has(key);
  }

  /** How many keys are counted. */
  get size(): number {
    return this.#keys.size;
  }

  get(key: K): number {
    return (
      (this.#baseline.get(key) ?? 0) + this.#live.reduce((sum, slot) => sum + (slot.counts.get(key) ?? 0), 0)
    );
  }

  entries(): [K, number][] {
    return merge(this.#baseline, this.#live);
  }
}

/** How a new baseline fits what is shown: see `LiveTally.setBaseline`. */
export type BaselineFit = 'settled' | 'unsettled' | 'behind';

function merge<K>(baseline: Map<K, number>, live: { counts: Map<K, number> }[]): [K, number][] {
  const merged = new Map(baseline);
  for (const slot of live) {
    for (const [key, count] of slot.counts) merged.set(key, (merged.get(key) ?? 0) + count);
  }
  return [...merged];
}

/** Events by type over the last 24 hours. */
export class TypeCounts {
  readonly #tally = new LiveTally<string>();

  /** See `LiveTally.setBaseline`. */
  setBaseline(summary: Pick<Summary, 'totals_by_type'>, requestedAt: number, forced = false): BaselineFit {
    return this.#tally.setBaseline(Object.entries(summary.totals_by_type), requestedAt, { forced });
  }

  /** Counts new events (already deduplicated by the feed); beyond `MAX_TYPES` types, new ones as `(other)`. */
  add(events: readonly LiveEvent[], arrivedAt: number): void {
    for (const event of events) {
      const named = this.#tally.size - (this.#tally.has(OTHER_TYPES) ? 1 : 0);
      const known = this.#tally.has(event.type) || named < MAX_TYPES;
      this.#tally.add(known ? event.type : OTHER_TYPES, arrivedAt);
    }
  }

  /** Every type with its count, largest first. */
  counts(): [string, number][] {
    return this.#tally.entries().sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  }

  total(): number {
    return this.#tally.entries().reduce((sum, [, count]) => sum + count, 0);
  }
}

/** Events per minute over the last `minutes` minutes, by the minute of each event's timestamp. */
export class MinuteSeries {
  readonly #tally = new LiveTally<number>();

  constructor(readonly minutes = 60) {}

  /** See `LiveTally.setBaseline`. */
  setBaseline(series: Pick<Timeseries, 'buckets'>, requestedAt: number, forced = false): BaselineFit {
    return this.#tally.setBaseline(
      series.buckets.map((bucket): [number, number] => [Date.parse(bucket.start), bucket.events]),
      requestedAt,
      { forced, compared: 'baseline' },
    );
  }

  add(events: readonly LiveEvent[], arrivedAt: number): void {
    for (const event of events) {
      const at = Date.parse(event.timestamp);
      if (!Number.isNaN(at)) this.#tally.add(Math.floor(at / MINUTE_MS) * MINUTE_MS, arrivedAt);
    }
  }

  /** One point per minute, oldest first, ending with the minute of `now`. */
  points(now: number): { minute: number; events: number }[] {
    const last = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    return Array.from({ length: this.minutes }, (_, index) => {
      const minute = last - (this.minutes - 1 - index) * MINUTE_MS;
      return { minute, events: this.#tally.get(minute) };
    });
  }
}
