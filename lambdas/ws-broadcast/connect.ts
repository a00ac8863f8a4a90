/**
 * WebSocket `$connect` route: thin adapter over `ws-core.ts`. The event is deliberately never logged:
 * its query string carries the read key.
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { createApiKeyLookup } from '../shared/api-keys.js';
import { dynamoDocumentClient } from '../shared/clients.js';
import { loadApiKeysTableName, loadConnectionsTableName } from '../shared/config.js';
import { errorResult, jsonResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import { type ConnectDeps, connect } from './ws-core.js';

const deps: ConnectDeps = {
  dynamo: dynamoDocumentClient(),
  tableName: loadConnectionsTableName(),
  lookupApiKey: createApiKeyLookup({ client: dynamoDocumentClient(), tableName: loadApiKeysTableName() }),
  now: () => new Date(),
  log: logger,
};

/** Lambda entry point of the `$connect` route; a non-2xx result rejects the connection. */
export async function handler(
  event: APIGatewayProxyWebsocketEventV2,
  context: Context,
): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  try {
    await connect(
      { connectionId: event.requestContext.connectionId, token: event.queryStringParameters?.token },
      deps,
    );
    return jsonResult(200, { message: 'connected' });
  } catch (error) {
    return errorResult(error, logger);
  }
}
