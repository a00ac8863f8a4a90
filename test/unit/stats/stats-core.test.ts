import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../lambdas/shared/event-schema.js';
import { HttpError } from '../../../lambdas/shared/http.js';
import { PIT_MAX_LIFETIME_MS, PIT_OPENS_PER_ACCOUNT, PitQuota } from '../../../lambdas/stats/pit-quota.js';
import { applyRecords } from '../../../lambdas/stats/rollup-core.js';
import { READ_SLICE_BUCKETS } from '../../../lambdas/stats/rollup-reader.js';
import { LIVE_TOKENS_ROUTE, STATS_ROUTES } from '../../../lambdas/stats/routes.js';
import type { SearchApi } from '../../../lambdas/stats/search-core.js';
import { type StatsRequest, serveStats } from '../../../lambdas/stats/stats-core.js';
import { fakeTiming, kinesisRecord, silentLog, storedEvent } from '../../helpers/factories.js';
import { fakeRollupsTable } from '../../helpers/fake-rollups-table.js';
import { RecordedMetrics } from '../../helpers/recorded-metrics.js';
import { statsDeps } from '../../helpers/stats-fixtures.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const NOW = Date.parse('2026-01-15T10:37:20.000Z');
const client = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const deps = (search: Partial<SearchApi> = {}, healthy = true) =>
  statsDeps({ now: () => NOW, search, clusterStatus: healthy ? 'green' : 'red' });

function request(
  resource: string,
  query: Record<string, string> = {},
  apiKey = 'rk-1',
  userId?: string,
): StatsRequest {
  return {
    resource,
    pathParameters: { accountId: 'acct-1', ...(userId ? { userId } : {}) },
    query,
    multiValueQuery: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])),
    apiKey,
    liveToken: undefined,
  };
}

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return error;
}

/** Counts the events through the real writer core into the fake table. */
async function given(events: StoredEvent[]): Promise<void> {
  const records = events.map((event, index) => kinesisRecord(event, String(index + 1).padStart(20, '0')));
  const outcome = await applyRecords(
    records,
    {
      dynamo: client(),
      tableName: 'rollups',
      sqs: new SQSClient({ region: 'eu-west-1' }),
      deadLetterQueueUrl: 'http://sqs/dlq',
      timing: fakeTiming(NOW),
      log: silentLog,
      metrics: new RecordedMetrics(),
      registry: new Map(),
    },
    NOW + 30_000,
  );
  expect(outcome.counts.done).toBe(events.length);
}

/** The sub-items each rollup read asked for: a read is its registry GetItem, then its BatchGetItems. */
function subItemsPerRead(): Set<string>[] {
  const reads: Set<string>[] = [];
  for (const call of dynamo.calls()) {
    const input = call.args[0].input as {
      Key?: unknown;
      RequestItems?: Record<string, { Keys?: { pk: string }[] }>;
    };
    if (input.Key) reads.push(new Set());
    for (const { Keys = [] } of Object.values(input.RequestItems ?? {})) {
      for (const key of Keys) reads.at(-1)?.add(key.pk);
    }
  }
  return reads;
}

const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();

describe('summary', () => {
  beforeEach(() => {
    dynamo.reset();
    fakeRollupsTable(dynamo);
  });

  it('answers totals, types, values, unique users and top lists of the window', async () => {
    // Prepare
    await given([
      storedEvent({ type: 'page_view', user_id: 'u1', path: '/', timestamp: minutesAgo(5) }),
      storedEvent({ type: 'page_view', user_id: 'u1', path: '/pricing', timestamp: minutesAgo(50) }),
      storedEvent({ type: 'page_view', user_id: 'u2', path: '/', timestamp: minutesAgo(600) }),
      storedEvent({ type: 'purchase', user_id: 'u2', value: 30, timestamp: minutesAgo(700) }),
      storedEvent({ type: 'purchase', anonymous_id: 'anon-1', value: 10, timestamp: minutesAgo(3 * 1440) }),
    ]);

    // Act
    const response = await serveStats(
      request(STATS_ROUTES.summary, { window: 'last_24h', limit: '1' }),
      deps(),
    );

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      body: {
        account_id: 'acct-1',
        window: 'last_24h',
        from: '2026-01-14T10:38:00.000Z',
        to: '2026-01-15T10:37:20.000Z',
        total_events: 4,
        totals_by_type: { page_view: 3, purchase: 1 },
        values_by_type: { purchase: { count: 1, sum: 30, min: 30, max: 30 } },
        unique_users: 2,
        unique_users_error: 0.02,
        top_users: [{ user_id: 'u1', events: 2 }],
        top_paths: [{ path: '/', views: 2 }],
        top_error: { users: 0, paths: 0 },
        limit: 1,
      },
    });
  });

  it('answers types named like Object.prototype members (__proto__, constructor) as any other type', async () => {
    // Prepare: both match the type pattern [a-z0-9_.:-].
    await given([
      storedEvent({ type: '__proto__', value: 2, timestamp: minutesAgo(5) }),
      storedEvent({ type: 'constructor', value: 3, timestamp: minutesAgo(5) }),
    ]);

    // Act
    const response = await serveStats(request(STATS_ROUTES.summary, { window: 'last_1h' }), deps());

    // Assess: own entries of plain objects, in the JSON the client gets too.
    const body = JSON.parse(JSON.stringify(response.body));
    expect(body.totals_by_type).toEqual(JSON.parse('{"__proto__":1,"constructor":1}'));
    expect(body.values_by_type).toEqual(
      JSON.parse(
        '{"__proto__":{"count":1,"sum":2,"min":2,"max":2},"constructor":{"count":1,"sum":3,"min":3,"max":3}}',
      ),
    );
  });

  it('counts in last_1h an event of 59 minutes ago and one stamped 30 minutes ahead, not one of 61 minutes ago', async () => {
    // Prepare
    await given([
      storedEvent({ event_id: 'old', timestamp: minutesAgo(61) }),
      storedEvent({ event_id: 'recent', timestamp: minutesAgo(59) }),
      storedEvent({ event_id: 'early', timestamp: minutesAgo(-30) }),
    ]);

    // Act
    const response = await serveStats(request(STATS_ROUTES.summary, { window: 'last_1h' }), deps());

    // Assess
    expect(response.body).toMatchObject({ total_events: 2, from: '2026-01-15T09:38:00.000Z' });
  });

  it('answers an exact minute range and a whole day', async () => {
    // Prepare
    await given([
      storedEvent({ timestamp: '2026-01-14T23:59:59.000Z' }),
      storedEvent({ timestamp: '2026-01-15T00:00:00.000Z' }),
      storedEvent({ timestamp: '2026-01-15T09:16:59.999Z' }),
      storedEvent({ timestamp: '2026-01-15T09:17:00.000Z' }),
    ]);

    // Act
    const range = await serveStats(
      request(STATS_ROUTES.summary, { from: '2026-01-15T00:00Z', to: '2026-01-15T09:17Z' }),
      deps(),
    );
    const day = await serveStats(request(STATS_ROUTES.summary, { date: '2026-01-14' }), deps());

    // Assess
    expect(range.body).toMatchObject({ window: 'range', total_events: 2, to: '2026-01-15T09:17:00.000Z' });
    expect(day.body).toMatchObject({ window: 'date', total_events: 1 });
  });

  it('answers 404 without data, and 401/403 before reading anything', async () => {
    // Act
    const empty = await rejection(serveStats(request(STATS_ROUTES.summary), deps()));
    dynamo.resetHistory();
    const statuses = await Promise.all(
      ['wk-1', 'rk-2', ''].map(
        async (key) =>
          (await rejection(serveStats(request(STATS_ROUTES.summary, {}, key), deps()))).statusCode,
      ),
    );

    // Assess
    expect(empty.statusCode).toBe(404);
    expect(statuses).toEqual([403, 403, 401]);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
  });

  it.each([STATS_ROUTES.summary, LIVE_TOKENS_ROUTE])(
    'answers a read key sent in the URL (%s) with a 401 saying where it goes',
    async (route) => {
      // Prepare: the authorizer took the key from the query string, as it does for beacons.
      const inUrl = { ...request(route, { key: 'rk-1' }), apiKey: undefined };

      // Act
      const error = await rejection(serveStats(inUrl, deps()));

      // Assess
      expect(error.statusCode).toBe(401);
      expect(error.message).toBe(
        'the key query parameter is only for posting events (navigator.sendBeacon): send a read key in the x-api-key header, or a live token in the x-live-token header',
      );
    },
  );

  it('checks the key before the parameters', async () => {
    const error = await rejection(
      serveStats(request(STATS_ROUTES.summary, { nonsense: '1' }, 'rk-2'), deps()),
    );
    expect(error.statusCode).toBe(403);
  });

  it('merges the buckets of the widest window a slice at a time, never holding all of them', async () => {
    // Prepare: a from/to window covered by 59 minutes, 30 days, 10 hours and 37 minutes of buckets.
    await given([
      storedEvent({ user_id: 'u1', timestamp: '2025-12-15T23:01:30.000Z' }),
      storedEvent({ user_id: 'u2', timestamp: '2026-01-01T12:00:00.000Z' }),
      storedEvent({ user_id: 'u3', timestamp: '2026-01-15T10:36:10.000Z' }),
    ]);
    dynamo.resetHistory();

    // Act
    const summary = await serveStats(
      request(STATS_ROUTES.summary, { from: '2025-12-15T23:01Z', to: '2026-01-15T10:37Z' }),
      deps(),
    );

    // Assess
    expect(summary.body).toMatchObject({ total_events: 3, unique_users: 3 });
    const reads = subItemsPerRead();
    expect(reads.length).toBe(2);
    for (const keys of reads) expect(keys.size).toBeLessThanOrEqual(READ_SLICE_BUCKETS);
  });
});

describe('timeseries', () => {
  beforeEach(() => {
    dynamo.reset();
    fakeRollupsTable(dynamo);
  });

  it('answers one point per bucket, empty ones included, with value aggregates of a type', async () => {
    // Prepare
    await given([
      storedEvent({ type: 'purchase', value: 5, user_id: 'u1', timestamp: '2026-01-15T08:10:00.000Z' }),
      storedEvent({ type: 'purchase', value: 7, user_id: 'u2', timestamp: '2026-01-15T08:20:00.000Z' }),
      storedEvent({ type: 'login', user_id: 'u1', timestamp: '2026-01-15T10:00:00.000Z' }),
    ]);
    const query = { interval: 'hour', from: '2026-01-15T08:00Z', to: '2026-01-15T11:00Z' };

    // Act
    const all = await serveStats(request(STATS_ROUTES.timeseries, query), deps());
    const purchases = await serveStats(
      request(STATS_ROUTES.timeseries, { ...query, type: 'purchase' }),
      deps(),
    );

    // Assess
    expect(all.body).toMatchObject({
      interval: 'hour',
      buckets: [
        {
          start: '2026-01-15T08:00:00.000Z',
          events: 2,
          unique_users: 2,
          value: { count: 2, sum: 12, min: 5, max: 7 },
        },
        { start: '2026-01-15T09:00:00.000Z', events: 0 },
        { start: '2026-01-15T10:00:00.000Z', events: 1, unique_users: 1 },
      ],
    });
    expect(purchases.body).toMatchObject({
      type: 'purchase',
      buckets: [{ events: 2, value: { sum: 12 } }, { events: 0 }, { events: 0 }],
    });
  });

  it('reads a series of 1,440 minutes a slice at a time, so a request holds only a slice of its sub-items', async () => {
    // Prepare: events in the first and the last minute of the longest minute series.
    await given([
      storedEvent({ user_id: 'u1', timestamp: '2026-01-14T10:38:30.000Z' }),
      storedEvent({ user_id: 'u2', timestamp: '2026-01-15T10:37:10.000Z' }),
    ]);
    dynamo.resetHistory();

    // Act
    const series = await serveStats(
      request(STATS_ROUTES.timeseries, {
        interval: 'minute',
        from: '2026-01-14T10:38Z',
        to: '2026-01-15T10:38Z',
      }),
      deps(),
    );

    // Assess: every point answered; each read (its registry GetItem, then the sub-items' keys) asks
    // for at most a slice of buckets, where one read of all 1,440 held every decoded state at once.
    const buckets = (series.body as { buckets: { start: string; events: number }[] }).buckets;
    expect(buckets).toHaveLength(1440);
    expect(buckets[0]).toMatchObject({ start: '2026-01-14T10:38:00.000Z', events: 1 });
    expect(buckets[1439]).toMatchObject({ start: '2026-01-15T10:37:00.000Z', events: 1 });
    expect(buckets.reduce((sum, point) => sum + point.events, 0)).toBe(2);
    const keysPerRead = subItemsPerRead();
    expect(keysPerRead).toHaveLength(1440 / READ_SLICE_BUCKETS);
    for (const keys of keysPerRead) expect(keys.size).toBeLessThanOrEqual(READ_SLICE_BUCKETS);
  });

  it('answers 404 when no event of the type is in the range, and 400 for a bad type', async () => {
    // Prepare
    await given([storedEvent({ type: 'login', timestamp: '2026-01-15T10:00:00.000Z' })]);

    // Act
    const none = await rejection(serveStats(request(STATS_ROUTES.timeseries, { type: 'purchase' }), deps()));
    const bad = await rejection(serveStats(request(STATS_ROUTES.timeseries, { type: 'Not A Type' }), deps()));

    // Assess
    expect(none.statusCode).toBe(404);
    expect([bad.statusCode, bad.details.parameter]).toEqual([400, 'type']);
  });
});

describe('event search', () => {
  const hit = (id: string, at: string) => ({
    _source: { event_id: id, account_id: 'acct-1', timestamp: at },
    sort: [Date.parse(at), id],
  });

  function fakeSearch(pages: ReturnType<typeof hit>[][]) {
    const calls: { index?: string; body: Record<string, unknown> }[] = [];
    const deleted: string[][] = [];
    let opened = 0;
    const api: SearchApi = {
      search: async (params) => {
        calls.push(params);
        return {
          body: {
            hits: { hits: pages[calls.length - 1] ?? [] },
            ...(params.body.pit ? { pit_id: 'pit-2' } : {}),
          },
        };
      },
      createPit: async () => {
        opened += 1;
        return { body: { pit_id: 'pit-1' } };
      },
      deletePit: async (params) => {
        deleted.push(params.body.pit_id);
        return {};
      },
    };
    return { api, calls, deleted, opened: () => opened };
  }

  it('pages newest first with a cursor bound to the account, the query and a point in time', async () => {
    // Prepare
    const search = fakeSearch([
      [hit('e', '2026-01-15T10:05:00Z'), hit('d', '2026-01-15T10:04:00Z'), hit('c', '2026-01-15T10:03:00Z')],
      [hit('c', '2026-01-15T10:03:00Z'), hit('b', '2026-01-15T10:02:00Z'), hit('a', '2026-01-15T10:01:00Z')],
      [hit('a', '2026-01-15T10:01:00Z')],
    ]);
    const page = async (cursor?: string) => {
      const query = { type: 'page_view', limit: '2', ...(cursor ? { cursor } : {}) };
      const answer = await serveStats(request(STATS_ROUTES.events, query), deps(search.api));
      return answer.body as { events: unknown[]; next_cursor: string | null };
    };

    // Act
    const first = await page();
    const openedByFirst = search.opened();
    const second = await page(first.next_cursor as string);
    const third = await page(second.next_cursor as string);

    // Assess
    expect(first).toMatchObject({ events: [{ event_id: 'e' }, { event_id: 'd' }], limit: 2 });
    // A first page holds no point in time: most readers never ask for a second.
    expect(openedByFirst).toBe(0);
    expect(search.calls[0]).toMatchObject({
      index: 'events-*',
      body: {
        size: 3,
        sort: [{ timestamp: { order: 'desc' } }, { event_id: { order: 'desc' } }],
        query: { bool: { filter: [{ term: { account_id: 'acct-1' } }, { term: { type: 'page_view' } }] } },
      },
    });
    expect(search.calls[1]).toMatchObject({
      index: 'events-*',
      body: { search_after: [Date.parse('2026-01-15T10:04:00Z'), 'd'] },
    });
    expect(second).toMatchObject({ events: [{ event_id: 'c' }, { event_id: 'b' }] });
    expect(search.opened()).toBe(1);
    expect(search.calls[2]?.index).toBeUndefined();
    expect(search.calls[2]?.body).toMatchObject({
      pit: { id: 'pit-1' },
      search_after: [Date.parse('2026-01-15T10:02:00Z'), 'b'],
    });
    expect(third).toMatchObject({ events: [{ event_id: 'a' }], next_cursor: null });
    expect(search.deleted).toEqual([['pit-2']]);
  });

  /** A search that always has a next page, and counts the PITs open (OpenSearch caps them per node). */
  function endlessSearch(maxOpen: number) {
    const open = new Set<string>();
    const calls: { index?: string; body: Record<string, unknown> }[] = [];
    let made = 0;
    const api: SearchApi = {
      search: async (params) => {
        calls.push(params);
        const pit = (params.body.pit as { id: string } | undefined)?.id;
        if (pit && !open.has(pit)) throw new Error('search_context_missing_exception');
        const hits = [hit('b', '2026-01-15T10:02:00Z'), hit('a', '2026-01-15T10:01:00Z')];
        return { body: { hits: { hits }, ...(pit ? { pit_id: pit } : {}) } };
      },
      createPit: async () => {
        if (open.size >= maxOpen) throw new Error('max_open_pit_context reached');
        made += 1;
        open.add(`pit-${made}`);
        return { body: { pit_id: `pit-${made}` } };
      },
      deletePit: async (params) => {
        for (const pit of params.body.pit_id) open.delete(pit);
        return {};
      },
    };
    return { api, calls, open };
  }
  const cursorFields = (cursor: string) =>
    JSON.parse(Buffer.from(cursor.split('.')[0] as string, 'base64url').toString('utf8')) as {
      p?: string;
      t?: number;
    };

  it("one account replaying a second page opens at most its quota of PITs; another account's paging still gets one", async () => {
    // Prepare: one warm function (one quota); OpenSearch holds at most 50 PITs.
    const search = endlessSearch(50);
    const warm = statsDeps({ now: () => NOW, search: search.api, pits: new PitQuota() });
    const page = async (apiKey: string, accountId: string, cursor?: string) => {
      const answer = await serveStats(
        {
          ...request(STATS_ROUTES.events, { limit: '1', ...(cursor ? { cursor } : {}) }, apiKey),
          pathParameters: { accountId },
        },
        warm,
      );
      return (answer.body as { next_cursor: string }).next_cursor;
    };
    const replayed = await page('rk-1', 'acct-1');

    // Act: acct-1 replays its first page's cursor 100 times, then acct-2 pages.
    const flood: string[] = [];
    for (let index = 0; index < 100; index += 1) flood.push(await page('rk-1', 'acct-1', replayed));
    const otherSecond = await page('rk-2', 'acct-2', await page('rk-2', 'acct-2'));

    // Assess: the flood's pages are all served, 5 with a PIT and the rest without.
    expect(flood.filter((cursor) => cursorFields(cursor).p !== undefined)).toHaveLength(
      PIT_OPENS_PER_ACCOUNT,
    );
    expect(search.open.size).toBe(PIT_OPENS_PER_ACCOUNT + 1);
    expect(cursorFields(otherSecond).p).toBeDefined();
  });

  /** A warm stats function on `clock` over an endless index, and its pages of one event. */
  const pagerAt = (clock: { now: number }) => {
    const search = endlessSearch(50);
    const warm = statsDeps({ now: () => clock.now, search: search.api, pits: new PitQuota() });
    const page = async (cursor?: string) => {
      const query = { limit: '1', ...(cursor ? { cursor } : {}) };
      return ((await serveStats(request(STATS_ROUTES.events, query), warm)).body as { next_cursor: string })
        .next_cursor;
    };
    return { search, page };
  };

  it('stops using, and closes, a PIT once it is older than its lifetime; paging goes on without it', async () => {
    // Prepare
    const clock = { now: NOW };
    const { search, page } = pagerAt(clock);
    const withPit = await page(await page());
    clock.now = NOW + PIT_MAX_LIFETIME_MS - 1000;
    const stillWithPit = await page(withPit);

    // Act
    clock.now = NOW + PIT_MAX_LIFETIME_MS + 1000;
    const after = await page(stillWithPit);

    // Assess
    expect(cursorFields(stillWithPit)).toMatchObject({ p: 'pit-1', t: NOW });
    expect(search.calls.at(-1)).toMatchObject({ index: 'events-*' });
    expect(search.calls.at(-1)?.body.pit).toBeUndefined();
    expect(cursorFields(after).p).toBeUndefined();
    expect(search.open.size).toBe(0);
  });

  it('stops using a PIT that an environment whose clock ran an hour ahead opened, rather than for an hour more', async () => {
    // Prepare
    const clock = { now: NOW };
    const { search, page } = pagerAt(clock);
    const withPit = await page(await page());

    // Act: the next page is served by an environment whose clock is an hour behind
    clock.now = NOW - 3_600_000;
    const after = await page(withPit);

    // Assess
    expect(cursorFields(withPit).p).toBe('pit-1');
    expect(cursorFields(after).p).toBeUndefined();
    expect(search.open.size).toBe(0);
  });

  it('rejects a cursor of another account or another query, and one it did not issue', async () => {
    // Prepare
    const search = fakeSearch([[hit('b', '2026-01-15T10:02:00Z'), hit('a', '2026-01-15T10:01:00Z')]]);
    const first = await serveStats(request(STATS_ROUTES.events, { limit: '1' }), deps(search.api));
    const cursor = (first.body as { next_cursor: string }).next_cursor;

    // Act
    const otherAccount = await rejection(
      serveStats(
        {
          ...request(STATS_ROUTES.events, { limit: '1', cursor }, 'rk-2'),
          pathParameters: { accountId: 'acct-2' },
        },
        deps(search.api),
      ),
    );
    const otherQuery = await rejection(
      serveStats(request(STATS_ROUTES.events, { limit: '1', cursor, type: 'login' }), deps(search.api)),
    );
    const forged = await rejection(
      serveStats(request(STATS_ROUTES.events, { cursor: 'eyJ2IjoyfQ' }), deps(search.api)),
    );

    // Assess
    expect(otherAccount.message).toBe('cursor: was issued for another account');
    expect(otherQuery.message).toContain('cursor: was issued for a different query');
    expect(forged.message).toBe('cursor: is not a cursor returned by this API');
  });

  it('refuses a cursor altered to name another point in time, and never uses or closes that one', async () => {
    // Prepare: a second page's cursor carries this account's PIT; the caller swaps in another account's
    const search = fakeSearch([
      [hit('c', '2026-01-15T10:03:00Z'), hit('b', '2026-01-15T10:02:00Z')],
      [hit('b', '2026-01-15T10:02:00Z'), hit('a', '2026-01-15T10:01:00Z')],
    ]);
    const page = async (cursor?: string) =>
      serveStats(
        request(STATS_ROUTES.events, { limit: '1', ...(cursor ? { cursor } : {}) }),
        deps(search.api),
      );
    const first = (await page()).body as { next_cursor: string };
    const second = (await page(first.next_cursor)).body as { next_cursor: string };
    const [payload, mac] = second.next_cursor.split('.') as [string, string];
    const fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { p?: string };
    const swapped = Buffer.from(JSON.stringify({ ...fields, p: 'pit-of-acct-2' })).toString('base64url');
    const callsBefore = search.calls.length;

    // Act
    const error = await rejection(page(`${swapped}.${mac}`));

    // Assess
    expect(fields.p).toBe('pit-1');
    expect(error.message).toBe('cursor: is not a cursor returned by this API');
    expect(search.calls.length).toBe(callsBefore);
    expect(search.deleted).toEqual([]);
  });

  it("searches one user's history from the path, and answers 404 when nothing matches", async () => {
    // Prepare
    const search = fakeSearch([[]]);

    // Act
    const error = await rejection(
      serveStats(request(STATS_ROUTES.userEvents, {}, 'rk-1', 'user-7'), deps(search.api)),
    );
    const userParam = await rejection(
      serveStats(request(STATS_ROUTES.userEvents, { user_id: 'x' }, 'rk-1', 'user-7'), deps(search.api)),
    );

    // Assess
    expect(error.statusCode).toBe(404);
    expect(search.calls[0]?.body).toMatchObject({
      query: { bool: { filter: [{}, { term: { user_id: 'user-7' } }] } },
    });
    expect([userParam.statusCode, userParam.details.parameter]).toEqual([400, 'user_id']);
  });
});

describe('health', () => {
  beforeEach(() => {
    dynamo.reset();
    fakeRollupsTable(dynamo);
  });

  it('answers without a key and without data, 503 when a store does not answer', async () => {
    // Act
    const healthy = await serveStats(
      { ...request(STATS_ROUTES.health, {}, ''), pathParameters: null },
      deps(),
    );
    const red = await serveStats(
      { ...request(STATS_ROUTES.health, {}, ''), pathParameters: null },
      deps({}, false),
    );

    // Assess
    expect(healthy).toEqual({
      statusCode: 200,
      body: { status: 'ok', checks: { rollups: 'ok', search: 'ok' } },
    });
    expect(red).toEqual({
      statusCode: 503,
      body: { status: 'degraded', checks: { rollups: 'ok', search: 'red' } },
    });
  });

  it('takes no parameters', async () => {
    const error = await rejection(serveStats(request(STATS_ROUTES.health, { verbose: '1' }, ''), deps()));
    expect([error.statusCode, error.details.parameter]).toEqual([400, 'verbose']);
  });
});
