/**
 * The request bodies of bench:ingest: batches of 500 events of about 500 bytes each, shaped like
 * product analytics (ids, a path, a timestamp, a handful of properties, one nested), every one valid,
 * so the handler does all of its work on every event.
 */
import { randomUUID } from 'node:crypto';

const TYPES = ['page_view', 'click', 'signup', 'purchase', 'search'];
const PLANS = ['free', 'pro', 'team', 'enterprise'];

/** One event of about 500 bytes of JSON. */
function event(index: number, at: number): Record<string, unknown> {
  const type = TYPES[index % TYPES.length] as string;
  return {
    event_id: randomUUID(),
    type,
    timestamp: new Date(at - (index % 600) * 1000).toISOString(),
    user_id: `user-${index % 997}`,
    anonymous_id: `anon-${(index * 7919) % 100_003}`,
    session_id: `sess-${Math.floor(index / 20)}`,
    path: `/products/${index % 251}/reviews?page=${index % 9}`,
    ...(type === 'purchase' ? { value: (index % 1000) / 10 } : {}),
    properties: {
      referrer: `https://search.example.com/?q=item+${index % 137}`,
      browser: { name: 'Firefox', version: `${120 + (index % 8)}.0`, mobile: index % 3 === 0 },
      plan: PLANS[index % PLANS.length],
      experiment: `exp-${index % 13}`,
      tags: ['alpha', 'beta', `t${index % 5}`],
    },
  };
}

/** `count` bodies of `events` events each, as a client sends them (`{"events": [...]}`). */
export function benchBodies(count: number, events = 500, now = Date.now()): string[] {
  return Array.from({ length: count }, (_, body) =>
    JSON.stringify({
      events: Array.from({ length: events }, (_, index) => event(body * events + index, now)),
    }),
  );
}
