/**
 * The benchmark's events: `count` events spread uniformly over the 30 days before `end`, in time order
 * (as a stream delivers them), with Zipf-distributed users (count / 10 of them) and paths (1,000),
 * seeded so every run sees the same data.
 */
import type { StoredEvent } from '../../lambdas/shared/event-schema.js';
import { seededRandom, zipfSampler } from '../../test/helpers/zipf.js';

export const SPAN_MS = 30 * 24 * 3600 * 1000;
const TYPES = [
  { type: 'page_view', weight: 0.6 },
  { type: 'click', weight: 0.2 },
  { type: 'login', weight: 0.1 },
  { type: 'purchase', weight: 0.1 },
] as const;

/** The type whose cumulative weight first exceeds `draw` (uniform in [0, 1)). */
function pickType(draw: number): string {
  let cumulative = 0;
  for (const { type, weight } of TYPES) {
    cumulative += weight;
    if (draw < cumulative) return type;
  }
  return 'page_view';
}

export interface Dataset {
  accountId: string;
  events: StoredEvent[];
  /** Epoch ms of each event, parallel to `events`. */
  times: Float64Array;
}

export function generateDataset(accountId: string, count: number, end: number, seed: number): Dataset {
  const random = seededRandom(seed);
  const users = Math.max(100, Math.round(count / 10));
  const drawUser = zipfSampler(users, 1, random);
  const drawPath = zipfSampler(1000, 1, random);
  const times = new Float64Array(count);
  for (let index = 0; index < count; index += 1)
    times[index] = Math.floor(end - SPAN_MS + random() * SPAN_MS);
  times.sort();
  const events: StoredEvent[] = new Array(count);
  for (let index = 0; index < count; index += 1) {
    const type = pickType(random());
    const timestamp = new Date(times[index] as number).toISOString();
    const event: StoredEvent = {
      event_id: `e${seed}-${index}`,
      account_id: accountId,
      type,
      timestamp,
      received_at: timestamp,
      user_id: `user-${drawUser()}`,
    };
    if (type === 'page_view' || type === 'click') event.path = `/page/${drawPath()}`;
    if (type === 'purchase') event.value = Math.round(random() * 10_000) / 100;
    events[index] = event;
  }
  return { accountId, events, times };
}

/** Exact answers over the events at or after `from`: the truth the rollup answer is compared with. */
export function exactSummary(dataset: Dataset, from: number) {
  let first = 0;
  let high = dataset.times.length;
  while (first < high) {
    const mid = (first + high) >> 1;
    if ((dataset.times[mid] as number) < from) first = mid + 1;
    else high = mid;
  }
  const users = new Map<string, number>();
  const paths = new Map<string, number>();
  for (let index = first; index < dataset.events.length; index += 1) {
    const event = dataset.events[index] as StoredEvent;
    if (event.user_id) users.set(event.user_id, (users.get(event.user_id) ?? 0) + 1);
    if (event.type === 'page_view' && event.path) paths.set(event.path, (paths.get(event.path) ?? 0) + 1);
  }
  return { total: dataset.events.length - first, uniqueUsers: users.size, users, paths };
}
