/**
 * The stats API: one entry per route, each authenticating first (a read key of the account in the
 * path, or a live token of it: 401 without a known key or valid token, 403 for a write key or another
 * account's), then checking every query parameter (400 naming it), then answering (404 when there is no
 * data, unless `allow_empty=true`). `/v1/health` needs no key; `POST /v1/live-tokens` mints live tokens.
 */
import type { ApiKeyLookup } from '../shared/api-keys.js';
import { API_KEY_HEADER, API_KEY_QUERY_PARAMETER } from '../shared/caller.js';
import { ID_MAX_LENGTH } from '../shared/event-limits.js';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../shared/http.js';
import { LIVE_TOKEN_HEADER, type LiveTokenStore } from '../shared/live-tokens.js';
import type { Log } from '../shared/logger.js';
import { checkHealth, type HealthDeps } from './health-core.js';
import { mintLiveToken } from './live-token-core.js';
import { readQuery } from './query-params.js';
import { authorizeReader, type ReaderCredentials } from './reader-auth.js';
import type { RollupReadDeps } from './rollup-reader.js';
import { LIVE_TOKENS_ROUTE, STATS_ROUTES } from './routes.js';
import { EVENTS_PARAMS, type SearchDeps, searchEvents, USER_EVENTS_PARAMS } from './search-core.js';
import { SUMMARY_PARAMS, summarize } from './summary-core.js';
import { TIMESERIES_PARAMS, timeseries } from './timeseries-core.js';

/** A request as the handler passes it on (the parts of an API Gateway proxy event the API reads). */
export interface StatsRequest {
  resource: string;
  pathParameters: Record<string, string | undefined> | null;
  query: Record<string, string | undefined> | null;
  multiValueQuery: Record<string, string[] | undefined> | null;
  /** `x-api-key` */
  apiKey: string | undefined;
  /** `x-live-token` */
  liveToken: string | undefined;
}

export interface StatsDeps {
  rollups: RollupReadDeps & { now: () => number };
  search: SearchDeps;
  health: HealthDeps;
  lookupApiKey: ApiKeyLookup;
  liveTokens: LiveTokenStore;
  log: Log;
}

export interface StatsResponse {
  statusCode: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Serves one request of any stats route. */
export async function serveStats(request: StatsRequest, deps: StatsDeps): Promise<StatsResponse> {
  const query = (allowed: readonly string[]) => readQuery(request.query, request.multiValueQuery, allowed);
  if (request.resource === STATS_ROUTES.health) {
    query([]);
    return checkHealth(deps.health);
  }
  // An empty header holds no key or token (a client library's default), as the API authorizer reads it.
  const credentials: ReaderCredentials = {
    apiKey: request.apiKey || undefined,
    liveToken: request.liveToken || undefined,
  };
  refuseKeyInUrl(request, credentials);
  if (request.resource === LIVE_TOKENS_ROUTE) {
    query([]);
    const body = await mintLiveToken(credentials, deps);
    // A credential: no cache, shared or private, may keep it.
    return { statusCode: 201, body, headers: { 'Cache-Control': 'no-store' } };
  }
  const accountId = await authorizedAccount(request, credentials, deps);
  switch (request.resource) {
    case STATS_ROUTES.summary:
      return ok(await summarize(accountId, query(SUMMARY_PARAMS), deps.rollups));
    case STATS_ROUTES.timeseries:
      return ok(await timeseries(accountId, query(TIMESERIES_PARAMS), deps.rollups));
    case STATS_ROUTES.events:
      return ok(await searchEvents(accountId, query(EVENTS_PARAMS), deps.search));
    case STATS_ROUTES.userEvents: {
      const userId = request.pathParameters?.userId;
      if (!userId || userId.length > ID_MAX_LENGTH) {
        throw new BadRequestError(`userId must be 1 to ${ID_MAX_LENGTH} characters`, { parameter: 'userId' });
      }
      return ok(await searchEvents(accountId, query(USER_EVENTS_PARAMS), deps.search, userId));
    }
    default:
      throw new NotFoundError(`no stats route ${request.resource.slice(0, 128)}`);
  }
}

/**
 * A key in the `key` query parameter, and none in a header: the API authorizer took it (beacons post
 * events so), but reads take a read key only in `x-api-key`, since a URL is kept in browser histories
 * and proxy logs. Said so, rather than answered "missing API key" for a key the client did send.
 */
function refuseKeyInUrl(request: StatsRequest, credentials: ReaderCredentials): void {
  if (credentials.apiKey !== undefined || credentials.liveToken !== undefined) return;
  const inUrl =
    request.query?.[API_KEY_QUERY_PARAMETER] !== undefined ||
    request.multiValueQuery?.[API_KEY_QUERY_PARAMETER] !== undefined;
  if (inUrl) {
    throw new UnauthorizedError(
      `the ${API_KEY_QUERY_PARAMETER} query parameter is only for posting events (navigator.sendBeacon): send a read key in the ${API_KEY_HEADER} header, or a live token in the ${LIVE_TOKEN_HEADER} header`,
    );
  }
}

function ok(body: unknown): StatsResponse {
  return { statusCode: 200, body };
}

/** The account of the path, once the key or token is known to be allowed to read it. */
async function authorizedAccount(
  request: StatsRequest,
  credentials: ReaderCredentials,
  deps: StatsDeps,
): Promise<string> {
  const accountId = request.pathParameters?.accountId;
  if (!accountId)
    throw new BadRequestError('accountId path parameter is missing', { parameter: 'accountId' });
  await authorizeReader(credentials, accountId, deps);
  return accountId;
}
