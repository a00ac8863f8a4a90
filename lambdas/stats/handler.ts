/**
 * GET /v1/accounts/{accountId}/summary (API Gateway REST proxy integration): thin adapter over
 * `stats-core.ts`. Needs a read key of the account in the path.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createApiKeyLookup } from '../shared/api-keys.js';
import { dynamoDocumentClient } from '../shared/clients.js';
import { loadStatsApiConfig } from '../shared/config.js';
import { errorResult, headerValue, jsonResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import { getSummary } from './stats-core.js';

const config = loadStatsApiConfig();
const deps = {
  dynamo: dynamoDocumentClient(),
  tableName: config.rollupsTableName,
  lookupApiKey: createApiKeyLookup({ client: dynamoDocumentClient(), tableName: config.apiKeysTableName }),
  now: () => new Date(),
};

/** Lambda entry point of the stats API function. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  try {
    const summary = await getSummary(
      {
        accountId: event.pathParameters?.accountId,
        apiKey: headerValue(event.headers, 'x-api-key'),
        window: event.queryStringParameters?.window,
      },
      deps,
    );
    return jsonResult(200, summary);
  } catch (error) {
    return errorResult(error, logger);
  }
}
