/**
 * WebSocket `$connect` route: thin adapter over `ws-core.ts`, wrapped in the house middleware
 * (`apiHandler`). The event is deliberately never logged: its query string carries the live token.
 */
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { apiHandler } from '../shared/api-handler.js';
import { createKeyHashLookup } from '../shared/api-keys.js';
import {
  loadApiKeysTableName,
  loadConnectionsTableName,
  loadLiveTokensTableName,
  loadWebSocketManagementEndpoint,
} from '../shared/config.js';
import { dynamoDocumentClient } from '../shared/dynamodb-client.js';
import { jsonResult } from '../shared/http.js';
import { verifyLiveToken } from '../shared/live-tokens.js';
import { logger } from '../shared/logger.js';
import { apiGatewayManagementClient } from '../shared/websocket-management-client.js';
import { isConnectionOpen } from './connections.js';
import { type ConnectDeps, connect } from './ws-core.js';

const now = () => new Date();
const dynamo = dynamoDocumentClient();
const liveTokens = { dynamo, tableName: loadLiveTokensTableName(), now };
const management = apiGatewayManagementClient(loadWebSocketManagementEndpoint());
const deps: ConnectDeps = {
  dynamo,
  tableName: loadConnectionsTableName(),
  // A full account's connections are checked with API Gateway: one whose `$disconnect` never ran
  // frees its place (`connection-leases.ts`).
  connectionIsOpen: (connectionId) => isConnectionOpen(management, connectionId),
  verifyToken: (token) => verifyLiveToken(liveTokens, token),
  // Never trusted from a cache: a connection accepted lives two hours, so a read key revoked a moment
  // ago (whose dashboards reconnect at once when `keys revoke` closes them) must be seen now. $connect
  // is rare enough for a read per connect.
  lookupKeyHash: createKeyHashLookup({
    client: dynamo,
    tableName: loadApiKeysTableName(),
    ttlMs: 0,
    consistentRead: true,
  }),
  now,
  log: logger,
};

/** Lambda entry point of the `$connect` route; a non-2xx result rejects the connection. */
export const handler = apiHandler(async (event: APIGatewayProxyWebsocketEventV2) => {
  await connect(
    { connectionId: event.requestContext.connectionId, token: event.queryStringParameters?.token },
    deps,
  );
  return jsonResult(200, { message: 'connected' });
});
