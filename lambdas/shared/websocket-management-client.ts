/**
 * The WebSocket @connections client, in a module of its own so that only the WebSocket functions bundle
 * it. The management API has a per-deployment endpoint, passed in from config.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { clientConfig } from './clients.js';

const managementClients = new Map<string, ApiGatewayManagementApiClient>();

/** The WebSocket @connections client for `endpoint` (one per endpoint per process). */
export function apiGatewayManagementClient(endpoint: string): ApiGatewayManagementApiClient {
  let client = managementClients.get(endpoint);
  if (!client) {
    client = new ApiGatewayManagementApiClient({ ...clientConfig(), endpoint });
    managementClients.set(endpoint, client);
  }
  return client;
}
