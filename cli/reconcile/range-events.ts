/**
 * The events of an account in a time range, when there is no file of ids: every document of the account
 * stamped in `[from, to)` (paged with `search_after` on a total order, so none is skipped or repeated),
 * and every event of the account that a consumer dead-lettered with a timestamp in the range.
 */
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { eventKey } from '../../lambdas/shared/event-schema.js';
import type { Letter } from '../dead-letters/letters.js';
import type { RunEvent } from './run-events.js';

const PAGE = 5_000;

export async function accountEventsInRange(
  opensearch: OpenSearchClient,
  prefix: string,
  letters: Letter[],
  range: { accountId: string; from: number; to: number },
): Promise<RunEvent[]> {
  const found = new Map<string, RunEvent>();
  const add = (eventId: string, timestamp: string) => {
    const key = eventKey({ account_id: range.accountId, event_id: eventId });
    if (!found.has(key))
      found.set(key, {
        accountId: range.accountId,
        eventId,
        key,
        status: 'accepted',
        tag: 'range',
        timestamp,
      });
  };
  let after: (string | number)[] | undefined;
  for (;;) {
    const { body } = await opensearch.search({
      index: `${prefix}-*`,
      expand_wildcards: ['open', 'closed'],
      allow_no_indices: true,
      body: {
        size: PAGE,
        _source: ['event_id', 'timestamp'],
        query: {
          bool: {
            filter: [
              { term: { account_id: range.accountId } },
              {
                range: {
                  timestamp: {
                    gte: new Date(range.from).toISOString(),
                    lt: new Date(range.to).toISOString(),
                  },
                },
              },
            ],
          },
        },
        sort: [{ timestamp: 'asc' }, { event_id: 'asc' }],
        ...(after ? { search_after: after } : {}),
      },
    });
    const hits = body.hits.hits;
    for (const hit of hits) {
      const source = hit._source as { event_id?: string; timestamp?: string } | undefined;
      if (source?.event_id && source.timestamp) add(source.event_id, source.timestamp);
    }
    if (hits.length < PAGE) break;
    after = hits[hits.length - 1]?.sort as (string | number)[] | undefined;
    if (!after) break;
  }
  for (const letter of letters) {
    if (letter.kind !== 'event' || letter.event.account_id !== range.accountId) continue;
    const at = Date.parse(letter.event.timestamp);
    if (at >= range.from && at < range.to) add(letter.event.event_id, letter.event.timestamp);
  }
  return [...found.values()];
}
