/**
 * The live WebSocket connections a read key's tokens opened, closed when the key is revoked: `$connect`
 * refuses a revoked key's tokens, but a connection already open would otherwise keep receiving the
 * account's events until API Gateway ends it (2 hours). `$connect` records the key's hash on the
 * connection (`lambdas/ws-broadcast/connections.ts`); closing it through the management API runs
 * `$disconnect`, which forgets it.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { forgetConnection } from '../../lambdas/ws-broadcast/connection-leases.js';
import {
  BY_ACCOUNT_INDEX,
  type ConnectionItem,
  closeConnection,
} from '../../lambdas/ws-broadcast/connections.js';
import { API_STAGE } from '../../lib/topology.js';
import { localApiGatewayManagement } from '../../local/services/local-clients.js';
import type { Target } from '../target.js';

/**
 * The `@connections` endpoint of the target's WebSocket API: the deployed stage's URL over HTTPS
 * (`wss://…/prod` → `https://…/prod`), or the local gateway's, which serves it under the stage.
 */
export function managementEndpoint(target: Pick<Target, 'kind' | 'resources'>): string {
  const url = new URL(target.resources.websocketUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  if (target.kind === 'local') url.pathname = `/${API_STAGE}`;
  return url.toString().replace(/\/$/, '');
}

export interface KeyConnectionsDeps {
  target: Pick<Target, 'dynamo' | 'resources'>;
  management: Pick<ApiGatewayManagementApiClient, 'send'>;
}

/** Closes every open connection of `accountId` opened with a token of the key `keyHash`; how many. */
export async function closeKeyConnections(
  deps: KeyConnectionsDeps,
  accountId: string,
  keyHash: string,
): Promise<number> {
  const tableName = deps.target.resources.connectionsTableName;
  const pages = paginateQuery(
    { client: deps.target.dynamo },
    {
      TableName: tableName,
      IndexName: BY_ACCOUNT_INDEX,
      KeyConditionExpression: 'accountId = :accountId',
      FilterExpression: 'keyHash = :keyHash',
      ExpressionAttributeValues: { ':accountId': accountId, ':keyHash': keyHash },
    },
  );
  let closed = 0;
  for await (const page of pages) {
    for (const item of (page.Items ?? []) as ConnectionItem[]) {
      if (await closeConnection(deps.management, item.connectionId)) closed += 1;
      // `$disconnect` forgets it too; a connection already gone has no `$disconnect` left to run, and
      // its place under the account's connection limit (its lease) is given back here.
      await forgetConnection({ dynamo: deps.target.dynamo, tableName }, item.connectionId, accountId);
    }
  }
  return closed;
}

/** A management client for the target: the local gateway's takes the local stack's client settings. */
export function managementClient(
  target: Pick<Target, 'kind' | 'region' | 'resources'>,
): ApiGatewayManagementApiClient {
  const endpoint = managementEndpoint(target);
  return target.kind === 'local'
    ? localApiGatewayManagement(endpoint, { region: target.region, maxAttempts: 3 })
    : new ApiGatewayManagementApiClient({ endpoint, region: target.region });
}
