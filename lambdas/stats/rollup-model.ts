/**
 * The rollups table's entities and their keys. This module alone knows the key layout:
 * - `pk = ACC#<account>`, `sk = H#<YYYY-MM-DDTHH>`: hourly rollup (UTC hour of the event timestamp)
 * - `pk = ACC#<account>`, `sk = D#<YYYY-MM-DD>`: daily rollup
 * - `pk = ACC#<account>`, `sk = EVT#<event_id>`: dedupe marker of an applied event, expiring by TTL
 *
 * A rollup item holds `total` (N), one top-level counter per event type named `type:<type>` (N), and
 * `users` (SS: user_id, else anonymous_id). Counters are updated with `ADD`, which is atomic but not
 * idempotent, which is why every increment is fenced by the markers (see `rollup-core.ts`).
 */
import type { StoredEvent } from '../shared/event-schema.js';

/** How long a dedupe marker lives: longer than the stream's retention plus a client's retry horizon. */
export const MARKER_TTL_SECONDS = 8 * 24 * 3600;

export const TYPE_ATTRIBUTE_PREFIX = 'type:';

export type RollupGranularity = 'hour' | 'day';

export interface TableKey {
  pk: string;
  sk: string;
}

/** A rollup as the application sees it. */
export interface Rollup {
  accountId: string;
  granularity: RollupGranularity;
  /** `YYYY-MM-DDTHH` (hour) or `YYYY-MM-DD` (day), UTC. */
  bucket: string;
  total: number;
  byType: Record<string, number>;
  users: Set<string>;
}

/** Partition key of everything of an account. */
export function accountPk(accountId: string): string {
  return `ACC#${accountId}`;
}

/** UTC bucket of a timestamp at the given granularity. */
export function bucketOf(timestamp: string | Date, granularity: RollupGranularity): string {
  const iso = new Date(timestamp).toISOString();
  return granularity === 'hour' ? iso.slice(0, 13) : iso.slice(0, 10);
}

/** Key of a rollup item. */
export function rollupKey(accountId: string, granularity: RollupGranularity, bucket: string): TableKey {
  return { pk: accountPk(accountId), sk: `${granularity === 'hour' ? 'H' : 'D'}#${bucket}` };
}

/** Sort-key bounds of the hourly items from the hour of `from` to the hour of `to`, inclusive. */
export function hourlySortKeyRange(from: Date, to: Date): { low: string; high: string } {
  return { low: `H#${bucketOf(from, 'hour')}`, high: `H#${bucketOf(to, 'hour')}` };
}

/** Key of an event's dedupe marker. */
export function markerKey(event: Pick<StoredEvent, 'account_id' | 'event_id'>): TableKey {
  return { pk: accountPk(event.account_id), sk: `EVT#${event.event_id}` };
}

/** The dedupe marker item of an event applied at `now`. */
export function markerItem(event: Pick<StoredEvent, 'account_id' | 'event_id'>, now: Date) {
  return { ...markerKey(event), expiresAt: Math.floor(now.getTime() / 1000) + MARKER_TTL_SECONDS };
}

/** The user an event counts for in `users`: its user id, else its anonymous id. */
export function userOf(event: Pick<StoredEvent, 'user_id' | 'anonymous_id'>): string | undefined {
  return event.user_id ?? event.anonymous_id;
}

/** The full item of a rollup (seeding and tests; the writer only ever increments). */
export function toItem(rollup: Rollup): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...rollupKey(rollup.accountId, rollup.granularity, rollup.bucket),
    total: rollup.total,
  };
  for (const [type, count] of Object.entries(rollup.byType)) item[`${TYPE_ATTRIBUTE_PREFIX}${type}`] = count;
  if (rollup.users.size > 0) item.users = new Set(rollup.users);
  return item;
}

/** Reads a rollup item back; returns `undefined` for items that are not rollups (markers). */
export function fromItem(item: Record<string, unknown>): Rollup | undefined {
  const { pk, sk } = item;
  if (typeof pk !== 'string' || typeof sk !== 'string' || !pk.startsWith('ACC#')) return undefined;
  const granularity = sk.startsWith('H#') ? 'hour' : sk.startsWith('D#') ? 'day' : undefined;
  if (!granularity) return undefined;
  const byType: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(TYPE_ATTRIBUTE_PREFIX))
      byType[name.slice(TYPE_ATTRIBUTE_PREFIX.length)] = Number(value);
  }
  const users = item.users instanceof Set ? new Set([...item.users].map(String)) : new Set<string>();
  return {
    accountId: pk.slice('ACC#'.length),
    granularity,
    bucket: sk.slice(2),
    total: Number(item.total ?? 0),
    byType,
    users,
  };
}

/** What a group of events adds to one rollup item. */
export interface RollupIncrement {
  key: TableKey;
  total: number;
  byType: Map<string, number>;
  users: Set<string>;
}

/** Sums events into one increment per affected rollup item (hourly and daily). */
export function incrementsFor(events: StoredEvent[]): RollupIncrement[] {
  const byKey = new Map<string, RollupIncrement>();
  for (const event of events) {
    for (const granularity of ['hour', 'day'] as const) {
      const key = rollupKey(event.account_id, granularity, bucketOf(event.timestamp, granularity));
      const id = `${key.pk}|${key.sk}`;
      let increment = byKey.get(id);
      if (!increment) {
        increment = { key, total: 0, byType: new Map(), users: new Set() };
        byKey.set(id, increment);
      }
      increment.total += 1;
      increment.byType.set(event.type, (increment.byType.get(event.type) ?? 0) + 1);
      const user = userOf(event);
      if (user) increment.users.add(user);
    }
  }
  return [...byKey.values()];
}

/** The `UpdateItem` parameters that ADD one increment to its item. */
export function toUpdate(increment: RollupIncrement) {
  const names: Record<string, string> = { '#total': 'total' };
  const values: Record<string, unknown> = { ':total': increment.total };
  const adds = ['#total :total'];
  let n = 0;
  for (const [type, count] of increment.byType) {
    names[`#t${n}`] = `${TYPE_ATTRIBUTE_PREFIX}${type}`;
    values[`:t${n}`] = count;
    adds.push(`#t${n} :t${n}`);
    n += 1;
  }
  // DynamoDB rejects an empty set, so `users` is only added when there is someone to add.
  if (increment.users.size > 0) {
    names['#users'] = 'users';
    values[':users'] = increment.users;
    adds.push('#users :users');
  }
  return {
    Key: increment.key,
    UpdateExpression: `ADD ${adds.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
