/**
 * The stats API function (API Gateway REST proxy integration): summary, timeseries, event search,
 * health and live tokens, as a thin adapter over `stats-core.ts`, wrapped in the house middleware
 * (`apiHandler`).
 */
import createPit from '@opensearch-project/opensearch/api/_core/createPit.js';
import deletePit from '@opensearch-project/opensearch/api/_core/deletePit.js';
import searchApi from '@opensearch-project/opensearch/api/_core/search.js';
import health from '@opensearch-project/opensearch/api/cluster/health.js';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler } from '../shared/api-handler.js';
import { createApiKeyLookup } from '../shared/api-keys.js';
import { API_KEY_HEADER } from '../shared/caller.js';
import { loadLiveTokensTableName, loadStatsApiConfig } from '../shared/config.js';
import { dynamoDocumentClient } from '../shared/dynamodb-client.js';
import { headerValue, jsonResult } from '../shared/http.js';
import { LIVE_TOKEN_HEADER } from '../shared/live-tokens.js';
import { logger } from '../shared/logger.js';
import { openSearchApi } from '../shared/opensearch-api.js';
import { PitQuota } from './pit-quota.js';
import { RollupStateCache } from './rollup-cache.js';
import { type StatsDeps, serveStats } from './stats-core.js';

const config = loadStatsApiConfig();
const dynamo = dynamoDocumentClient();
const search = openSearchApi(config.opensearch, {
  search: searchApi,
  createPit,
  deletePit,
  cluster: { health },
});
const deps: StatsDeps = {
  rollups: {
    dynamo,
    tableName: config.rollupsTableName,
    maxFutureMs: config.timestampBounds.maxFutureMs,
    cache: new RollupStateCache(),
    now: () => Date.now(),
  },
  search: {
    search,
    indexPrefix: config.indexPrefix,
    cursorKey: config.cursorSigningKey,
    pits: new PitQuota(),
    now: () => Date.now(),
    log: logger,
  },
  health: { dynamo, tableName: config.rollupsTableName, search, log: logger },
  lookupApiKey: createApiKeyLookup({
    client: dynamo,
    tableName: config.apiKeysTableName,
    ttlMs: config.keyCacheTtlMs,
  }),
  liveTokens: { dynamo, tableName: loadLiveTokensTableName(), now: () => new Date() },
  log: logger,
};

/** Lambda entry point of the stats API function. */
export const handler = apiHandler(
  async (event: APIGatewayProxyEvent) => {
    const response = await serveStats(
      {
        resource: event.resource,
        pathParameters: event.pathParameters,
        query: event.queryStringParameters,
        multiValueQuery: event.multiValueQueryStringParameters,
        apiKey: headerValue(event.headers, API_KEY_HEADER),
        liveToken: headerValue(event.headers, LIVE_TOKEN_HEADER),
      },
      deps,
    );
    return jsonResult(response.statusCode, response.body, response.headers);
  },
  { corsOrigins: config.corsOrigins },
);
