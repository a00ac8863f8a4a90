/**
 * Who may read an account's stats: a read key of the account (`x-api-key`), or a live token issued for
 * it (`x-live-token`), which is how the dashboard page reads without holding the read key.
 */
import { type ApiKeyLookup, authorize } from '../shared/api-keys.js';
import { ForbiddenError, UnauthorizedError } from '../shared/http.js';
import { type LiveTokenStore, verifyLiveToken } from '../shared/live-tokens.js';

/** The credentials a request carries, as the handler read them from its headers. */
export interface ReaderCredentials {
  apiKey: string | undefined;
  liveToken: string | undefined;
}

export interface ReaderAuthDeps {
  lookupApiKey: ApiKeyLookup;
  liveTokens: LiveTokenStore;
}

/**
 * Checks that the credentials may read `accountId`: 401 without a known key or a valid token, 403 for
 * a write key or another account's key or token. A key, when given, is what counts.
 */
export async function authorizeReader(
  credentials: ReaderCredentials,
  accountId: string,
  deps: ReaderAuthDeps,
): Promise<void> {
  if (credentials.apiKey !== undefined || credentials.liveToken === undefined) {
    await authorize(deps.lookupApiKey, credentials.apiKey, 'read', accountId);
    return;
  }
  const grant = await verifyLiveToken(deps.liveTokens, credentials.liveToken);
  if (!grant) throw new UnauthorizedError('unknown or expired live token');
  if (grant.accountId !== accountId)
    throw new ForbiddenError('the live token does not belong to this account');
}
