/**
 * WebSocket `$default` route (subscribe, ping): thin adapter over `ws-core.ts`.
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { apiGatewayManagementClient, dynamoDocumentClient } from '../shared/clients.js';
import { loadConnectionsTableName, loadWebSocketManagementEndpoint } from '../shared/config.js';
import { errorResult, jsonResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import { handleMessage, type MessageDeps } from './ws-core.js';

const deps: MessageDeps = {
  dynamo: dynamoDocumentClient(),
  tableName: loadConnectionsTableName(),
  management: apiGatewayManagementClient(loadWebSocketManagementEndpoint()),
  log: logger,
};

/** Lambda entry point of the `$default` route. */
export async function handler(
  event: APIGatewayProxyWebsocketEventV2,
  context: Context,
): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  try {
    const body =
      event.body !== undefined && event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
    await handleMessage({ connectionId: event.requestContext.connectionId, body }, deps);
    return jsonResult(200, { message: 'ok' });
  } catch (error) {
    return errorResult(error, logger);
  }
}
