/**
 * WebSocket `$default` route (subscribe, ping): thin adapter over `ws-core.ts`, wrapped in the house
 * middleware (`apiHandler`).
 */
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { apiHandler } from '../shared/api-handler.js';
import { loadConnectionsTableName, loadWebSocketManagementEndpoint } from '../shared/config.js';
import { dynamoDocumentClient } from '../shared/dynamodb-client.js';
import { jsonResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import { apiGatewayManagementClient } from '../shared/websocket-management-client.js';
import { handleMessage, type MessageDeps } from './ws-core.js';

const deps: MessageDeps = {
  dynamo: dynamoDocumentClient(),
  tableName: loadConnectionsTableName(),
  management: apiGatewayManagementClient(loadWebSocketManagementEndpoint()),
  now: () => new Date(),
  log: logger,
};

/** Lambda entry point of the `$default` route. */
export const handler = apiHandler(async (event: APIGatewayProxyWebsocketEventV2) => {
  const body =
    event.body !== undefined && event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body;
  await handleMessage({ connectionId: event.requestContext.connectionId, body }, deps);
  return jsonResult(200, { message: 'ok' });
});
