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
  /** Epoch ms. */
  expiresAt: number;
  /** Epoch ms: after it, the read key must be given again. */
  sessionExpiresAt: number;
}

/** The part of `Storage` the page uses (`sessionStorage` in the page, a map in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function sessionFromGrant(grant: LiveTokenGrant): Session {
  return {
    token: grant.token,
    accountId: grant.account_id,
    expiresAt: Date.parse(grant.expires_at),
    sessionExpiresAt: Date.parse(grant.session_expires_at),
  };
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
