import { describe, expect, it } from 'vitest';
import { ApiError, StatsApi } from '../../../dashboard/src/api.js';
import {
  RENEW_BEFORE_MS,
  renewalAt,
  SessionStore,
  serverNow,
  sessionFromGrant,
} from '../../../dashboard/src/session.js';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

const GRANT = {
  token: 'lt_token',
  account_id: 'acct-1',
  expires_at: '2026-01-15T11:00:00.000Z',
  session_expires_at: '2026-01-15T22:00:00.000Z',
  expires_in: 3600,
};

describe('SessionStore', () => {
  it('keeps the token and its account, and forgets it once expired or unreadable', () => {
    // Prepare
    const storage = memoryStorage();
    let now = Date.parse('2026-01-15T10:00:00Z');
    const store = new SessionStore(storage, () => now);

    // Act
    store.save(sessionFromGrant(GRANT, now));
    const loaded = store.load();
    now = Date.parse('2026-01-15T11:00:00Z');
    const expired = store.load();
    storage.setItem('live-dashboard.session', '{not json');
    const unreadable = store.load();

    // Assess
    expect(loaded).toEqual({
      token: 'lt_token',
      accountId: 'acct-1',
      expiresAt: Date.parse(GRANT.expires_at),
      sessionExpiresAt: Date.parse(GRANT.session_expires_at),
      clockOffsetMs: 0,
    });
    expect([expired, unreadable]).toEqual([undefined, undefined]);
    expect(storage.items.size).toBe(0);
  });

  it('renews a token five minutes before it expires, and never the last one of a session', () => {
    const session = sessionFromGrant(GRANT, Date.parse('2026-01-15T10:00:00Z'));
    expect(renewalAt(session)).toBe(session.expiresAt - RENEW_BEFORE_MS);
    expect(renewalAt({ ...session, expiresAt: session.sessionExpiresAt })).toBeUndefined();
  });
});

describe('a session in a browser whose clock is off', () => {
  // The grant was issued at 10:00 by the server's clock; the browser's says otherwise.
  const SERVER_NOW = Date.parse('2026-01-15T10:00:00Z');

  it.each([
    ['20 minutes behind', -20 * 60_000],
    ['58 minutes ahead', 58 * 60_000],
  ])('renews the token 5 minutes before the server lets it expire, with the clock %s', (_, skew) => {
    // Prepare
    const receivedAt = SERVER_NOW + skew;

    // Act
    const session = sessionFromGrant(GRANT, receivedAt);

    // Assess: 55 minutes after receipt (not 15 minutes too late, nor 3 minutes before receipt: at once,
    // and again after each renewal), the session's 12 hours likewise, and server time read right
    expect(renewalAt(session)).toBe(receivedAt + 55 * 60_000);
    expect(session.sessionExpiresAt).toBe(receivedAt + 12 * 3600_000);
    expect(serverNow(session, receivedAt + 1000)).toBe(SERVER_NOW + 1000);
  });

  it('keeps the offset across a reload of the tab', () => {
    const storage = memoryStorage();
    const receivedAt = SERVER_NOW - 20 * 60_000;
    const store = new SessionStore(storage, () => receivedAt + 1000);

    store.save(sessionFromGrant(GRANT, receivedAt));
    const loaded = store.load();

    expect(loaded && serverNow(loaded, receivedAt)).toBe(SERVER_NOW);
  });
});

describe('StatsApi', () => {
  it('sends the read key only to sign in, then the token, and asks for 200 on empty data', async () => {
    // Prepare
    const calls: { url: string; headers: Record<string, string> }[] = [];
    const api = new StatsApi('', async (url, init) => {
      calls.push({ url: String(url), headers: (init?.headers ?? {}) as Record<string, string> });
      return new Response(JSON.stringify(String(url).includes('live-tokens') ? GRANT : { events: [] }), {
        status: 200,
      });
    });

    // Act
    await api.signIn('rk_secret');
    await api.events('lt_token', 'acct/1', { from: '2026-01-15T10:00:00.000Z' });

    // Assess
    expect(calls[0]).toEqual({ url: '/v1/live-tokens', headers: { 'x-api-key': 'rk_secret' } });
    expect(calls[1]?.url).toBe(
      '/v1/accounts/acct%2F1/events?limit=50&from=2026-01-15T10%3A00%3A00.000Z&allow_empty=true',
    );
    expect(calls[1]?.headers).toEqual({ 'x-live-token': 'lt_token' });
  });

  it("turns an error answer into an ApiError with the API's message", async () => {
    const api = new StatsApi(
      'https://api',
      async () => new Response('{"message":"unknown API key"}', { status: 401 }),
    );

    const error = await api.signIn('nope').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, message: 'unknown API key' });
  });

  it('gives up on a request not answered in time, as on no answer', async () => {
    // Prepare: a server that never answers (the request ends only when aborted)
    const api = new StatsApi(
      '',
      (_url, init) =>
        new Promise<Response>((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        ),
      50,
    );

    // Act
    const error = await api.signIn('rk_key').catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(error).not.toBeInstanceOf(ApiError);
  });
});
