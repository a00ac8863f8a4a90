/**
 * The live feed's events: deduplicated by `event_id` (the live push may repeat an event after a retry,
 * and gap filling from `/events` overlaps what was pushed), newest first, at most `capacity` kept; and
 * the view of them: filtered by type and user, frozen while paused.
 */
import { type LiveEvent, userOf } from './types.js';

export interface FeedFilter {
  /** Exact event type; empty for all. */
  type: string;
  /** Part of the user id, any case; empty for all. */
  user: string;
}

export const NO_FILTER: FeedFilter = { type: '', user: '' };

/**
 * Newest first: by receipt (the server's clock), then by timestamp, then by id (a total order, so views
 * are stable). Not by timestamp first: clients stamp events up to an hour ahead, and 500 events of one
 * client whose clock is fast would hold the whole feed, every event that arrives after them cut off.
 * Both are UTC ISO strings as the server writes them, so they compare as strings.
 */
function newestFirst(a: LiveEvent, b: LiveEvent): number {
  return (
    (b.received_at ?? b.timestamp).localeCompare(a.received_at ?? a.timestamp) ||
    b.timestamp.localeCompare(a.timestamp) ||
    b.event_id.localeCompare(a.event_id)
  );
}

export function matchesFilter(event: LiveEvent, filter: FeedFilter): boolean {
  if (filter.type && event.type !== filter.type) return false;
  if (!filter.user) return true;
  return (userOf(event) ?? '').toLowerCase().includes(filter.user.trim().toLowerCase());
}

export class Feed {
  #events: LiveEvent[] = [];
  readonly #seen = new Set<string>();
  /** Ids in the order they were first seen, to forget the oldest when the set is full. */
  readonly #seenOrder: string[] = [];
  #paused: LiveEvent[] | undefined;
  #arrivedWhilePaused = 0;

  constructor(
    readonly capacity = 500,
    readonly memory = 10_000,
  ) {}

  /** Adds events; returns those not seen before (what counters and the chart should count). */
  add(events: readonly LiveEvent[]): LiveEvent[] {
    const fresh: LiveEvent[] = [];
    for (const event of events) {
      if (typeof event?.event_id !== 'string' || this.#seen.has(event.event_id)) continue;
      this.#remember(event.event_id);
      fresh.push(event);
    }
    if (fresh.length === 0) return fresh;
    this.#events = [...fresh, ...this.#events].sort(newestFirst).slice(0, this.capacity);
    if (this.#paused) this.#arrivedWhilePaused += fresh.length;
    return fresh;
  }

  /** The newest event's timestamp (ms), if any. */
  newestTimestamp(): number | undefined {
    const newest = this.#events[0];
    return newest ? Date.parse(newest.timestamp) : undefined;
  }

  /** Every event type in the feed, for the type filter. */
  types(): string[] {
    return [...new Set(this.#events.map((event) => event.type))].sort();
  }

  /** What the feed shows: the filtered events (as they were when paused, while paused), at most `limit`. */
  view(filter: FeedFilter, limit = 100): LiveEvent[] {
    return (this.#paused ?? this.#events).filter((event) => matchesFilter(event, filter)).slice(0, limit);
  }

  get paused(): boolean {
    return this.#paused !== undefined;
  }

  /** New events since the feed was paused. */
  get arrivedWhilePaused(): number {
    return this.#arrivedWhilePaused;
  }

  pause(): void {
    this.#paused ??= this.#events;
    this.#arrivedWhilePaused = 0;
  }

  resume(): void {
    this.#paused = undefined;
    this.#arrivedWhilePaused = 0;
  }

  #remember(id: string): void {
    this.#seen.add(id);
    this.#seenOrder.push(id);
    if (this.#seenOrder.length > this.memory) {
      for (const old of this.#seenOrder.splice(0, this.#seenOrder.length - this.memory))
        this.#seen.delete(old);
    }
  }
}
