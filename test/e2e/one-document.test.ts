/**
 * One event, one document, against the real local OpenSearch: a resend of an event with a timestamp on
 * another day is accepted by ingest (which keeps no state), and the indexer keeps the first version as
 * the only document, as the rollups count it once.
 */
import { describe, expect, it } from 'vitest';
import { accountDocuments, documentsOnceIndexed } from '../helpers/ingest-client.js';
import {
  eventually,
  givenAnAccount,
  localStack,
  postEvents,
  someEvents,
} from '../helpers/local-stack-client.js';
import { countOnceCounted } from '../helpers/rollup-counts.js';

const DAY_MS = 24 * 3600 * 1000;

describe('one event, one document', () => {
  it("keeps the first version when the event is resent with another day's timestamp", async () => {
    // Given an event from two days ago, indexed
    const account = await givenAnAccount();
    const [event] = someEvents(1, { timestamp: new Date(Date.now() - 2 * DAY_MS).toISOString() });
    const first = await postEvents(account.writeKey, [event]);
    expect(first.status).toBe(202);
    await documentsOnceIndexed(account.accountId, 1);

    // When the client resends it with today's timestamp and other properties, then sends another event
    const resend = { ...event, timestamp: new Date().toISOString(), properties: { version: 2 } };
    const [sentinel] = someEvents(1);
    const second = await postEvents(account.writeKey, [resend]);
    await postEvents(account.writeKey, [sentinel]);

    // Then ingest accepts the resend (it cannot know)…
    expect(second.status).toBe(202);
    expect(second.body.accepted).toBe(1);
    // …and once the event behind it is indexed, the first version is still the only document.
    const documents = await eventually(
      () => accountDocuments(account.accountId),
      (docs) => docs.some((doc) => doc.source.event_id === sentinel?.event_id),
    );
    const copies = documents.filter((doc) => doc.source.event_id === event?.event_id);
    expect(copies).toHaveLength(1);
    expect(copies[0]?.source).toMatchObject({ timestamp: new Date(String(event?.timestamp)).toISOString() });
    expect(copies[0]?.source.properties).toEqual(event?.properties);
    expect(copies[0]?.index).toBe(`events-${String(event?.timestamp).slice(0, 10).replaceAll('-', '.')}`);
    // The rollups agree: two events.
    expect(await countOnceCounted(account.accountId, 2)).toBe(2);
  });

  it('keeps its registrations outside the indices that searches read', async () => {
    // Given an indexed event
    const account = await givenAnAccount();
    const [event] = someEvents(1);
    await postEvents(account.writeKey, [event]);
    await documentsOnceIndexed(account.accountId, 1);

    // When the registry is read
    const { opensearchUrl } = localStack();
    const key = `${account.accountId}:${event?.event_id}`;
    await fetch(`${opensearchUrl}/events_registry-*/_refresh`, { method: 'POST' });
    const response = await fetch(`${opensearchUrl}/events_registry-*/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: { ids: { values: [key] } } }),
    });
    const hits = ((await response.json()) as { hits: { hits: { _index: string }[] } }).hits.hits;

    // Then the event is registered there, in an index `events-*` does not match
    expect(hits).toHaveLength(1);
    expect(hits[0]?._index).toMatch(/^events_registry-\d{4}\.\d{2}\.\d{2}$/);
  });
});
