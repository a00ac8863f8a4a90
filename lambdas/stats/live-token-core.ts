/**
 * `POST /v1/live-tokens`: exchanges a read key (`x-api-key`) for a live token of its account, starting
 * a session of at most 12 hours; or renews a valid live token (`x-live-token`) for a fresh one of the
 * same session. The answer is never cached (`Cache-Control: no-store`) and the token is never logged.
 */
import { type ApiKeyLookup, authorize, hashApiKey } from '../shared/api-keys.js';
import { UnauthorizedError } from '../shared/http.js';
import {
  type IssuedLiveToken,
  issueLiveToken,
  type LiveTokenStore,
  verifyLiveToken,
} from '../shared/live-tokens.js';
import type { Log } from '../shared/logger.js';
import type { ReaderCredentials } from './reader-auth.js';

export interface LiveTokenDeps {
  lookupApiKey: ApiKeyLookup;
  liveTokens: LiveTokenStore;
  log: Log;
}

/** The body of a `201` answer. */
export interface LiveTokenBody {
  token: string;
  account_id: string;
  /** When this token stops being accepted (renew it before). */
  expires_at: string;
  /** When the session ends: no renewal is accepted after it; the read key must be given again. */
  session_expires_at: string;
  /** Seconds until `expires_at`. */
  expires_in: number;
}

/** Issues a live token for a read key, or renews a live token; 401/403 otherwise. */
export async function mintLiveToken(
  credentials: ReaderCredentials,
  deps: LiveTokenDeps,
): Promise<LiveTokenBody> {
  let issued: IssuedLiveToken;
  if (credentials.apiKey !== undefined || credentials.liveToken === undefined) {
    const key = await authorize(deps.lookupApiKey, credentials.apiKey, 'read');
    issued = await issueLiveToken(deps.liveTokens, {
      accountId: key.accountId,
      keyHash: hashApiKey(credentials.apiKey as string),
    });
    deps.log.info('live token issued', { accountId: key.accountId, renewal: false });
  } else {
    const grant = await verifyLiveToken(deps.liveTokens, credentials.liveToken);
    // A token from before sessions named their key cannot be throttled by the key's plan: sign in again.
    if (!grant?.keyHash)
      throw new UnauthorizedError('unknown or expired live token; sign in with the read key again');
    issued = await issueLiveToken(deps.liveTokens, {
      accountId: grant.accountId,
      keyHash: grant.keyHash,
      sessionExpiresAt: grant.sessionExpiresAt,
    });
    deps.log.info('live token issued', { accountId: grant.accountId, renewal: true });
  }
  const nowSeconds = Math.floor(deps.liveTokens.now().getTime() / 1000);
  return {
    token: issued.token,
    account_id: issued.accountId,
    expires_at: new Date(issued.expiresAt * 1000).toISOString(),
    session_expires_at: new Date(issued.sessionExpiresAt * 1000).toISOString(),
    expires_in: issued.expiresAt - nowSeconds,
  };
}
