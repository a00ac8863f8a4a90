/**
 * WebSocket `$connect` route: thin adapter over `ws-core.ts`. The event is deliberately never logged:
 * its query string carries the live token.
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { dynamoDocumentClient } from '../shared/clients.js';
import { loadConnectionsTableName, loadLiveTokensTableName } from '../shared/config.js';
import { errorResult, jsonResult } from '../shared/http.js';
import { verifyLiveToken } from '../shared/live-tokens.js';
import { logger } from '../shared/logger.js';
import { type ConnectDeps, connect } from './ws-core.js';

const now = () => new Date();
const liveTokens = { dynamo: dynamoDocumentClient(), tableName: loadLiveTokensTableName(), now };
const deps: ConnectDeps = {
  dynamo: dynamoDocumentClient(),
  tableName: loadConnectionsTableName(),
  verifyToken: (token) => verifyLiveToken(liveTokens, token),
  now,
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
