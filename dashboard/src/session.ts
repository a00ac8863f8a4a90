/**
 * The signed-in session: the live token, its account and expiry, kept in `sessionStorage` so a reload
 * of the tab stays signed in, while closing the tab ends it and other tabs never see it. The read key
 * is never kept anywhere: it is sent once, in a header, to get the first token. Nothing goes in the URL.
 */
import type { LiveTokenGrant } from './types.js';

const STORAGE_KEY = 'live-dashboard.session';
/** A token is renewed this long before it expires. */
export const RENEW_BEFORE_MS = 5 * 60_000;

export interface Session {
  token: string;
  accountId: string;
  /** Epoch ms, by this browser's clock. */
  expiresAt: number;
  /** Epoch ms, by this browser's clock: after it, the read key must be given again. */
  sessionExpiresAt: number;
  /** The server's clock minus this browser's (ms, to about a second); absent in sessions saved before it. */
  clockOffsetMs?: number;
}

/** The part of `Storage` the page uses (`sessionStorage` in the page, a map in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * The session a grant starts, received at `receivedAt` (this browser's clock). Its instants are the
 * server's: a browser clock minutes off would renew the token too late (and be signed out every hour)
 * or, ahead by most of the token's life, every second. So the expiry is taken from `expires_in`, counted
 * from receipt, and the session's end keeps its distance from it; the difference is the clock offset,
 * with which the page reads server time (the chart's minutes, the gap to fill).
 */
export function sessionFromGrant(grant: LiveTokenGrant, receivedAt = Date.now()): Session {
  const serverExpiresAt = Date.parse(grant.expires_at);
  const expiresAt = Number.isFinite(grant.expires_in)
    ? receivedAt + grant.expires_in * 1000
    : serverExpiresAt;
  return {
    token: grant.token,
    accountId: grant.account_id,
    expiresAt,
    sessionExpiresAt: expiresAt + (Date.parse(grant.session_expires_at) - serverExpiresAt),
    clockOffsetMs: serverExpiresAt - expiresAt,
  };
}

/** The server's time now, by this browser's clock and the session's offset. */
export function serverNow(session: Session, localNow = Date.now()): number {
  return localNow + (session.clockOffsetMs ?? 0);
}

/** When to renew the token: `RENEW_BEFORE_MS` before it expires, or never when the session ends first. */
export function renewalAt(session: Session): number | undefined {
  if (session.expiresAt >= session.sessionExpiresAt) return undefined;
  return session.expiresAt - RENEW_BEFORE_MS;
}

export class SessionStore {
  constructor(
    private readonly storage: KeyValueStorage,
    private readonly now: () => number = Date.now,
  ) {}

  /** The stored session, if there is one whose token is still valid. */
  load(): Session | undefined {
    let parsed: Partial<Session> | undefined;
    try {
      parsed = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? 'null') ?? undefined;
    } catch {
      parsed = undefined;
    }
    const valid =
      typeof parsed?.token === 'string' &&
      typeof parsed.accountId === 'string' &&
      typeof parsed.expiresAt === 'number' &&
      typeof parsed.sessionExpiresAt === 'number' &&
      (parsed.clockOffsetMs === undefined || typeof parsed.clockOffsetMs === 'number') &&
      parsed.expiresAt > this.now();
    if (!valid) {
      this.clear();
      return undefined;
    }
    return parsed as Session;
  }

  save(session: Session): void {
    this.storage.setItem(STORAGE_KEY, JSON.stringify(session));
  }

  clear(): void {
    this.storage.removeItem(STORAGE_KEY);
  }
}
