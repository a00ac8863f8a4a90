/**
 * The thin path through the whole system, against the real local stack: a POSTed batch reaches
 * Kinesis, is indexed in OpenSearch, counted in the DynamoDB rollups (read through the stats API) and
 * pushed to a connected dashboard over WebSocket.
 */
import { describe, expect, it } from 'vitest';
import {
  connectDashboard,
  eventually,
  getSummary,
  givenAnAccount,
  postEvents,
  searchAccountEvents,
  someEvents,
} from '../helpers/local-stack-client.js';

describe('a batch of events, end to end', () => {
  it('is accepted, indexed, counted and pushed live to a connected dashboard', async () => {
    // Given an account with a dashboard connected over WebSocket
    const account = await givenAnAccount();
    const dashboard = await connectDashboard(account.readKey);
    const events = someEvents(25);

    // When it posts 25 events
    const response = await postEvents(account.writeKey, events);

    // Then all 25 are accepted…
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: 25, duplicates: 0, rejected: [] });

    // …searchable in OpenSearch, each once, with their properties…
    const indexed = await eventually(
      () => searchAccountEvents(account.accountId),
      (docs) => docs.length >= 25,
    );
    expect(indexed.map((doc) => doc.event_id).sort()).toEqual(events.map((event) => event.event_id).sort());
    expect(indexed[0]).toMatchObject({ account_id: account.accountId, received_at: expect.any(String) });

    // …counted in the rollups…
    const summary = await eventually(
      () => getSummary(account.accountId, account.readKey),
      (result) => result.status === 200 && result.body.total_events >= 25,
    );
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({
      total_events: 25,
      totals_by_type: { login: 9, page_view: 16 },
      unique_users: 5,
    });

    // …and pushed to the dashboard.
    const pushed = await eventually(
      async () => dashboard.events(),
      (received) => received.length >= 25,
    );
    expect(new Set(pushed.map((event) => event.event_id))).toEqual(
      new Set(events.map((event) => event.event_id)),
    );
    await dashboard.close();
  });

  it('does not duplicate documents or counts when a client retries the same batch', async () => {
    const account = await givenAnAccount();
    const events = someEvents(10);
    // A sentinel posted after the retry: the local stream has one shard, so once the sentinel is
    // counted, the retry before it has been through every consumer too.
    const [sentinel] = someEvents(1);

    const first = await postEvents(account.writeKey, events);
    const retry = await postEvents(account.writeKey, events);
    await postEvents(account.writeKey, [sentinel]);

    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    const indexed = await eventually(
      () => searchAccountEvents(account.accountId),
      (docs) => docs.some((doc) => doc.event_id === sentinel?.event_id),
    );
    const summary = await eventually(
      () => getSummary(account.accountId, account.readKey),
      (result) => result.status === 200 && result.body.total_events >= 11,
    );
    expect(indexed).toHaveLength(11);
    expect(summary.body.total_events).toBe(11);
  });

  it('accepts the valid events of a batch and names the field of each rejected one', async () => {
    const account = await givenAnAccount();
    const [valid] = someEvents(1);
    const invalid = { event_id: 'bad-1', type: 'Not A Valid Type!' };

    const response = await postEvents(account.writeKey, [valid, invalid]);

    expect(response.status).toBe(202);
    expect(response.body.accepted).toBe(1);
    expect(response.body.rejected).toEqual([
      expect.objectContaining({
        index: 1,
        event_id: 'bad-1',
        errors: [expect.objectContaining({ path: 'type' })],
      }),
    ]);
  });

  it("never lets one account's key read another account's data", async () => {
    const owner = await givenAnAccount();
    const intruder = await givenAnAccount();
    await postEvents(owner.writeKey, someEvents(1));

    const response = await getSummary(owner.accountId, intruder.readKey);

    expect(response.status).toBe(403);
  });
});
