/**
 * The stats API: one entry per route, each authenticating first (a read key of the account in the
 * path: 401 without a known key, 403 for a write key or another account's), then checking every query
 * parameter (400 naming it), then answering (404 when there is no data). `/v1/health` needs no key.
 */
import { type ApiKeyLookup, authorize } from '../shared/api-keys.js';
import { ID_MAX_LENGTH } from '../shared/event-limits.js';
import { BadRequestError, NotFoundError } from '../shared/http.js';
import { checkHealth, type HealthDeps } from './health-core.js';
import { readQuery } from './query-params.js';
import type { RollupReadDeps } from './rollup-reader.js';
import { STATS_ROUTES } from './routes.js';
import { EVENTS_PARAMS, type SearchDeps, searchEvents, USER_EVENTS_PARAMS } from './search-core.js';
import { SUMMARY_PARAMS, summarize } from './summary-core.js';
import { TIMESERIES_PARAMS, timeseries } from './timeseries-core.js';

/** A request as the handler passes it on (the parts of an API Gateway proxy event the API reads). */
export interface StatsRequest {
  resource: string;
  pathParameters: Record<string, string | undefined> | null;
  query: Record<string, string | undefined> | null;
  multiValueQuery: Record<string, string[] | undefined> | null;
  apiKey: string | undefined;
}

export interface StatsDeps {
  rollups: RollupReadDeps & { now: () => number };
  search: SearchDeps;
  health: HealthDeps;
  lookupApiKey: ApiKeyLookup;
}

export interface StatsResponse {
  statusCode: number;
  body: unknown;
}

/** Serves one request of any stats route. */
export async function serveStats(request: StatsRequest, deps: StatsDeps): Promise<StatsResponse> {
  const query = (allowed: readonly string[]) => readQuery(request.query, request.multiValueQuery, allowed);
  if (request.resource === STATS_ROUTES.health) {
    query([]);
    return checkHealth(deps.health);
  }
  const accountId = await authorizedAccount(request, deps.lookupApiKey);
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

function ok(body: unknown): StatsResponse {
  return { statusCode: 200, body };
}

/** The account of the path, once the key is known to be a read key of it. */
async function authorizedAccount(request: StatsRequest, lookup: ApiKeyLookup): Promise<string> {
  const accountId = request.pathParameters?.accountId;
  if (!accountId)
    throw new BadRequestError('accountId path parameter is missing', { parameter: 'accountId' });
  await authorize(lookup, request.apiKey, 'read', accountId);
  return accountId;
}
