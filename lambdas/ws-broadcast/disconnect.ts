/**
 * WebSocket `$disconnect` route: forgets the connection. Wrapped in the house middleware (`apiHandler`).
 */
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { apiHandler } from '../shared/api-handler.js';
import { loadConnectionsTableName } from '../shared/config.js';
import { dynamoDocumentClient } from '../shared/dynamodb-client.js';
import { jsonResult } from '../shared/http.js';
import { disconnect } from './ws-core.js';

const deps = { dynamo: dynamoDocumentClient(), tableName: loadConnectionsTableName() };

/** Lambda entry point of the `$disconnect` route. */
export const handler = apiHandler(async (event: APIGatewayProxyWebsocketEventV2) => {
  await disconnect(event.requestContext.connectionId, deps);
  return jsonResult(200, { message: 'disconnected' });
});
