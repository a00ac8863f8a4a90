/**
 * The stats API as the page uses it: exchange a read key (once) or renew a live token for a live token,
 * and read the account's summary, minute series and events with the token (`x-live-token`). Reads ask
 * `allow_empty=true`: an account without data answers 200 with zeros, not a 404 that a browser would
 * show as an error.
 */
import type { EventsPage, LiveTokenGrant, Summary, Timeseries } from './types.js';

/**
 * A request not answered within this fails (as if offline): API Gateway gives up after 29 s anyway, and
 * a page must not wait on a hung connection for ever (a "Signing in…" that never ends, a baseline taken
 * long after it was asked for: see `live-totals.ts`).
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/** A non-2xx answer, with the API's own message (`{"message": ...}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class StatsApi {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  /** Signs in: the read key goes in a header of this one request and is not kept. */
  signIn(readKey: string): Promise<LiveTokenGrant> {
    return this.request('/v1/live-tokens', { method: 'POST', headers: { 'x-api-key': readKey } });
  }

  /** A fresh token of the same session, for a still valid one. */
  renew(token: string): Promise<LiveTokenGrant> {
    return this.request('/v1/live-tokens', { method: 'POST', headers: { 'x-live-token': token } });
  }

  summary(token: string, accountId: string): Promise<Summary> {
    return this.read(token, accountId, 'summary', { window: 'last_24h', limit: '5' });
  }

  /** Events per minute of the last 60 minutes, the current one included. */
  minuteSeries(token: string, accountId: string): Promise<Timeseries> {
    return this.read(token, accountId, 'timeseries', { interval: 'minute' });
  }

  /** One page of events, newest first, optionally from an instant on. */
  events(
    token: string,
    accountId: string,
    options: { from?: string; cursor?: string; limit?: number } = {},
  ): Promise<EventsPage> {
    const query: Record<string, string> = { limit: String(options.limit ?? 50) };
    if (options.from) query.from = options.from;
    if (options.cursor) query.cursor = options.cursor;
    return this.read(token, accountId, 'events', query);
  }

  private read<T>(
    token: string,
    accountId: string,
    route: string,
    query: Record<string, string>,
  ): Promise<T> {
    const params = new URLSearchParams({ ...query, allow_empty: 'true' });
    return this.request(`/v1/accounts/${encodeURIComponent(accountId)}/${route}?${params}`, {
      headers: { 'x-live-token': token },
    });
  }

  private async request<T>(path: string, init: RequestInit): Promise<T> {
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      ...init,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const message = (body as { message?: unknown } | undefined)?.message;
      throw new ApiError(response.status, typeof message === 'string' ? message : `HTTP ${response.status}`);
    }
    return body as T;
  }
}
