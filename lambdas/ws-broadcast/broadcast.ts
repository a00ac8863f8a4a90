/**
 * Kinesis event source mapping of the live push: thin adapter over `broadcast-core.ts`.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { loadConnectionsTableName, loadWebSocketManagementEndpoint } from '../shared/config.js';
import { dynamoDocumentClient } from '../shared/dynamodb-client.js';
import { logger } from '../shared/logger.js';
import { apiGatewayManagementClient } from '../shared/websocket-management-client.js';
import { type BroadcastDeps, broadcastRecords } from './broadcast-core.js';

const deps: BroadcastDeps = {
  dynamo: dynamoDocumentClient(),
  tableName: loadConnectionsTableName(),
  management: apiGatewayManagementClient(loadWebSocketManagementEndpoint()),
  now: () => new Date(),
  log: logger,
};

/** Lambda entry point of the broadcast function. */
export async function handler(
  event: KinesisStreamEvent,
  context: Context,
): Promise<KinesisStreamBatchResponse> {
  logger.addContext(context);
  const outcome = await broadcastRecords(event.Records, deps);
  return outcome.response;
}
