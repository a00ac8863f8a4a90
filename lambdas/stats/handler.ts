/**
 * The stats API function (API Gateway REST proxy integration): summary, timeseries, event search,
 * health and live tokens, as a thin adapter over `stats-core.ts`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createApiKeyLookup } from '../shared/api-keys.js';
import { dynamoDocumentClient } from '../shared/clients.js';
import { loadLiveTokensTableName, loadStatsApiConfig } from '../shared/config.js';
import { errorResult, headerValue, jsonResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import { openSearchClient } from '../shared/opensearch-client.js';
import { RollupStateCache } from './rollup-cache.js';
import { type StatsDeps, serveStats } from './stats-core.js';

const config = loadStatsApiConfig();
const dynamo = dynamoDocumentClient();
const search = openSearchClient(config.opensearch);
const deps: StatsDeps = {
  rollups: {
    dynamo,
    tableName: config.rollupsTableName,
    maxFutureMs: config.timestampBounds.maxFutureMs,
    cache: new RollupStateCache(),
    now: () => Date.now(),
  },
  search: { search, indexPrefix: config.indexPrefix, log: logger },
  health: { dynamo, tableName: config.rollupsTableName, search, log: logger },
  lookupApiKey: createApiKeyLookup({ client: dynamo, tableName: config.apiKeysTableName }),
  liveTokens: { dynamo, tableName: loadLiveTokensTableName(), now: () => new Date() },
  log: logger,
};

/** Lambda entry point of the stats API function. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  try {
    const response = await serveStats(
      {
        resource: event.resource,
        pathParameters: event.pathParameters,
        query: event.queryStringParameters,
        multiValueQuery: event.multiValueQueryStringParameters,
        apiKey: headerValue(event.headers, 'x-api-key'),
        liveToken: headerValue(event.headers, 'x-live-token'),
      },
      deps,
    );
    return jsonResult(response.statusCode, response.body, response.headers);
  } catch (error) {
    return errorResult(error, logger);
  }
}
