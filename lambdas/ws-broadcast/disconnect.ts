/**
 * WebSocket `$disconnect` route: forgets the connection.
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { dynamoDocumentClient } from '../shared/clients.js';
import { loadConnectionsTableName } from '../shared/config.js';
import { errorResult, jsonResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import { disconnect } from './ws-core.js';

const deps = { dynamo: dynamoDocumentClient(), tableName: loadConnectionsTableName() };

/** Lambda entry point of the `$disconnect` route. */
export async function handler(
  event: APIGatewayProxyWebsocketEventV2,
  context: Context,
): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  try {
    await disconnect(event.requestContext.connectionId, deps);
    return jsonResult(200, { message: 'disconnected' });
  } catch (error) {
    return errorResult(error, logger);
  }
}
