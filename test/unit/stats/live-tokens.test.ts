import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../../lambdas/shared/api-keys.js';
import { HttpError } from '../../../lambdas/shared/http.js';
import {
  hashLiveToken,
  issueLiveToken,
  LIVE_SESSION_MAX_SECONDS,
  LIVE_TOKEN_TTL_SECONDS,
  verifyLiveToken,
} from '../../../lambdas/shared/live-tokens.js';
import { LIVE_TOKENS_ROUTE, STATS_ROUTES } from '../../../lambdas/stats/routes.js';
import type { SearchApi } from '../../../lambdas/stats/search-core.js';
import { type StatsRequest, serveStats } from '../../../lambdas/stats/stats-core.js';
import { fakeLiveTokensTable, LIVE_TOKENS_TABLE } from '../../helpers/fake-live-tokens.js';
import { fakeRollupsTable } from '../../helpers/fake-rollups-table.js';
import { statsDeps } from '../../helpers/stats-fixtures.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const START = Date.parse('2026-01-15T10:00:00.000Z');
const client = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));

/** A clock the tests move forward. */
let now = START;
const clock = () => new Date(now);
const store = () => ({ dynamo: client(), tableName: LIVE_TOKENS_TABLE, now: clock });
const deps = (search: Partial<SearchApi> = {}) =>
  statsDeps({ now: () => now, search, liveTokensTable: LIVE_TOKENS_TABLE });

function request(
  resource: string,
  credentials: { apiKey?: string; liveToken?: string },
  query: Record<string, string> = {},
): StatsRequest {
  return {
    resource,
    pathParameters: resource === LIVE_TOKENS_ROUTE ? null : { accountId: 'acct-1' },
    query,
    multiValueQuery: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])),
    apiKey: credentials.apiKey,
    liveToken: credentials.liveToken,
  };
}

async function status(promise: Promise<{ statusCode: number }>): Promise<number> {
  return promise.then(
    (response) => response.statusCode,
    (error: unknown) => {
      if (error instanceof HttpError) return error.statusCode;
      throw error;
    },
  );
}

async function mint(credentials: { apiKey?: string; liveToken?: string }) {
  const response = await serveStats(request(LIVE_TOKENS_ROUTE, credentials), deps());
  return response as {
    statusCode: number;
    headers: Record<string, string>;
    body: Record<string, string | number>;
  };
}

beforeEach(() => {
  now = START;
  dynamo.reset();
  fakeRollupsTable(dynamo);
});

describe('live tokens', () => {
  it('are random, stored only as a hash, and expire after an hour', async () => {
    // Prepare
    const items = fakeLiveTokensTable(dynamo);

    // Act
    const session = { accountId: 'acct-1', keyHash: 'hash-of-rk-1' };
    const first = await issueLiveToken(store(), session);
    const second = await issueLiveToken(store(), session);
    const valid = await verifyLiveToken(store(), first.token);
    now += LIVE_TOKEN_TTL_SECONDS * 1000;
    const expired = await verifyLiveToken(store(), first.token);

    // Assess
    expect(first.token).toMatch(/^lt_[A-Za-z0-9_-]{43}$/);
    expect(second.token).not.toBe(first.token);
    expect([...items.keys()]).toEqual([hashLiveToken(first.token), hashLiveToken(second.token)]);
    expect(JSON.stringify([...items.values()])).not.toContain(first.token);
    expect(valid).toEqual({
      accountId: 'acct-1',
      keyHash: 'hash-of-rk-1',
      expiresAt: START / 1000 + LIVE_TOKEN_TTL_SECONDS,
      sessionExpiresAt: START / 1000 + LIVE_SESSION_MAX_SECONDS,
    });
    expect(expired).toBeUndefined();
  });

  it('are refused without a read when malformed, and when unknown', async () => {
    fakeLiveTokensTable(dynamo);

    const malformed = await verifyLiveToken(store(), 'rk-1');
    expect(dynamo.calls()).toHaveLength(0);
    const unknown = await verifyLiveToken(store(), `lt_${'x'.repeat(43)}`);

    expect([malformed, unknown]).toEqual([undefined, undefined]);
  });
});

describe('POST /v1/live-tokens', () => {
  it('exchanges a read key for a token of its account, never to be cached', async () => {
    fakeLiveTokensTable(dynamo);

    const response = await mint({ apiKey: 'rk-1' });

    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual({ 'Cache-Control': 'no-store' });
    expect(response.body).toEqual({
      token: expect.stringMatching(/^lt_/),
      account_id: 'acct-1',
      expires_at: '2026-01-15T11:00:00.000Z',
      session_expires_at: '2026-01-15T22:00:00.000Z',
      expires_in: 3600,
    });
  });

  it('refuses a write key (403), no credentials or an unknown key (401), and any parameter (400)', async () => {
    fakeLiveTokensTable(dynamo);

    const statuses = await Promise.all([
      status(mint({ apiKey: 'wk-1' })),
      status(mint({})),
      status(mint({ apiKey: 'nope' })),
      status(serveStats(request(LIVE_TOKENS_ROUTE, { apiKey: 'rk-1' }, { account: 'acct-2' }), deps())),
    ]);

    expect(statuses).toEqual([403, 401, 401, 400]);
  });

  it('renews a valid token within its session, and never past the end of the session', async () => {
    // Prepare
    fakeLiveTokensTable(dynamo);
    let token = String((await mint({ apiKey: 'rk-1' })).body.token);

    // Act: renew every 50 minutes, as the page does, for 12 hours and a bit.
    const renewals: Record<string, string | number>[] = [];
    for (let step = 0; step < 15; step += 1) {
      now += 50 * 60_000;
      const renewed = await mint({ liveToken: token }).catch(() => undefined);
      if (!renewed) break;
      renewals.push(renewed.body);
      token = String(renewed.body.token);
    }

    // Assess: the last token ends with the session; nothing renews it further.
    const last = renewals[renewals.length - 1];
    expect(renewals.length).toBe(14);
    expect(renewals.every((body) => body.session_expires_at === '2026-01-15T22:00:00.000Z')).toBe(true);
    expect(last?.expires_at).toBe('2026-01-15T22:00:00.000Z');
    now = Date.parse('2026-01-15T22:00:00.000Z');
    expect(await status(mint({ liveToken: token }))).toBe(401);
  });
});

describe('a renewal at the end of its session', () => {
  it('is a 401 when the session ends between reading the token and issuing the new one, never an expired token', async () => {
    // Prepare: a token whose session ends one second after now, and a clock whose second turns at every read
    fakeLiveTokensTable(dynamo);
    const sessionEnd = START / 1000 + 1;
    const { token } = await issueLiveToken(store(), {
      accountId: 'acct-1',
      keyHash: hashApiKey('rk-1'),
      sessionExpiresAt: sessionEnd,
    });
    const ticking = statsDeps({
      now: () => {
        const at = now;
        now += 1000;
        return at;
      },
      liveTokensTable: LIVE_TOKENS_TABLE,
    });
    now = START;

    // Act
    const renewal = await status(serveStats(request(LIVE_TOKENS_ROUTE, { liveToken: token }), ticking));

    // Assess
    expect(renewal).toBe(401);
  });
});

describe('the read key of a session', () => {
  it('is recorded with the first token and carried to every renewal; a token without one is not renewed', async () => {
    // Prepare
    const items = fakeLiveTokensTable(dynamo);
    const first = String((await mint({ apiKey: 'rk-1' })).body.token);
    now += 50 * 60_000;
    const renewed = String((await mint({ liveToken: first })).body.token);
    const legacy = await issueLiveToken(store(), { accountId: 'acct-1', keyHash: 'unused' });
    delete items.get(hashLiveToken(legacy.token))?.keyHash;

    // Act
    const grants = await Promise.all([first, renewed].map((token) => verifyLiveToken(store(), token)));
    const legacyRenewal = await status(mint({ liveToken: legacy.token }));

    // Assess: both name rk-1's hash (the api-keys table key), never the key itself.
    expect(grants.map((grant) => grant?.keyHash)).toEqual([hashApiKey('rk-1'), hashApiKey('rk-1')]);
    expect(JSON.stringify([...items.values()])).not.toContain('rk-1');
    expect(legacyRenewal).toBe(401);
  });
});

describe('reading stats with a live token', () => {
  it("reads its own account's stats, not another's, and not after it expired", async () => {
    // Prepare
    fakeLiveTokensTable(dynamo);
    const own = String((await mint({ apiKey: 'rk-1' })).body.token);
    const other = String((await mint({ apiKey: 'rk-2' })).body.token);
    const summary = (liveToken: string) =>
      serveStats(request(STATS_ROUTES.summary, { liveToken }, { allow_empty: 'true' }), deps());

    // Act
    const statuses = [await status(summary(own)), await status(summary(other))];
    now += LIVE_TOKEN_TTL_SECONDS * 1000;
    statuses.push(await status(summary(own)));

    // Assess
    expect(statuses).toEqual([200, 403, 401]);
  });

  it('reads and renews with a token beside an empty x-api-key (a client default), as the authorizer allowed', async () => {
    // Prepare
    fakeLiveTokensTable(dynamo);
    const token = String((await mint({ apiKey: 'rk-1' })).body.token);

    // Act
    const read = await status(
      serveStats(
        request(STATS_ROUTES.summary, { apiKey: '', liveToken: token }, { allow_empty: 'true' }),
        deps(),
      ),
    );
    const renewal = await status(mint({ apiKey: '', liveToken: token }));

    // Assess
    expect([read, renewal]).toEqual([200, 201]);
  });
});

describe('allow_empty', () => {
  it('answers 200 with zero counts or no events instead of 404, and 400 for anything but true or false', async () => {
    // Prepare
    const search = {
      search: async () => ({ body: { hits: { hits: [] } } }),
    } as unknown as Partial<SearchApi>;
    const read = (resource: string, query: Record<string, string>) =>
      serveStats(request(resource, { apiKey: 'rk-1' }, query), deps(search));

    // Act
    const summary = await read(STATS_ROUTES.summary, { allow_empty: 'true' });
    const series = await read(STATS_ROUTES.timeseries, { interval: 'minute', allow_empty: 'true' });
    const events = await read(STATS_ROUTES.events, { allow_empty: 'true' });
    const statuses = await Promise.all([
      status(read(STATS_ROUTES.summary, { allow_empty: 'false' })),
      status(read(STATS_ROUTES.events, {})),
      status(read(STATS_ROUTES.timeseries, { allow_empty: 'yes' })),
    ]);

    // Assess
    expect(summary.body).toMatchObject({
      total_events: 0,
      totals_by_type: {},
      top_users: [],
      unique_users: 0,
    });
    expect(
      (series.body as { buckets: { events: number }[] }).buckets.every((point) => point.events === 0),
    ).toBe(true);
    expect(events.body).toMatchObject({ events: [], next_cursor: null });
    expect(statuses).toEqual([404, 404, 400]);
  });
});
