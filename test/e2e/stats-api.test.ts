/**
 * The stats API against the real local stack (DynamoDB Local rollups written by the real rollup
 * writer, OpenSearch searched by the real stats function): every read path, its parameters and its
 * answers, and exactly-once counts under a client resend and under a redelivered batch.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  eventually,
  givenAnAccount,
  type HttpResult,
  postEvents,
  someEvents,
} from '../helpers/local-stack-client.js';
import { getStats } from '../helpers/stats-client.js';

const summaryPath = (accountId: string) => `/v1/accounts/${accountId}/summary`;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

/** Polls the summary until it counts `total` events (or time is up), and returns it. */
async function summaryOnceCounted(
  account: { accountId: string; readKey: string },
  total: number,
  query: Record<string, string> = {},
): Promise<HttpResult> {
  return eventually(
    () => getStats(summaryPath(account.accountId), query, account.readKey),
    (result) => result.status === 200 && result.body.total_events >= total,
  );
}

describe('GET /v1/accounts/{id}/summary', () => {
  it('answers totals by type, values, unique users and top users and paths of what was posted', async () => {
    // Given an account that posted views, clicks and purchases by three users
    const account = await givenAnAccount();
    const events = [
      ...someEvents(6, { type: 'page_view', user_id: 'ann', path: '/pricing' }),
      ...someEvents(3, { type: 'page_view', user_id: 'bob', path: '/docs' }),
      ...someEvents(2, { type: 'purchase', user_id: 'cat', value: 20 }),
      { event_id: `evt-${randomUUID()}`, type: 'purchase', user_id: 'ann', value: 5 },
    ];
    expect((await postEvents(account.writeKey, events)).status).toBe(202);

    // When its read key asks for the last 24 hours
    const summary = await summaryOnceCounted(account, 12, { window: 'last_24h', limit: '2' });

    // Then every number is the exact one
    expect(summary.body).toMatchObject({
      account_id: account.accountId,
      window: 'last_24h',
      total_events: 12,
      totals_by_type: { page_view: 9, purchase: 3 },
      values_by_type: { purchase: { count: 3, sum: 45, min: 5, max: 20 } },
      unique_users: 3,
      unique_users_error: 0.02,
      top_users: [
        { user_id: 'ann', events: 7 },
        { user_id: 'bob', events: 3 },
      ],
      top_paths: [
        { path: '/pricing', views: 6 },
        { path: '/docs', views: 3 },
      ],
      top_error: { users: 0, paths: 0 },
      limit: 2,
    });
  });

  it('counts in last_1h an event stamped 30 minutes ahead at once, and not one of 61 minutes ago', async () => {
    // Given events of 61 and 58 minutes ago, and one stamped within the accepted clock skew ahead (58, not
    // 59: the window starts at the first whole minute inside the hour, so an event 59 minutes old
    // leaves it when the minute turns between the post and the read)
    const account = await givenAnAccount();
    const events = [
      { event_id: 'old', type: 'tick', timestamp: minutesAgo(61) },
      { event_id: 'recent', type: 'tick', timestamp: minutesAgo(58) },
      { event_id: 'early', type: 'tick', timestamp: minutesAgo(-30) },
    ];
    await postEvents(account.writeKey, events);
    await summaryOnceCounted(account, 3, { window: 'last_24h' });

    // When the last hour is asked for
    const lastHour = await getStats(summaryPath(account.accountId), { window: 'last_1h' }, account.readKey);

    // Then the early one counts now and the old one does not
    expect(lastHour.body.total_events).toBe(2);
  });

  it('counts a 60-day-old backfilled event in its own day, and answers an exact minute range', async () => {
    // Given a backfilled event and two recent ones a minute apart
    const account = await givenAnAccount();
    const old = new Date(Date.now() - 60 * 24 * 3600_000);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000);
    await postEvents(account.writeKey, [
      { type: 'import', timestamp: old.toISOString() },
      { type: 'tick', timestamp: minute.toISOString() },
      { type: 'tick', timestamp: new Date(minute.getTime() + 60_000).toISOString() },
    ]);
    await summaryOnceCounted(account, 3, { window: 'all' });

    // When its day and a one-minute range are asked for
    const day = await getStats(
      summaryPath(account.accountId),
      { date: old.toISOString().slice(0, 10) },
      account.readKey,
    );
    const range = await getStats(
      summaryPath(account.accountId),
      { from: minute.toISOString(), to: new Date(minute.getTime() + 60_000).toISOString() },
      account.readKey,
    );

    // Then each holds exactly its events
    expect(day.body).toMatchObject({ window: 'date', total_events: 1, totals_by_type: { import: 1 } });
    expect(range.body).toMatchObject({ window: 'range', total_events: 1, from: minute.toISOString() });
  });

  it('answers 400 naming each unknown or invalid parameter, 404 without data, 403 for another account', async () => {
    const account = await givenAnAccount();
    const other = await givenAnAccount();
    const ask = (query: Record<string, string>, key = account.readKey) =>
      getStats(summaryPath(account.accountId), query, key);

    const answers = await Promise.all([
      ask({ date: '2020-01-01' }),
      ask({ date: 'not-a-date' }),
      ask({ from: '2026-01-15T10:00:30Z' }),
      ask({ window: 'last_1h', from: minutesAgo(10) }),
      ask({ windw: 'last_1h' }),
      ask({}),
      ask({}, other.readKey),
      ask({}, account.writeKey),
    ]);

    expect(answers.map((answer) => [answer.status, answer.body.parameter])).toEqual([
      [400, 'date'],
      [400, 'date'],
      [400, 'from'],
      [400, 'from'],
      [400, 'windw'],
      [404, undefined],
      [403, undefined],
      [403, undefined],
    ]);
  });
});

describe('GET /v1/accounts/{id}/timeseries', () => {
  it('answers one point per minute with the events of each', async () => {
    // Given three events in one minute and one in the next
    const account = await givenAnAccount();
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
    const at = (offsetMs: number) => new Date(minute + offsetMs).toISOString();
    await postEvents(account.writeKey, [
      { type: 'tick', user_id: 'a', value: 1, timestamp: at(1_000) },
      { type: 'tick', user_id: 'b', value: 3, timestamp: at(2_000) },
      { type: 'tock', user_id: 'a', timestamp: at(3_000) },
      { type: 'tick', user_id: 'a', value: 2, timestamp: at(61_000) },
    ]);
    await summaryOnceCounted(account, 4);

    // When the series of those minutes is asked for, all types and ticks only
    const range = { interval: 'minute', from: at(0), to: at(180_000) };
    const path = `/v1/accounts/${account.accountId}/timeseries`;
    const all = await getStats(path, range, account.readKey);
    const ticks = await getStats(path, { ...range, type: 'tick' }, account.readKey);

    // Then
    expect(all.body.buckets).toEqual([
      { start: at(0), events: 3, unique_users: 2, value: { count: 2, sum: 4, min: 1, max: 3 } },
      { start: at(60_000), events: 1, unique_users: 1, value: { count: 1, sum: 2, min: 2, max: 2 } },
      { start: at(120_000), events: 0 },
    ]);
    expect(ticks.body.buckets.map((bucket: { events: number }) => bucket.events)).toEqual([2, 1, 0]);
  });
});

describe('GET /v1/accounts/{id}/events and /users/{user_id}/events', () => {
  it('pages newest first with a stable cursor that another account cannot use', async () => {
    // Given seven events a second apart
    const account = await givenAnAccount();
    const base = Date.now() - 60_000;
    const events = Array.from({ length: 7 }, (_, index) => ({
      event_id: `page-${index}`,
      type: 'page_view',
      user_id: index % 2 === 0 ? 'even' : 'odd',
      path: `/p/${index}`,
      timestamp: new Date(base + index * 1000).toISOString(),
    }));
    await postEvents(account.writeKey, events);
    const path = `/v1/accounts/${account.accountId}/events`;
    await eventually(
      () => getStats(path, { limit: '100' }, account.readKey),
      (result) => result.status === 200 && result.body.events.length >= 7,
    );

    // When it pages three at a time
    const pages: HttpResult[] = [];
    let cursor: string | undefined;
    do {
      const page = await getStats(path, { limit: '3', ...(cursor ? { cursor } : {}) }, account.readKey);
      pages.push(page);
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor && pages.length < 5);

    // Then it sees every event once, newest first, in three pages
    expect(pages.map((page) => page.status)).toEqual([200, 200, 200]);
    expect(
      pages.flatMap((page) => page.body.events.map((event: { event_id: string }) => event.event_id)),
    ).toEqual(['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    // …the pages after the second through one point in time (the opaque cursor carries it), which a
    // first page does not open
    const cursorOf = (page: HttpResult | undefined) =>
      JSON.parse(
        Buffer.from(String(page?.body.next_cursor).split('.')[0] ?? '', 'base64url').toString('utf8'),
      );
    expect(cursorOf(pages[0]).p).toBeUndefined();
    expect(cursorOf(pages[1]).p).toEqual(expect.any(String));
    // …which is signed: a cursor whose point in time was swapped is refused
    const mac = String(pages[1]?.body.next_cursor).split('.')[1];
    const swapped = Buffer.from(JSON.stringify({ ...cursorOf(pages[1]), p: 'another-pit' })).toString(
      'base64url',
    );
    const altered = await getStats(path, { limit: '3', cursor: `${swapped}.${mac}` }, account.readKey);
    expect([altered.status, altered.body.parameter]).toEqual([400, 'cursor']);
    // …and another account's key cannot use its cursor
    const intruder = await givenAnAccount();
    const first = await getStats(path, { limit: '3' }, account.readKey);
    const stolen = await getStats(
      `/v1/accounts/${intruder.accountId}/events`,
      { limit: '3', cursor: first.body.next_cursor },
      intruder.readKey,
    );
    expect([stolen.status, stolen.body.parameter]).toEqual([400, 'cursor']);
  });

  it("answers one user's history, filters by type and q, and 400 for a bad filter", async () => {
    // Given events of two users
    const account = await givenAnAccount();
    await postEvents(account.writeKey, [
      { event_id: 'u1-view', type: 'page_view', user_id: 'u1', path: '/checkout' },
      { event_id: 'u1-buy', type: 'purchase', user_id: 'u1', value: 9 },
      { event_id: 'u2-view', type: 'page_view', user_id: 'u2', path: '/home' },
    ]);
    const eventsPath = `/v1/accounts/${account.accountId}/events`;
    await eventually(
      () => getStats(eventsPath, {}, account.readKey),
      (result) => result.status === 200 && result.body.events.length >= 3,
    );

    // When
    const history = await getStats(`/v1/accounts/${account.accountId}/users/u1/events`, {}, account.readKey);
    const views = await getStats(eventsPath, { type: 'page_view' }, account.readKey);
    const search = await getStats(eventsPath, { q: '/checkout' }, account.readKey);
    const bad = await getStats(eventsPath, { from: 'yesterday' }, account.readKey);

    // Then
    const ids = (result: HttpResult) =>
      result.body.events.map((event: { event_id: string }) => event.event_id).sort();
    expect(ids(history)).toEqual(['u1-buy', 'u1-view']);
    expect(ids(views)).toEqual(['u1-view', 'u2-view']);
    expect(ids(search)).toEqual(['u1-view']);
    expect([bad.status, bad.body.parameter]).toEqual([400, 'from']);
  });
});

describe('GET /v1/health', () => {
  it('answers without a key, with no data in it', async () => {
    const health = await getStats('/v1/health');

    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', checks: { rollups: 'ok', search: 'ok' } });
  });
});
